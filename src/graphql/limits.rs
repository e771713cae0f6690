//! Rules checked around parsing and validation, and the codes of request
//! errors (DESIGN §4, §6):
//! - at most one code- or password-checking field per request, so aliases
//!   cannot turn one request into many guesses;
//! - a depth limit of our own (async-graphql's skips introspection), with a
//!   separate, larger bound for introspection so graphql-js's standard
//!   introspection query (nesting 15) works where introspection is on;
//! - introspection refused with GRAPHQL_VALIDATION_FAILED where it is off,
//!   instead of async-graphql's silent `null`;
//! - parse and validation errors coded GRAPHQL_PARSE_FAILED and
//!   GRAPHQL_VALIDATION_FAILED, with one-line messages;
//! - a persisted-query miss coded PERSISTED_QUERY_NOT_FOUND, as Apollo
//!   clients expect before they resend the full text.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Field, OperationType, Selection, SelectionSet};
use async_graphql::{Request, ServerError, ServerResult, ValidationResult, Variables};

use super::errors::current_lang;
use crate::error::Lang;

/// Root fields that check a code, a password or a platform credential.
const CHECKING_FIELDS: &[&str] = &[
    "register",
    "login",
    "verifySms",
    "verifyEmail",
    "changePassword",
    "requestAccountDeletion",
    "bindThirdParty",
    "thirdPartyLogin",
    "oneClickLogin",
    "verifyPayPassword",
];

/// Deepest selection nesting accepted (DESIGN §4).
pub const MAX_DEPTH: usize = 12;

/// Deepest nesting under `__schema` / `__type`: graphql-js's
/// `getIntrospectionQuery()` needs 15; a little room for tools that ask more.
pub const MAX_INTROSPECTION_DEPTH: usize = 20;

/// Fragments nested deeper than any honest client writes.
const MAX_FRAGMENT_NESTING: usize = 8;

/// The codes of request errors (GraphQL-over-HTTP and Apollo conventions).
pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";

/// Request data marking a GET request: only queries may run.
pub struct ReadOnlyRequest;

/// The extension factory registered on the schema.
pub struct DocumentRules {
    /// Whether `__schema` / `__type` may be asked (development).
    pub introspection: bool,
}

impl ExtensionFactory for DocumentRules {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentRulesExtension {
            introspection: self.introspection,
        })
    }
}

struct DocumentRulesExtension {
    introspection: bool,
}

#[async_trait::async_trait]
impl Extension for DocumentRulesExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // Registered before the persisted-query extension, so its errors pass here.
        next.run(ctx, request).await.map_err(|mut err| {
            if err.message == "PersistedQueryNotFound" {
                set_code(&mut err, PERSISTED_QUERY_NOT_FOUND);
            }
            err
        })
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await.map_err(parse_failure)?;
        // GET never runs mutations; the HTTP layer checks the text, this the
        // documents a persisted-query hash stands for.
        if ctx.data_opt::<ReadOnlyRequest>().is_some()
            && document
                .operations
                .iter()
                .any(|(_, op)| op.node.ty != OperationType::Query)
        {
            let mut err = refusal("Mutations must use POST", "变更操作（mutation）必须使用 POST");
            set_code(&mut err, "BAD_USER_INPUT");
            return Err(err);
        }
        ensure_one_checking_field(&document)?;
        let root_sets = || document.operations.iter().map(|(_, op)| &op.node.selection_set.node);
        let mut roots = Vec::new();
        for set in root_sets() {
            if !root_fields(set, &document, 0, &mut roots) {
                return Err(too_deep());
            }
        }
        for field in roots {
            let introspects = is_introspection(field);
            if introspects && !self.introspection {
                let mut err = refusal(
                    "Introspection is disabled on this server",
                    "此服务器已关闭内省查询（introspection）",
                );
                set_code(&mut err, VALIDATION_FAILED);
                return Err(err);
            }
            let limit = if introspects {
                MAX_INTROSPECTION_DEPTH
            } else {
                MAX_DEPTH
            };
            if depth(&field.selection_set.node, &document, 1, limit) > limit {
                return Err(too_deep());
            }
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|mut err| {
                    set_code(&mut err, VALIDATION_FAILED);
                    err
                })
                .collect()
        })
    }
}

/// At most one code- or password-checking field per request, so one request
/// cannot try many codes or passwords at once.
fn ensure_one_checking_field(document: &ExecutableDocument) -> ServerResult<()> {
    let root_sets = || document.operations.iter().map(|(_, op)| &op.node.selection_set.node);
    let worst = root_sets()
        .map(|set| count_checking(set, document, 0))
        .max()
        .unwrap_or(0);
    if worst > 1 {
        let mut err = refusal(
            "At most one code- or password-checking field per request",
            "每个请求最多只能包含一个校验验证码或密码的操作",
        );
        set_code(&mut err, "BAD_USER_INPUT");
        if let Some(ext) = err.extensions.as_mut() {
            ext.set("field", "query");
        }
        return Err(err);
    }
    Ok(())
}

fn is_introspection(field: &Field) -> bool {
    matches!(field.name.node.as_str(), "__schema" | "__type")
}

/// Collects the fields selected at the root, looking through fragments;
/// false when fragments nest deeper than any honest client writes.
fn root_fields<'a>(
    set: &'a SelectionSet,
    doc: &'a ExecutableDocument,
    nesting: usize,
    out: &mut Vec<&'a Field>,
) -> bool {
    if nesting > MAX_FRAGMENT_NESTING {
        return false;
    }
    set.items.iter().all(|item| match &item.node {
        Selection::Field(field) => {
            out.push(&field.node);
            true
        }
        Selection::InlineFragment(fragment) => root_fields(&fragment.node.selection_set.node, doc, nesting + 1, out),
        Selection::FragmentSpread(spread) => doc
            .fragments
            .get(&spread.node.fragment_name.node)
            .is_none_or(|fragment| root_fields(&fragment.node.selection_set.node, doc, nesting + 1, out)),
    })
}

/// Counts checking fields at the root, looking through fragments. Fragments
/// nested too deep count as over the limit, so nesting can neither hide a
/// field nor make a fragment cycle loop.
fn count_checking(set: &SelectionSet, doc: &ExecutableDocument, nesting: usize) -> usize {
    if nesting > MAX_FRAGMENT_NESTING {
        return 2;
    }
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => usize::from(CHECKING_FIELDS.contains(&field.node.name.node.as_str())),
            Selection::InlineFragment(fragment) => count_checking(&fragment.node.selection_set.node, doc, nesting + 1),
            Selection::FragmentSpread(spread) => doc
                .fragments
                .get(&spread.node.fragment_name.node)
                .map_or(0, |fragment| {
                    count_checking(&fragment.node.selection_set.node, doc, nesting + 1)
                }),
        })
        .sum()
}

/// How deep selections nest below `level`, fragments included; stops
/// counting past `limit` so a hostile document (or a fragment cycle) costs little.
fn depth(set: &SelectionSet, doc: &ExecutableDocument, level: usize, limit: usize) -> usize {
    if level > limit {
        return level;
    }
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                let inner = &field.node.selection_set.node;
                if inner.items.is_empty() {
                    level + 1
                } else {
                    depth(inner, doc, level + 1, limit)
                }
            }
            Selection::InlineFragment(fragment) => depth(&fragment.node.selection_set.node, doc, level, limit),
            Selection::FragmentSpread(spread) => doc
                .fragments
                .get(&spread.node.fragment_name.node)
                .map_or(level, |fragment| {
                    depth(&fragment.node.selection_set.node, doc, level, limit)
                }),
        })
        .max()
        .unwrap_or(level)
}

/// A parser error made one line (pest's dump has arrows and a source
/// excerpt; `locations` already says where).
fn parse_failure(mut err: ServerError) -> ServerError {
    if err.message.starts_with("The recursion depth") {
        set_code(&mut err, VALIDATION_FAILED);
        return err;
    }
    let expected = err
        .message
        .lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("= "))
        .map(str::to_string);
    let detail = expected.unwrap_or_else(|| err.message.lines().next().unwrap_or("").trim().to_string());
    err.message = format!("Syntax Error: {detail}");
    set_code(&mut err, PARSE_FAILED);
    err
}

fn too_deep() -> ServerError {
    let mut err = refusal("The query is nested too deep", "查询嵌套层级过深");
    set_code(&mut err, VALIDATION_FAILED);
    err
}

fn refusal(english: &str, chinese: &str) -> ServerError {
    let message = match current_lang() {
        Lang::En => english,
        Lang::Zh => chinese,
    };
    ServerError::new(message, None)
}

fn set_code(err: &mut ServerError, code: &str) {
    err.extensions
        .get_or_insert_with(async_graphql::ErrorExtensionValues::default)
        .set("code", code);
}
