//! The GraphQL front door: schema, limits, and the HTTP endpoint.

mod errors;
mod http;
mod inputs;
mod limits;
mod mutation;
mod parsed;
mod query;
pub mod types;

use std::num::NonZeroUsize;

use async_graphql::extensions::apollo_persisted_queries::{ApolloPersistedQueries, LruCacheStorage};
use async_graphql::{EmptySubscription, Schema};

pub use errors::LANG;
pub use http::{GraphqlState, graphql_get, graphql_post};
pub use mutation::Mutation;
pub use query::Query;

use crate::state::AppState;

/// Texts kept per node for Apollo automatic persisted queries, by their
/// hash. A miss only costs the client one resend of the full text, so this
/// cache may live in process memory (unlike limits and counters).
const PERSISTED_QUERIES_CACHED: usize = 512;

/// Parsed documents kept per node, by their text (see `parsed`), each of
/// a text of at most `parsed::LONGEST_KEPT` bytes.
const PARSED_DOCUMENTS_CACHED: NonZeroUsize = NonZeroUsize::new(256).expect("not zero");

/// The executable schema.
pub type ZhanghaoSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema with the limits of DESIGN §4; production hides
/// introspection and field suggestions.
pub fn build_schema(state: Option<AppState>) -> ZhanghaoSchema {
    let production = state.as_ref().is_some_and(|s| s.config.is_production());
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_complexity(500)
        // First, so it sees (and codes) the errors of the persisted-query extension.
        .extension(limits::DocumentRules {
            introspection: !production,
        })
        .extension(ApolloPersistedQueries::new(LruCacheStorage::new(
            PERSISTED_QUERIES_CACHED,
        )));
    if production {
        builder = builder.disable_introspection().disable_suggestions();
    }
    if let Some(state) = state {
        builder = builder.data(state);
    }
    builder.finish()
}

/// The SDL, as `zhanghao schema` prints it and `schema.graphql` holds it.
pub fn sdl() -> String {
    build_schema(None).sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}

/// The router state of the GraphQL routes.
pub fn http_state(app: AppState, schema: ZhanghaoSchema) -> GraphqlState {
    GraphqlState {
        app,
        schema,
        parsed: parsed::ParsedDocuments::new(PARSED_DOCUMENTS_CACHED),
    }
}
