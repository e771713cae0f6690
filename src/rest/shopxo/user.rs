//! ShopXO's user object, the `data` of a successful `user/reg`: built
//! field by field from our user row, never the row itself.

use crate::domain::{Gender, User};
use serde::Serialize;
use utoipa::ToSchema;

use crate::rest::beijing_text;
use crate::service::tokens::TokenPair;

/// ShopXO's own default avatar (`static/index/default/images/default-user-avatar.jpg`),
/// for a user without one. The seed shows it on its demo host; relative
/// here, so it names the same file on the ShopXO site that the legacy paths
/// are served under, and no host needs configuring.
pub const DEFAULT_AVATAR: &str = "/static/index/default/images/default-user-avatar.jpg";

/// The user row as ShopXO returns it (all strings, as PHP's PDO gave them).
/// Openids are never exposed, so ShopXO's `*_openid` fields are always "".
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ShopxoUser {
    #[schema(example = "469")]
    pub id: String,
    /// `8888` + the id padded to ten digits: stable, unlike ShopXO's random middle.
    #[schema(example = "88880000000469")]
    pub number_code: String,
    pub system_type: String,
    pub alipay_openid: String,
    pub weixin_openid: String,
    pub weixin_unionid: String,
    pub weixin_web_openid: String,
    pub baidu_openid: String,
    pub toutiao_openid: String,
    pub toutiao_unionid: String,
    pub qq_openid: String,
    pub qq_unionid: String,
    pub kuaishou_openid: String,
    /// "0" active, "2" banned from signing in.
    pub status: String,
    /// Our access token (a JWT); it works on every other path and on GraphQL.
    pub token: String,
    /// Not in ShopXO: the refresh token, for `POST /api/refresh-token`.
    pub refresh_token: String,
    /// Not in ShopXO (its tokens never expired): seconds the access token lives.
    pub expires_in: i64,
    pub username: String,
    pub nickname: String,
    /// The 11-digit national number for mainland mobiles.
    pub mobile: String,
    pub email: String,
    pub gender: String,
    /// The user's avatar, else ShopXO's default image
    /// (`/static/index/default/images/default-user-avatar.jpg`).
    pub avatar: String,
    pub province: String,
    pub city: String,
    pub county: String,
    pub birthday: String,
    pub address: String,
    pub integral: String,
    pub locking_integral: String,
    pub referrer: String,
    pub plugins_user_level: String,
    pub plugins_distribution_level: String,
    pub is_delete_time: String,
    /// Unix seconds.
    pub add_time: String,
    pub upd_time: String,
    /// `Y-m-d H:i:s`, Beijing time.
    pub add_time_text: String,
    pub upd_time_text: String,
    /// 保密 / 女 / 男.
    pub gender_text: String,
    /// First three + `***` + last three.
    pub mobile_security: String,
    pub email_security: String,
    pub address_info: String,
    /// username, else nickname, else mobile_security, else email_security.
    pub user_name_view: String,
    pub is_mandatory_bind_mobile: i32,
}

impl ShopxoUser {
    /// The signed-in user with their fresh tokens.
    pub fn new(user: &User, tokens: &TokenPair) -> Self {
        let mobile = user
            .mobile
            .as_ref()
            .map(|m| m.national().to_string())
            .unwrap_or_default();
        let email = user.email.as_ref().map(|e| e.as_str().to_string()).unwrap_or_default();
        let username = user.username.clone().unwrap_or_default();
        let nickname = user.nickname.clone().unwrap_or_default();
        let mobile_security = security(&mobile);
        let email_security = security(&email);
        let user_name_view = [&username, &nickname, &mobile_security, &email_security]
            .into_iter()
            .find(|v| !v.is_empty())
            .cloned()
            .unwrap_or_default();
        let (gender, gender_text) = match user.gender {
            Gender::Female => (1, "女"),
            Gender::Male => (2, "男"),
            Gender::Unknown => (0, "保密"),
        };
        ShopxoUser {
            id: user.id.to_string(),
            number_code: format!("8888{:010}", user.id),
            system_type: "default".into(),
            status: if user.may_sign_in() { "0" } else { "2" }.into(),
            token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            expires_in: tokens.expires_in,
            username,
            nickname,
            mobile,
            email,
            gender: gender.to_string(),
            avatar: user
                .avatar
                .clone()
                .filter(|a| !a.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_AVATAR.into()),
            integral: "0".into(),
            locking_integral: "0".into(),
            referrer: user.referrer_id.unwrap_or(0).to_string(),
            plugins_user_level: "0".into(),
            plugins_distribution_level: "0".into(),
            is_delete_time: "0".into(),
            add_time: user.created_at.timestamp().to_string(),
            upd_time: user.updated_at.timestamp().to_string(),
            add_time_text: beijing_text(user.created_at),
            upd_time_text: beijing_text(user.updated_at),
            gender_text: gender_text.into(),
            mobile_security,
            email_security,
            user_name_view,
            // The openids, address and profile fields ShopXO has and we do not keep: "".
            ..Default::default()
        }
    }
}

/// ShopXO's masking: the first three and last three characters around `***`.
fn security(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    if chars.len() <= 6 {
        return format!("{}***", chars.iter().take(1).collect::<String>());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}***{tail}")
}

#[cfg(test)]
mod tests {
    use super::security;

    #[test]
    fn masks_like_shopxo() {
        assert_eq!(security("13113690001"), "131***001");
        assert_eq!(security("ab@c.cn"), "ab@***.cn");
        assert_eq!(security(""), "");
        assert_eq!(security("abc"), "a***");
    }
}
