//! AppError → GraphQL error with `extensions.code`, in the request's language.

use async_graphql::{Error as GqlError, ErrorExtensions};

use crate::error::{AppError, Lang};

tokio::task_local! {
    /// The language of the request being executed; the HTTP handler sets it
    /// around execution so `.extend()` can word errors without extra arguments.
    pub static LANG: Lang;
}

/// The current request's language (Chinese outside a request).
pub fn current_lang() -> Lang {
    LANG.try_with(|lang| *lang).unwrap_or_default()
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> GqlError {
        self.log_if_server_side();
        GqlError::new(self.message(current_lang())).extend_with(|_, ext| {
            ext.set("code", self.code());
            if let Some(field) = self.field() {
                ext.set("field", field.graphql_name());
            }
            if let Some(seconds) = self.retry_after() {
                ext.set("retryAfter", seconds);
            }
            if let AppError::NoBindUser { bind_token } = self {
                ext.set("bindToken", bind_token.as_str());
            }
        })
    }
}
