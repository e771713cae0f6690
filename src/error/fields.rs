//! The inputs an error can be about, one row each: the name GraphQL gives
//! it, its words in Chinese and English, and the Discuz! Q attribute. A new
//! field without every word does not compile.

/// Declares [`Field`] from its rows.
macro_rules! fields {
    ($(
        $(#[$doc:meta])*
        $field:ident {
            graphql: $graphql:literal,
            zh: $zh:literal,
            en: $en:literal,
            discuz: ($attribute:literal, $discuz_name:literal) $(,)?
        }
    )*) => {
        /// Which input a BAD_USER_INPUT or ACCOUNT_EXISTS is about.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Field {
            $( $(#[$doc])* $field, )*
        }

        impl Field {
            /// Every field, for tests that walk the table.
            pub const ALL: &'static [Field] = &[$(Field::$field),*];

            /// The input's name in the GraphQL schema (`extensions.field`).
            pub fn graphql_name(self) -> &'static str {
                match self { $(Field::$field => $graphql,)* }
            }

            /// The input's name in messages.
            pub fn name(self, lang: super::Lang) -> &'static str {
                match (self, lang) {
                    $( (Field::$field, super::Lang::Zh) => $zh, (Field::$field, super::Lang::En) => $en, )*
                }
            }

            /// Discuz! Q's attribute (the JSON:API pointer) and its zh-CN display name.
            pub fn discuz(self) -> (&'static str, &'static str) {
                match self { $(Field::$field => ($attribute, $discuz_name),)* }
            }
        }
    };
}

fields! {
    /// The sign-in or sign-up account: a username, mobile or email.
    Account { graphql: "account", zh: "账号", en: "account", discuz: ("mobile", "手机号") }
    Username { graphql: "username", zh: "用户名", en: "username", discuz: ("username", "用户名") }
    Mobile { graphql: "mobile", zh: "手机号", en: "mobile", discuz: ("mobile", "手机号") }
    Email { graphql: "email", zh: "邮箱", en: "email", discuz: ("data", "参数") }
    Password { graphql: "password", zh: "密码", en: "password", discuz: ("password", "密码") }
    CurrentPassword {
        graphql: "currentPassword",
        zh: "当前密码",
        en: "current password",
        discuz: ("password", "密码"),
    }
    NewPassword { graphql: "newPassword", zh: "新密码", en: "new password", discuz: ("password", "新密码") }
    PayPassword { graphql: "payPassword", zh: "支付密码", en: "pay password", discuz: ("pay_password", "支付密码") }
    PayPasswordConfirmation {
        graphql: "payPasswordConfirmation",
        zh: "确认支付密码",
        en: "pay password confirmation",
        discuz: ("pay_password_confirmation", "确认支付密码"),
    }
    /// A verification code sent by SMS or email.
    Code { graphql: "code", zh: "验证码", en: "verification code", discuz: ("code", "验证码") }
    /// `register`'s proof: the captcha answer or the code.
    Verify { graphql: "verify", zh: "验证码", en: "verification code", discuz: ("code", "验证码") }
    CaptchaId { graphql: "captchaId", zh: "图片验证码", en: "captcha", discuz: ("captcha", "图片验证码") }
    /// The typed captcha answer.
    Captcha { graphql: "captcha", zh: "图片验证码", en: "captcha", discuz: ("captcha", "图片验证码") }
    Nickname { graphql: "nickname", zh: "昵称", en: "nickname", discuz: ("data", "参数") }
    /// `updateProfile`'s avatar URL.
    Avatar { graphql: "avatar", zh: "头像地址", en: "avatar URL", discuz: ("data", "参数") }
    Birthday { graphql: "birthday", zh: "生日", en: "birthday", discuz: ("data", "参数") }
    RefreshToken { graphql: "refreshToken", zh: "刷新令牌", en: "refresh token", discuz: ("refresh_token", "刷新令牌") }
    BindToken { graphql: "bindToken", zh: "绑定凭证", en: "bind token", discuz: ("token", "token") }
    Openid { graphql: "openid", zh: "openid", en: "openid", discuz: ("data", "参数") }
    Platform { graphql: "platform", zh: "平台", en: "platform", discuz: ("data", "参数") }
    Purpose { graphql: "purpose", zh: "类型", en: "purpose", discuz: ("type", "类型") }
    /// A page size.
    First { graphql: "first", zh: "分页大小", en: "page size", discuz: ("data", "参数") }
    /// A page cursor.
    After { graphql: "after", zh: "游标", en: "cursor", discuz: ("data", "参数") }
    Id { graphql: "id", zh: "ID", en: "ID", discuz: ("data", "参数") }
    InviteCode { graphql: "inviteCode", zh: "邀请码", en: "invite code", discuz: ("inviteCode", "邀请码") }
    /// Sign in with Apple's `identityToken`.
    IdentityToken { graphql: "identityToken", zh: "身份令牌", en: "identity token", discuz: ("data", "参数") }
    /// Mini-program open data.
    EncryptedData { graphql: "encryptedData", zh: "加密数据", en: "encrypted data", discuz: ("data", "参数") }
    /// The IV of mini-program open data.
    Iv { graphql: "iv", zh: "加密向量", en: "IV", discuz: ("data", "参数") }
    /// Mini-program `getPhoneNumber` code.
    PhoneCode { graphql: "phoneCode", zh: "手机号授权码", en: "phone number code", discuz: ("data", "参数") }
    /// Where a browser sign-in returns.
    RedirectUri { graphql: "redirectUri", zh: "回调地址", en: "redirect URI", discuz: ("data", "参数") }
    /// BASE64URL(SHA-256(code verifier)) of a browser sign-in.
    CodeChallenge { graphql: "codeChallenge", zh: "校验码摘要", en: "code challenge", discuz: ("data", "参数") }
    /// The verifier the browser kept for its challenge.
    CodeVerifier { graphql: "codeVerifier", zh: "校验码", en: "code verifier", discuz: ("data", "参数") }
    /// The `state` of a browser sign-in.
    State { graphql: "state", zh: "授权状态", en: "state", discuz: ("data", "参数") }
    /// The platform's authorisation scope.
    Scope { graphql: "scope", zh: "授权范围", en: "scope", discuz: ("data", "参数") }
    /// A Sign in with Apple nonce.
    Nonce { graphql: "nonce", zh: "随机串", en: "nonce", discuz: ("data", "参数") }
    /// `disableUser`'s words for the user and the log.
    Reason { graphql: "reason", zh: "原因", en: "reason", discuz: ("data", "参数") }
    /// `disableUser`'s end of the ban.
    Until { graphql: "until", zh: "截止时间", en: "end time", discuz: ("data", "参数") }
    Role { graphql: "role", zh: "角色", en: "role", discuz: ("data", "参数") }
    /// `auditLog`'s user filter.
    UserId { graphql: "userId", zh: "用户 ID", en: "user ID", discuz: ("data", "参数") }
    /// `auditLog`'s action filter.
    Action { graphql: "action", zh: "操作", en: "action", discuz: ("data", "参数") }
    /// The carrier one-click token the provider's SDK gave the app.
    Token { graphql: "token", zh: "一键登录凭证", en: "one-click token", discuz: ("data", "参数") }
}
