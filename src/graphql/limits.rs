//! At most one code- or password-checking field per request, so aliases
//! cannot turn one request into many guesses.

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
            let message = match current_lang() {
                Lang::En => "At most one code- or password-checking field per request",
                Lang::Zh => "每个请求最多只能包含一个校验验证码或密码的操作",
            };
            let mut err = ServerError::new(message, None);
            let mut ext = async_graphql::ErrorExtensionValues::default();
            ext.set("code", "BAD_USER_INPUT");
            ext.set("field", "query");
            err.extensions = Some(ext);
            return Err(err);
        }
        Ok(document)
    }
}

/// Counts checking fields at the root, looking through fragments (bounded
/// depth, so a fragment cycle cannot loop; validation rejects cycles anyway).
fn count_checking(set: &SelectionSet, doc: &ExecutableDocument, depth: usize) -> usize {
    if depth > 8 {
        return 0;
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
