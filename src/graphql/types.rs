//! GraphQL output types and enums: explicit wire types built from service
//! results, never the database entities themselves.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain;
use crate::error::{AppError, Field};
use crate::service::privacy::{Audience, visible_email, visible_mobile};
use crate::service::verification::VerifyOutcome;
use crate::service::{self, accounts::AuthOutcome, tokens};
use crate::state::AppState;

mod audit;
mod date;
mod enums;
mod history;
mod pages;
mod user_reads;
pub use audit::{AUDIT_EVENT_CURSOR, AuditEvent, AuditEventConnection, AuditEventEdge};
pub use date::Date;
pub use enums::{Gender, OneClickProvider, Platform, RegisterMethod, Role, SmsPurpose, UserStatus};
pub use history::{LOGIN_EVENT_CURSOR, LoginEvent, LoginEventConnection, LoginEventEdge};
pub use pages::{PageInfo, Session, UserConnection, UserEdge};

/// A user as a particular viewer may see them.
pub struct User {
    row: domain::User,
    /// Who is looking, which decides what is shown whole.
    audience: Audience,
    /// True in a payload that has just signed this user in: the request
    /// carried no token, yet the reader holds this user's new session, so
    /// `sessions` and `loginHistory` are theirs to read.
    just_signed_in: bool,
}

impl User {
    /// For the user themself: the result of their own change, or of a code
    /// they proved (a reset by SMS shows the whole mobile it was sent to).
    pub fn owned(row: domain::User) -> Self {
        User {
            row,
            audience: Audience::Owner,
            just_signed_in: false,
        }
    }

    /// For the user of a payload that carries their new tokens.
    pub fn signed_in(row: domain::User) -> Self {
        User {
            just_signed_in: true,
            ..User::owned(row)
        }
    }

    /// The user, when the payload signed them in; otherwise the request's
    /// viewer decides who may read their sessions (a code proves a mobile,
    /// not the right to read the account's sessions).
    fn owner(&self) -> Option<&domain::User> {
        self.just_signed_in.then_some(&self.row)
    }

    /// For `viewer`, who may or may not be the user or an admin.
    pub fn seen_by(row: domain::User, viewer: Option<&domain::User>) -> Self {
        let audience = Audience::of(viewer, &row);
        User {
            row,
            audience,
            just_signed_in: false,
        }
    }
}

/// A user account as the viewer may see it: mobile and email are whole only to the user and to ADMINs.
#[Object]
impl User {
    /// The user's stable numeric id, as a string.
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }
    /// The username (2 to 18 letters, digits or underscores, as typed); null for accounts signed up another way.
    async fn username(&self) -> Option<&str> {
        self.row.username.as_deref()
    }
    /// The display name, up to 32 characters; null when none was given.
    async fn nickname(&self) -> Option<&str> {
        self.row.nickname.as_deref()
    }
    /// Whole to the user and to admins (`13113690001` for mainland numbers, E.164 otherwise), masked
    /// (`131****0001`) to anyone else; null when the account has no mobile.
    async fn mobile(&self) -> Option<String> {
        visible_mobile(self.audience, &self.row)
    }
    /// Whole to the user and to admins, masked (`a***@example.cn`) to anyone else; null when the account has no email.
    async fn email(&self) -> Option<String> {
        visible_email(self.audience, &self.row)
    }
    /// The URL of the avatar image (`https://`); null when the user has none.
    async fn avatar(&self) -> Option<&str> {
        self.row.avatar.as_deref()
    }
    /// The gender the user gave; UNKNOWN until they give one.
    async fn gender(&self) -> Gender {
        self.row.gender.into()
    }
    /// The birthday the user gave; null when none.
    async fn birthday(&self) -> Option<Date> {
        self.row.birthday.map(Date)
    }
    /// What the user may do.
    async fn role(&self) -> Role {
        self.row.role.into()
    }
    /// Whether the user may sign in (ACTIVE, PENDING_DELETION; a ban whose `disabledUntil` has passed reads ACTIVE), is banned, or was deleted.
    async fn status(&self, ctx: &Context<'_>) -> UserStatus {
        match ctx.data_opt::<AppState>() {
            Some(state) => self.row.status_at(state.clock.now()).into(),
            None => self.row.status.into(),
        }
    }
    /// The operator's reason for disabling the account; to the user and to admins only, else null.
    async fn disabled_reason(&self) -> Option<&str> {
        let shown = !matches!(self.audience, Audience::Other) && !self.row.may_sign_in();
        self.row.disabled_reason.as_deref().filter(|_| shown)
    }
    /// When a disabled account may sign in again; null while it is active or disabled until enabled.
    async fn disabled_until(&self) -> Option<DateTime<Utc>> {
        self.row
            .disabled_until
            .filter(|_| !matches!(self.audience, Audience::Other))
    }
    /// Sign-in attempts on this account, newest first (the user themself or an ADMIN; else FORBIDDEN).
    async fn login_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(20)", desc = "How many attempts to return, 1 to 100.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor: the `endCursor` of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<LoginEventConnection> {
        user_reads::login_history(ctx, self.owner(), self.row.id, first, after).await
    }
    /// The account's live sessions (the user themself or an ADMIN; else FORBIDDEN).
    async fn sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Session>> {
        user_reads::sessions(ctx, self.owner(), self.row.id).await
    }
    /// True when the account has a login password (accounts made by SMS or a platform may not).
    async fn has_password(&self) -> bool {
        self.row.has_password
    }
    /// True when a pay password is set (with `verifySms` purpose RESET_PAY_PASSWORD).
    async fn has_pay_password(&self) -> bool {
        self.row.has_pay_password
    }
    /// Platforms and times only; openids are never exposed.
    async fn bindings(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ThirdPartyBinding>> {
        use async_graphql::ErrorExtensions as _;
        let state = ctx.data::<AppState>()?;
        let bound = state
            .services
            .third_party
            .bindings_of(self.row.id)
            .await
            .map_err(|e| e.extend())?;
        Ok(bound
            .into_iter()
            .map(|b| ThirdPartyBinding {
                platform: b.platform.into(),
                bound_at: b.bound_at,
            })
            .collect())
    }
    /// When the account was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    /// When the account was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.row.updated_at
    }
    /// When the user last signed in (refreshing tokens does not count); null if they never have.
    async fn last_login_at(&self) -> Option<DateTime<Utc>> {
        self.row.last_login_at
    }
    /// PENDING_DELETION: when the account will be anonymised unless `cancelAccountDeletion` comes first.
    async fn deletion_scheduled_at(&self) -> Option<DateTime<Utc>> {
        self.row.deletion_scheduled_at
    }
}

/// A platform bound to the user.
#[derive(SimpleObject)]
pub struct ThirdPartyBinding {
    /// The bound platform (at most one binding per platform).
    pub platform: Platform,
    /// When the platform identity was bound to the user.
    pub bound_at: DateTime<Utc>,
}

/// Access and refresh tokens.
#[derive(SimpleObject)]
pub struct TokenPair {
    /// Always `Bearer`: send `Authorization: Bearer <accessToken>`.
    pub token_type: String,
    /// A JWT to send as the bearer token; valid for `expiresIn` seconds.
    pub access_token: String,
    /// Seconds until `accessToken` expires (3600 by default).
    pub expires_in: i64,
    /// An opaque token for the `refreshToken` mutation; single use: each use returns a new one, and reusing
    /// an old one ends the session.
    pub refresh_token: String,
    /// Seconds until `refreshToken` expires unless used first (30 days by default).
    pub refresh_expires_in: i64,
}

impl From<tokens::TokenPair> for TokenPair {
    fn from(t: tokens::TokenPair) -> Self {
        TokenPair {
            token_type: "Bearer".into(),
            access_token: t.access_token,
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
            refresh_expires_in: t.refresh_expires_in,
        }
    }
}

/// A signed-in user with tokens.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// The signed-in user, with mobile and email whole.
    pub user: User,
    /// The tokens of the session this call started or refreshed.
    pub tokens: TokenPair,
    /// True when this call created the account.
    pub created: bool,
}

impl From<AuthOutcome> for AuthPayload {
    fn from(o: AuthOutcome) -> Self {
        AuthPayload {
            user: User::signed_in(o.user),
            tokens: o.tokens.into(),
            created: o.created,
        }
    }
}

/// An image captcha to show the user.
#[derive(SimpleObject)]
pub struct Captcha {
    /// Pass as `captchaId` to `register`, with the answer in `verify`; each captcha is checked only once.
    pub id: ID,
    /// `data:image/png;base64,…`: a PNG of four characters, which the user may type in any letter case.
    pub image: String,
    /// Seconds until the captcha expires (300 by default).
    pub expires_in: i64,
}

/// Where to send the browser to start a platform sign-in.
#[derive(SimpleObject)]
pub struct AuthorizeUrl {
    /// The platform's authorize page, with our app id, the redirect URI, the scope and the state.
    pub url: String,
    /// The single-use state in `url` (up to 128 characters of `[A-Za-z0-9]`); it comes back on the redirect.
    pub state: String,
    /// Seconds the browser has to come back (600).
    pub expires_in: i64,
}

impl From<service::third_party::AuthorizeUrl> for AuthorizeUrl {
    fn from(url: service::third_party::AuthorizeUrl) -> Self {
        AuthorizeUrl {
            url: url.url,
            state: url.state,
            expires_in: url.expires_in,
        }
    }
}

/// A code was sent.
#[derive(SimpleObject)]
pub struct CodeSent {
    /// Seconds the 6-digit code stays valid (300 by default); by default five wrong tries burn it.
    pub expires_in: i64,
    /// Seconds until another code may be sent to this mobile or email (60 by default; 0 when no wait applies).
    pub resend_after: i64,
}

impl From<service::codes::CodeSent> for CodeSent {
    fn from(sent: service::codes::CodeSent) -> Self {
        CodeSent {
            expires_in: sent.expires_in,
            resend_after: sent.resend_after,
        }
    }
}

/// The result of `verifySms` and `verifyEmail`.
#[derive(SimpleObject)]
pub struct VerifySmsPayload {
    /// The purpose that was carried out, as given in the input.
    pub purpose: SmsPurpose,
    /// The user the code was for, as the purpose left them.
    pub user: Option<User>,
    /// Only for LOGIN: the tokens of the new session; null for every other purpose.
    pub tokens: Option<TokenPair>,
    /// True when a LOGIN created the account.
    pub created: bool,
}

impl From<VerifyOutcome> for VerifySmsPayload {
    fn from(outcome: VerifyOutcome) -> Self {
        match outcome {
            VerifyOutcome::SignedIn(signed_in) => VerifySmsPayload {
                purpose: service::codes::Purpose::Login.into(),
                user: Some(User::signed_in(signed_in.user)),
                tokens: Some(signed_in.tokens.into()),
                created: signed_in.created,
            },
            VerifyOutcome::Done { purpose, user } => VerifySmsPayload {
                purpose: purpose.into(),
                user: Some(User::owned(user)),
                tokens: None,
                created: false,
            },
        }
    }
}

/// Turns an ID argument into a user id, or BAD_USER_INPUT.
pub fn parse_user_id(id: &ID) -> Result<i64, AppError> {
    id.parse::<i64>()
        .map_err(|_| AppError::bad(Field::Id, crate::error::InputProblem::Malformed))
}

/// Opaque cursor of a user id.
pub fn cursor_of(id: i64) -> String {
    cursor_with("user", id)
}

/// The user id in a cursor, or BAD_USER_INPUT.
pub fn parse_cursor(cursor: &str) -> Result<i64, AppError> {
    parse_cursor_of("user", cursor)
}

/// Opaque cursor of the row `id` of a `kind` of list.
pub fn cursor_with(kind: &str, id: i64) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

/// The row id in a cursor of a `kind` of list, or BAD_USER_INPUT on `after`.
pub fn parse_cursor_of(kind: &str, cursor: &str) -> Result<i64, AppError> {
    use base64::Engine as _;
    let bad = || AppError::bad(Field::After, crate::error::InputProblem::Malformed);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|id| id.parse().ok())
        .ok_or_else(bad)
}
