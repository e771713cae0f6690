//! GraphQL output types and enums: explicit wire types built from service
//! results, never the database entities themselves.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::user::Model as UserRow;

use crate::error::AppError;
use crate::service::{self, accounts::AuthOutcome, codes::Purpose, tokens};
use crate::state::AppState;

/// How `register` proves the new account.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum RegisterMethod {
    Username,
    Sms,
    Email,
}

impl From<RegisterMethod> for service::accounts::RegisterMethod {
    fn from(m: RegisterMethod) -> Self {
        match m {
            RegisterMethod::Username => Self::Username,
            RegisterMethod::Sms => Self::Sms,
            RegisterMethod::Email => Self::Email,
        }
    }
}

/// What a code is for.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SmsPurpose {
    Register,
    Login,
    Bind,
    Rebind,
    ResetPassword,
    ResetPayPassword,
    Verify,
}

impl From<SmsPurpose> for Purpose {
    fn from(p: SmsPurpose) -> Self {
        match p {
            SmsPurpose::Register => Purpose::Register,
            SmsPurpose::Login => Purpose::Login,
            SmsPurpose::Bind => Purpose::Bind,
            SmsPurpose::Rebind => Purpose::Rebind,
            SmsPurpose::ResetPassword => Purpose::ResetPassword,
            SmsPurpose::ResetPayPassword => Purpose::ResetPayPassword,
            SmsPurpose::Verify => Purpose::Verify,
        }
    }
}

impl From<Purpose> for SmsPurpose {
    fn from(p: Purpose) -> Self {
        match p {
            Purpose::Register => SmsPurpose::Register,
            Purpose::Login => SmsPurpose::Login,
            Purpose::Bind => SmsPurpose::Bind,
            Purpose::Rebind => SmsPurpose::Rebind,
            Purpose::ResetPassword => SmsPurpose::ResetPassword,
            Purpose::ResetPayPassword => SmsPurpose::ResetPayPassword,
            Purpose::Verify => SmsPurpose::Verify,
        }
    }
}

/// Third-party platforms.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Platform {
    WxApp,
    WxPublic,
    WxSmall,
    Apple,
    Qq,
    Wb,
}

impl Platform {
    /// The wire name used in storage and by the legacy endpoint.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::WxApp => "wx_app",
            Platform::WxPublic => "wx_public",
            Platform::WxSmall => "wx_small",
            Platform::Apple => "apple",
            Platform::Qq => "qq",
            Platform::Wb => "wb",
        }
    }

    /// From the stored wire name.
    pub fn from_wire(raw: &str) -> Option<Self> {
        [
            Platform::WxApp,
            Platform::WxPublic,
            Platform::WxSmall,
            Platform::Apple,
            Platform::Qq,
            Platform::Wb,
        ]
        .into_iter()
        .find(|p| p.as_str() == raw)
    }
}

/// What a user may do.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Role {
    User,
    Admin,
}

/// Whether a user may sign in.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum UserStatus {
    Active,
    Disabled,
}

/// A user as a particular viewer may see them.
pub struct User {
    row: UserRow,
    /// The viewer is this user or an admin: private fields are shown whole.
    private_view: bool,
}

impl User {
    /// For the user themself (sign-in payloads).
    pub fn owned(row: UserRow) -> Self {
        User {
            row,
            private_view: true,
        }
    }

    /// For `viewer`, who may or may not be the user or an admin.
    pub fn seen_by(row: UserRow, viewer: Option<&UserRow>) -> Self {
        let private_view = viewer.is_some_and(|v| v.id == row.id || service::accounts::is_admin(v));
        User { row, private_view }
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }
    async fn username(&self) -> Option<&str> {
        self.row.username.as_deref()
    }
    async fn nickname(&self) -> Option<&str> {
        self.row.nickname.as_deref()
    }
    /// Whole to the user and to admins, masked (`131****0001`) to anyone else.
    async fn mobile(&self) -> Option<String> {
        let viewer = self.private_view.then_some(&self.row);
        service::accounts::visible_mobile(viewer, &self.row)
    }
    /// Whole to the user and to admins, masked to anyone else.
    async fn email(&self) -> Option<String> {
        let viewer = self.private_view.then_some(&self.row);
        service::accounts::visible_email(viewer, &self.row)
    }
    async fn avatar(&self) -> Option<&str> {
        self.row.avatar.as_deref()
    }
    async fn role(&self) -> Role {
        if service::accounts::is_admin(&self.row) {
            Role::Admin
        } else {
            Role::User
        }
    }
    async fn status(&self) -> UserStatus {
        if self.row.status == "ACTIVE" {
            UserStatus::Active
        } else {
            UserStatus::Disabled
        }
    }
    async fn has_password(&self) -> bool {
        self.row.password_hash.is_some()
    }
    async fn has_pay_password(&self) -> bool {
        self.row.pay_password_hash.is_some()
    }
    /// Platforms and times only; openids are never exposed.
    async fn bindings(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ThirdPartyBinding>> {
        use async_graphql::ErrorExtensions as _;
        let state = ctx.data::<AppState>()?;
        let rows = service::third_party::bindings_of(state, self.row.id)
            .await
            .map_err(|e| e.extend())?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                Some(ThirdPartyBinding {
                    platform: Platform::from_wire(&row.platform)?,
                    bound_at: row.created_at,
                })
            })
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.row.updated_at
    }
    async fn last_login_at(&self) -> Option<DateTime<Utc>> {
        self.row.last_login_at
    }
}

/// A platform bound to the user.
#[derive(SimpleObject)]
pub struct ThirdPartyBinding {
    pub platform: Platform,
    pub bound_at: DateTime<Utc>,
}

/// Access and refresh tokens.
#[derive(SimpleObject)]
pub struct TokenPair {
    pub token_type: String,
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: String,
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
    pub user: User,
    pub tokens: TokenPair,
    /// True when this call created the account.
    pub created: bool,
}

impl From<AuthOutcome> for AuthPayload {
    fn from(o: AuthOutcome) -> Self {
        AuthPayload {
            user: User::owned(o.user),
            tokens: o.tokens.into(),
            created: o.created,
        }
    }
}

/// An image captcha to show the user.
#[derive(SimpleObject)]
pub struct Captcha {
    pub id: ID,
    /// `data:image/png;base64,…`
    pub image: String,
    pub expires_in: i64,
}

/// A code was sent.
#[derive(SimpleObject)]
pub struct CodeSent {
    pub expires_in: i64,
    pub resend_after: i64,
}

/// One signed-in device (a refresh-token family).
#[derive(SimpleObject)]
pub struct Session {
    pub id: ID,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A page of users.
#[derive(SimpleObject)]
pub struct UserConnection {
    pub edges: Vec<UserEdge>,
    pub page_info: PageInfo,
    pub total_count: i64,
}

/// A user and its cursor.
#[derive(SimpleObject)]
pub struct UserEdge {
    pub cursor: String,
    pub node: User,
}

/// Where the page ends.
#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// The result of `verifySms`.
#[derive(SimpleObject)]
pub struct VerifySmsPayload {
    pub purpose: SmsPurpose,
    pub user: Option<User>,
    /// Only for LOGIN.
    pub tokens: Option<TokenPair>,
    pub created: bool,
}

/// Turns an ID argument into a user id, or BAD_USER_INPUT.
pub fn parse_user_id(id: &ID) -> Result<i64, AppError> {
    id.parse::<i64>()
        .map_err(|_| AppError::bad("id", crate::error::InputProblem::Malformed))
}

/// Opaque cursor of a user id.
pub fn cursor_of(id: i64) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("user:{id}"))
}

/// The user id in a cursor, or BAD_USER_INPUT.
pub fn parse_cursor(cursor: &str) -> Result<i64, AppError> {
    use base64::Engine as _;
    let bad = || AppError::bad("after", crate::error::InputProblem::Malformed);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix("user:")
        .and_then(|id| id.parse().ok())
        .ok_or_else(bad)
}
