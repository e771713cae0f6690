//! The one error table: every domain error, its GraphQL code, its messages,
//! and how each legacy REST system spells it.

/// The language of messages, from `Accept-Language`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// `en…` first in `Accept-Language` means English; anything else Chinese.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let first = header
            .and_then(|h| h.split(',').next())
            .map(|tag| tag.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if first.starts_with("en") { Lang::En } else { Lang::Zh }
    }
}

/// Everything that can go wrong in an account operation. Deliberately not
/// `Display`: a resolver cannot `?` it into a GraphQL error and lose its
/// `extensions.code`; it must go through `.extend()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    BadUserInput {
        field: Field,
        reason: InputProblem,
    },
    CaptchaInvalid,
    /// No live captcha of that id: unknown, used or expired.
    CaptchaExpired,
    /// This send needs a solved captcha first (`ZHANGHAO_SEND_CAPTCHA`).
    CaptchaRequired,
    /// A live code was presented with another value.
    CodeInvalid,
    /// No live code: never sent, expired, burnt or already used.
    CodeExpired,
    TooManyAttempts {
        retry_after: u64,
    },
    /// The try that burned a code (the last allowed wrong one): waiting does
    /// not help, only a new code does.
    CodeBurned,
    RateLimited {
        retry_after: u64,
    },
    AccountExists {
        field: Field,
    },
    NoBindUser {
        bind_token: String,
    },
    InvalidCredentials,
    Unauthenticated,
    Forbidden,
    NotFound,
    AlreadyBound,
    AccountDisabled,
    RegistrationClosed,
    /// A provider or the database is unreachable; the detail is logged only.
    ServiceUnavailable(String),
    /// The global SMS budget (`ZHANGHAO_SMS_BUDGET_HOURLY` / `_DAILY`) is spent.
    SmsBudgetSpent {
        retry_after: u64,
    },
    /// A bug or an unexpected state; the detail is logged only.
    Internal(String),
}

/// Why an input was refused, so each front door can word it its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputProblem {
    Missing,
    Malformed,
    TooShort(usize),
    TooLong(usize),
    TooCommon,
    Mismatch,
    NotSixDigits,
    SameAsBefore,
    NotAllowed,
    /// A valid number that may not receive SMS here: outside
    /// `ZHANGHAO_SMS_REGIONS`, or a landline, premium or shared-cost number.
    NoSms,
    ExpiredOrUsed,
    /// REBIND or `setPassword` outside the window a VERIFY code (SMS or
    /// email) opens.
    NeedsVerify,
    /// Unbinding would leave the account with no way to sign in.
    LastSignInMethod,
    /// The change would leave no ADMIN (or lock the acting ADMIN out).
    LastAdmin,
    /// A time that has already passed where a future one is needed.
    NotInFuture,
}

impl AppError {
    /// Shorthand for the most common refusal.
    pub fn bad(field: Field, reason: InputProblem) -> Self {
        AppError::BadUserInput { field, reason }
    }

    /// Its row of the error table.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AppError::BadUserInput { .. } => ErrorKind::BadUserInput,
            AppError::CaptchaInvalid => ErrorKind::CaptchaInvalid,
            AppError::CaptchaExpired => ErrorKind::CaptchaExpired,
            AppError::CaptchaRequired => ErrorKind::CaptchaRequired,
            AppError::CodeInvalid => ErrorKind::CodeInvalid,
            AppError::CodeExpired => ErrorKind::CodeExpired,
            AppError::TooManyAttempts { .. } => ErrorKind::TooManyAttempts,
            AppError::CodeBurned => ErrorKind::CodeBurned,
            AppError::RateLimited { .. } => ErrorKind::RateLimited,
            AppError::AccountExists { .. } => ErrorKind::AccountExists,
            AppError::NoBindUser { .. } => ErrorKind::NoBindUser,
            AppError::InvalidCredentials => ErrorKind::InvalidCredentials,
            AppError::Unauthenticated => ErrorKind::Unauthenticated,
            AppError::Forbidden => ErrorKind::Forbidden,
            AppError::NotFound => ErrorKind::NotFound,
            AppError::AlreadyBound => ErrorKind::AlreadyBound,
            AppError::AccountDisabled => ErrorKind::AccountDisabled,
            AppError::RegistrationClosed => ErrorKind::RegistrationClosed,
            AppError::ServiceUnavailable(_) => ErrorKind::ServiceUnavailable,
            AppError::SmsBudgetSpent { .. } => ErrorKind::SmsBudgetSpent,
            AppError::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The `extensions.code` of GraphQL errors.
    pub fn code(&self) -> &'static str {
        self.kind().row().graphql_code
    }

    /// The client-facing message; never includes internal causes.
    pub fn message(&self, lang: Lang) -> String {
        let row = self.kind().row();
        let template = match lang {
            Lang::Zh => row.zh,
            Lang::En => row.en,
        };
        self.fill(template, lang)
    }

    /// A row's words with this error's values in place of the placeholders.
    pub(crate) fn fill(&self, template: &str, lang: Lang) -> String {
        let mut text = template.to_string();
        if let Some(seconds) = self.retry_after() {
            text = text.replace("{retry_after}", &seconds.to_string());
        }
        if let Some(field) = self.field() {
            text = text
                .replace("{field}", field.name(lang))
                .replace("{discuz_field}", field.discuz().1);
        }
        if let AppError::BadUserInput { field, reason } = self {
            text = text.replace("{input}", &input_message(*field, *reason, lang));
        }
        text
    }

    /// For logs: the code and the English message, or the hidden cause.
    pub fn describe(&self) -> String {
        match self {
            AppError::Internal(cause) | AppError::ServiceUnavailable(cause) => format!("{}: {cause}", self.code()),
            _ => format!("{}: {}", self.code(), self.message(Lang::En)),
        }
    }

    /// `field` of BAD_USER_INPUT and ACCOUNT_EXISTS, as the GraphQL input names it.
    pub fn field(&self) -> Option<Field> {
        match self {
            AppError::BadUserInput { field, .. } | AppError::AccountExists { field } => Some(*field),
            _ => None,
        }
    }

    /// Seconds the client should wait, for the limit errors.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyAttempts { retry_after }
            | AppError::RateLimited { retry_after }
            | AppError::SmsBudgetSpent { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// Logs the hidden cause of server-side errors once, where they surface.
    pub fn log_if_server_side(&self) {
        match self {
            AppError::Internal(cause) => tracing::error!(%cause, "internal error"),
            AppError::ServiceUnavailable(cause) => tracing::warn!(%cause, "service unavailable"),
            _ => {}
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        use sea_orm::sqlx::Error as Sqlx;
        use sea_orm::{DbErr, RuntimeErr};
        // A database that is down or unreachable, however the driver says so
        // (a lost connection mid-query included), is SERVICE_UNAVAILABLE:
        // the client may retry. Anything else is our bug: INTERNAL.
        let unavailable = match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
            DbErr::Exec(RuntimeErr::SqlxError(cause)) | DbErr::Query(RuntimeErr::SqlxError(cause)) => matches!(
                **cause,
                Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed | Sqlx::Tls(_)
            ),
            _ => false,
        };
        if unavailable {
            AppError::ServiceUnavailable(format!("database: {err}"))
        } else {
            AppError::Internal(format!("database: {err}"))
        }
    }
}

mod fields;
mod table;
mod words;
pub use fields::Field;
pub use table::{DiscuzDetail, ErrorKind, LegacyWords, Row};
use words::input_message;

mod legacy;
pub use legacy::{DiscuzError, ShopxoAccount, ShopxoError};

#[cfg(test)]
mod tests;
