//! Parsed documents kept per node, by their text. Apps send the same few
//! operations over and over, only their variables change, and parsing one
//! (async-graphql's pest grammar) costs more CPU than cloning the result.
//! The HTTP layer attaches the document to the request before it names the
//! operation for the metrics and before execution, which then parses
//! nothing; every extension's checks still see each request's document.
//! Only what parsed is kept: a failure is parsed (and answered) anew.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

/// Longer texts are parsed every time: the cache is for an app's own
/// operations, and this bounds what a client sending one-off texts can make
/// the node hold (a parsed document is several times its text).
pub const LONGEST_KEPT: usize = 4 * 1024;

/// The cache; its clones share it.
#[derive(Clone)]
pub struct ParsedDocuments {
    /// Shared documents, so a hit holds the lock only to count a reference
    /// and deep-copies outside it.
    cache: Arc<Mutex<LruCache<String, Arc<ExecutableDocument>>>>,
    /// Texts parsed (not found in the cache) so far.
    parses: Arc<AtomicUsize>,
}

impl ParsedDocuments {
    /// Keeps the `capacity` texts parsed most recently.
    pub fn new(capacity: NonZeroUsize) -> Self {
        ParsedDocuments {
            cache: Arc::new(Mutex::new(LruCache::new(capacity))),
            parses: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Gives `request` the document of its text, kept or parsed now; leaves
    /// a text that does not parse to execution, which reports the error.
    pub fn attach(&self, request: &mut Request) {
        let kept = self.lock().get(request.query.as_str()).cloned();
        if let Some(document) = kept {
            request.set_parsed_query(ExecutableDocument::clone(&document));
            return;
        }
        self.parses.fetch_add(1, Ordering::Relaxed);
        let keep = request.query.len() <= LONGEST_KEPT;
        let Ok(document) = request.parsed_query() else {
            return;
        };
        if keep {
            let document = Arc::new(document.clone());
            self.lock().put(request.query.clone(), document);
        }
    }

    fn lock(&self) -> MutexGuard<'_, LruCache<String, Arc<ExecutableDocument>>> {
        // A panic while holding the lock leaves a consistent cache behind.
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::num::NonZeroUsize;
    use std::sync::atomic::Ordering;

    use async_graphql::{EmptyMutation, EmptySubscription, Object, Request, Schema, Variables};
    use serde_json::json;

    use super::{LONGEST_KEPT, ParsedDocuments};

    struct Root;

    #[Object]
    impl Root {
        async fn echo(&self, text: String) -> String {
            text
        }
        async fn answer(&self) -> i32 {
            42
        }
    }

    struct Setup {
        parsed: ParsedDocuments,
        schema: Schema<Root, EmptyMutation, EmptySubscription>,
    }

    impl Setup {
        fn new(capacity: usize) -> Self {
            Setup {
                parsed: ParsedDocuments::new(NonZeroUsize::new(capacity).unwrap()),
                schema: Schema::new(Root, EmptyMutation, EmptySubscription),
            }
        }

        async fn run(&self, mut request: Request) -> async_graphql::Response {
            self.parsed.attach(&mut request);
            self.schema.execute(request).await
        }

        fn parses(&self) -> usize {
            self.parsed.parses.load(Ordering::Relaxed)
        }

        fn kept(&self) -> usize {
            self.parsed.lock().len()
        }
    }

    #[tokio::test]
    async fn a_text_is_parsed_once_and_answers_alike_with_other_variables() {
        let setup = Setup::new(8);
        let query = "query($t: String!) { echo(text: $t) }";
        for text in ["one", "two"] {
            let request = Request::new(query).variables(Variables::from_json(json!({ "t": text })));
            let answer = setup.run(request).await.into_result().unwrap();
            assert_eq!(answer.data.into_json().unwrap(), json!({ "echo": text }));
        }
        assert_eq!(setup.parses(), 1, "the second request found the first's document");

        let other = setup.run(Request::new("{ answer }")).await.into_result().unwrap();
        assert_eq!(other.data.into_json().unwrap(), json!({ "answer": 42 }));
        assert_eq!((setup.parses(), setup.kept()), (2, 2), "another text, another document");
    }

    #[tokio::test]
    async fn failures_and_long_texts_are_not_kept() {
        let setup = Setup::new(8);
        for _ in 0..2 {
            let errors = setup.run(Request::new("{ answer")).await.errors;
            assert_eq!(errors.len(), 1, "a parse error each time: {errors:?}");
        }
        let long = format!("{{ answer }}{}", " ".repeat(LONGEST_KEPT));
        for _ in 0..2 {
            setup.run(Request::new(long.as_str())).await.into_result().unwrap();
        }
        assert_eq!((setup.parses(), setup.kept()), (4, 0), "every one parsed, none kept");
    }

    #[tokio::test]
    async fn only_the_most_recent_texts_are_kept() {
        let setup = Setup::new(2);
        for query in [
            "{ answer }",
            "{ a: answer }",
            "{ b: answer }",
            "{ b: answer }",
            "{ answer }",
        ] {
            setup.run(Request::new(query)).await.into_result().unwrap();
            assert!(setup.kept() <= 2);
        }
        assert_eq!(setup.parses(), 4, "the first text had been let go, the third was kept");
    }
}
