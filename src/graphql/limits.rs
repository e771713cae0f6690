//! Request limits checked on the parsed document: at most one code- or
//! password-checking field per request (so aliases cannot turn one request
//! into many guesses), and a depth limit that also covers introspection,
//! which async-graphql's own depth limit skips.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};

use super::errors::current_lang;
use crate::error::Lang;

/// Root fields that check a code, a password or a platform credential.
const CHECKING_FIELDS: &[&str] = &[
    "register",
    "login",
    "verifySms",
    "bindThirdParty",
    "thirdPartyLogin",
    "verifyPayPassword",
];

/// Deepest selection nesting accepted (DESIGN §4).
pub const MAX_DEPTH: usize = 12;

/// The extension factory registered on the schema.
pub struct OneCredentialCheck;

impl ExtensionFactory for OneCredentialCheck {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OneCredentialCheckExtension)
    }
}

struct OneCredentialCheckExtension;

#[async_trait::async_trait]
impl Extension for OneCredentialCheckExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let worst = document
            .operations
            .iter()
            .map(|(_, op)| count_checking(&op.node.selection_set.node, &document, 0))
            .max()
            .unwrap_or(0);
        if worst > 1 {
            return Err(refusal(
                "At most one code- or password-checking field per request",
                "每个请求最多只能包含一个校验验证码或密码的操作",
            ));
        }
        let deepest = document
            .operations
            .iter()
            .map(|(_, op)| depth(&op.node.selection_set.node, &document, 0))
            .max()
            .unwrap_or(0);
        if deepest > MAX_DEPTH {
            return Err(refusal("The query is nested too deep", "查询嵌套层级过深"));
        }
        Ok(document)
    }
}

/// Counts checking fields at the root, looking through fragments. Fragments
/// nested deeper than any honest client writes count as over the limit, so
/// nesting can neither hide a field nor make a fragment cycle loop.
fn count_checking(set: &SelectionSet, doc: &ExecutableDocument, depth: usize) -> usize {
    if depth > 8 {
        return 2;
    }
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => usize::from(CHECKING_FIELDS.contains(&field.node.name.node.as_str())),
            Selection::InlineFragment(fragment) => count_checking(&fragment.node.selection_set.node, doc, depth + 1),
            Selection::FragmentSpread(spread) => doc
                .fragments
                .get(&spread.node.fragment_name.node)
                .map_or(0, |fragment| {
                    count_checking(&fragment.node.selection_set.node, doc, depth + 1)
                }),
        })
        .sum()
}

/// How deep selections nest, fragments included; stops counting past the
/// limit so a hostile document costs little.
fn depth(set: &SelectionSet, doc: &ExecutableDocument, level: usize) -> usize {
    if level > MAX_DEPTH + 1 {
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
                    depth(inner, doc, level + 1)
                }
            }
            Selection::InlineFragment(fragment) => depth(&fragment.node.selection_set.node, doc, level),
            Selection::FragmentSpread(spread) => doc
                .fragments
                .get(&spread.node.fragment_name.node)
                .map_or(level, |fragment| depth(&fragment.node.selection_set.node, doc, level)),
        })
        .max()
        .unwrap_or(level)
}

fn refusal(english: &str, chinese: &str) -> ServerError {
    let message = match current_lang() {
        Lang::En => english,
        Lang::Zh => chinese,
    };
    let mut err = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", "BAD_USER_INPUT");
    ext.set("field", "query");
    err.extensions = Some(ext);
    err
}
