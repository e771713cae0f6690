//! Verified platform sign-in (`thirdPartyLogin`): the server exchanges the
//! platform credential itself, so the openid is proven, not claimed.
//!
//! In order: a bound identity signs in; an identity whose unionid is already
//! on one of the user's other apps of the same open-platform account joins
//! that user; a mini-program user with a WeChat-verified phone number signs
//! in (or registers) by that number; anyone else gets NO_BIND_USER with a
//! `bindToken` carrying the verified identity.

use secrecy::ExposeSecret;
use serde_json::Value;

use super::browser::BrowserReturn;
use super::{Owner, PlatformLoginRequest, ThirdParty};
use crate::domain::{Mobile, User};
use crate::error::{AppError, Field, InputProblem};
use crate::metrics::SignInMethod;
use crate::platforms::{Platform, PlatformCredential, PlatformError, VerifiedIdentity, decrypt_mini_program_data};
use crate::service::accounts::AuthOutcome;
use crate::service::bindings::{self, Identity};
use crate::service::rules::Entering;
use crate::service::{RequestMeta, limits};
use crate::store::{self, tickets::NewTicket, users::NewUser};

/// Verified sign-ins per client IP per hour. Each one costs a call to the
/// platform, which rate-limits our app as a whole; generous, because many
/// Chinese mobile users share one carrier-grade NAT address.
const LOGINS_PER_IP_HOURLY: u32 = 300;

/// Mini-program extras, checked for shape before the platform is called.
struct Extras {
    encrypted: Option<(String, String)>,
    phone_code: Option<String>,
}

impl ThirdParty {
    /// Signs in with a credential the platform vouches for; see the module docs
    /// for the order of outcomes.
    pub async fn login_with_platform(
        &self,
        req: PlatformLoginRequest,
        meta: &RequestMeta,
    ) -> Result<AuthOutcome, AppError> {
        let result = self.sign_in_with_platform(req, meta).await;
        self.sign_ins
            .record(SignInMethod::ThirdParty, None, meta, &result)
            .await;
        result
    }

    async fn sign_in_with_platform(
        &self,
        req: PlatformLoginRequest,
        meta: &RequestMeta,
    ) -> Result<AuthOutcome, AppError> {
        let platform = req.platform;
        let (credential, field, extras) = self.presented(&req, meta).await?;
        let verified = self
            .platforms
            .verify(platform, &credential)
            .await
            .map_err(|e| platform_error(e, field))?;
        let mut identity = Identity {
            platform,
            // The configured key, not the verified app id: for Apple the token's
            // audience may be any of our client ids, and its `sub` is the same for all.
            app_id: self.apps.app_id(platform),
            openid: verified.openid.clone(),
            unionid: verified.unionid.clone(),
            verified: true,
            revocation: verified.revocation.clone(),
        };
        let mut verified_phone = None;
        if let Some((data, iv)) = &extras.encrypted {
            let open_data = open_data(&verified, data, iv)?;
            identity.unionid = identity.unionid.or(open_data.unionid);
            verified_phone = open_data.phone;
        }

        // Only a verified binding signs in: a claimed one (seed flow) may be
        // someone else's squat on this openid, so the phone decides instead.
        if let Some(user) = self.verified_owner(&identity).await? {
            return self
                .accounts
                .sign_in(user, None, meta, None, SignInMethod::ThirdParty)
                .await;
        }
        if let Some(user) = self.unionid_owner(platform, identity.unionid.as_deref()).await? {
            return self
                .bind_and_sign_in(Owner::Existing(Box::new(user)), &identity, meta, None)
                .await;
        }
        if let Some(code) = &extras.phone_code {
            let phone = self
                .platforms
                .mini_program_phone(code)
                .await
                .map_err(|e| platform_error(e, Field::PhoneCode))?;
            verified_phone = Some(phone);
        }
        if let Some(phone) = verified_phone {
            let mobile = Mobile::parse(&phone, self.rules.region).ok_or_else(|| {
                AppError::ServiceUnavailable(format!("WeChat gave an unusable phone number ({} chars)", phone.len()))
            })?;
            return self.sign_in_by_phone(mobile, &identity, meta).await;
        }
        Err(self.no_bind_user(identity).await?)
    }

    /// The credential to send the platform, checked for shape first; a browser
    /// flow's state is spent (and checked) only after the IP was charged.
    async fn presented(
        &self,
        req: &PlatformLoginRequest,
        meta: &RequestMeta,
    ) -> Result<(PlatformCredential, Field, Extras), AppError> {
        let platform = req.platform;
        let browser = BrowserReturn::parse(req)?;
        let native = match browser {
            Some(_) => None,
            None => Some(credential(platform, req)?),
        };
        let extras = extras(platform, req)?;
        self.charge_platform_login(meta).await?;
        let (credential, field) = match (native, browser) {
            (Some(native), _) => native,
            (None, Some(browser)) => (self.redeem_state(platform, browser).await?, Field::Code),
            (None, None) => return Err(AppError::Internal("neither a native nor a browser credential".into())),
        };
        Ok((credential, field, extras))
    }

    /// Charges a verified sign-in to the client IP, before the platform is called.
    async fn charge_platform_login(&self, meta: &RequestMeta) -> Result<(), AppError> {
        let Some(ip) = meta.ip else {
            return Ok(());
        };
        let key = format!("platform-login:ip:{}", limits::ip_key(ip));
        self.limits.hit(&key, 3600, LOGINS_PER_IP_HOURLY).await
    }

    /// The owner of the identity's verified binding, if it has one.
    async fn verified_owner(&self, identity: &Identity) -> Result<Option<User>, AppError> {
        let bound =
            store::bindings::by_identity(&self.db, identity.platform.as_str(), &identity.app_id, &identity.openid)
                .await?;
        match bound {
            Some(bound) if bound.verified => {
                let user = store::users::by_id(&self.db, bound.user_id)
                    .await?
                    .ok_or_else(|| AppError::Internal(format!("binding {} has no user", bound.id)))?;
                Ok(Some(user))
            }
            _ => Ok(None),
        }
    }

    /// NO_BIND_USER with a ticket carrying the verified identity, for a
    /// later register or sign-in to attach.
    async fn no_bind_user(&self, identity: Identity) -> Result<AppError, AppError> {
        let ticket = NewTicket {
            platform: Some(identity.platform.as_str().to_string()),
            app_id: Some(identity.app_id),
            openid: Some(identity.openid),
            unionid: identity.unionid,
            revocation: identity.revocation,
            ..Default::default()
        };
        Ok(AppError::NoBindUser {
            bind_token: self.tickets.issue(ticket).await?,
        })
    }

    /// The user who already has another app of the same open-platform account
    /// with this unionid. WeChat unionids join the three WeChat platforms; QQ's
    /// are another namespace and never join a WeChat binding.
    async fn unionid_owner(&self, platform: Platform, unionid: Option<&str>) -> Result<Option<User>, AppError> {
        let Some(unionid) = unionid else {
            return Ok(None);
        };
        let family: &[&str] = match platform {
            Platform::WxApp | Platform::WxPublic | Platform::WxSmall | Platform::WxWeb => {
                &["wx_app", "wx_public", "wx_small", "wx_web"]
            }
            Platform::Qq => &["qq"],
            Platform::Apple | Platform::Wb => return Ok(None),
        };
        let Some(binding) = store::bindings::by_unionid(&self.db, unionid).await? else {
            return Ok(None);
        };
        if !family.contains(&binding.platform.as_str()) {
            return Ok(None);
        }
        store::users::by_id(&self.db, binding.user_id).await
    }

    /// Mini-program: WeChat vouched for the phone number, so it proves the
    /// mobile as an SMS code would. A known mobile signs in, an unknown one registers.
    async fn sign_in_by_phone(
        &self,
        mobile: Mobile,
        identity: &Identity,
        meta: &RequestMeta,
    ) -> Result<AuthOutcome, AppError> {
        let existing = store::users::by_mobile(&self.db, mobile.as_str()).await?;
        if let Some(user) = &existing {
            self.rules.admit(Entering::Existing(user))?;
        }
        bindings::ensure_bindable(&self.db, existing.as_ref(), identity).await?;
        let owner = match existing {
            Some(user) => Owner::Existing(Box::new(user)),
            None => {
                self.rules.admit(Entering::NewAccount)?;
                Owner::New(Box::new(NewUser {
                    mobile: Some(mobile.as_str().to_string()),
                    register_ip: meta.ip_text(),
                    ..Default::default()
                }))
            }
        };
        self.bind_and_sign_in(owner, identity, meta, None).await
    }
}

/// The credential the platform needs and the input it came from (the field
/// a BAD_USER_INPUT names). Checked before any network call.
fn credential(platform: Platform, req: &PlatformLoginRequest) -> Result<(PlatformCredential, Field), AppError> {
    let present = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    if platform == Platform::Apple {
        let token = present(&req.identity_token).ok_or(AppError::bad(Field::IdentityToken, InputProblem::Missing))?;
        let nonce = present(&req.nonce);
        return Ok((
            PlatformCredential::AppleIdentityToken { token, nonce },
            Field::IdentityToken,
        ));
    }
    if present(&req.nonce).is_some() {
        return Err(AppError::bad(Field::Nonce, InputProblem::NotAllowed));
    }
    let code = present(&req.code).ok_or(AppError::bad(Field::Code, InputProblem::Missing))?;
    Ok((PlatformCredential::Code(code), Field::Code))
}

fn extras(platform: Platform, req: &PlatformLoginRequest) -> Result<Extras, AppError> {
    let present = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let (data, iv, phone_code) = (present(&req.encrypted_data), present(&req.iv), present(&req.phone_code));
    if platform != Platform::WxSmall {
        // Only the mini-program has open data and phone codes.
        for (value, field) in [
            (&data, Field::EncryptedData),
            (&iv, Field::Iv),
            (&phone_code, Field::PhoneCode),
        ] {
            if value.is_some() {
                return Err(AppError::bad(field, InputProblem::NotAllowed));
            }
        }
    }
    let encrypted = match (data, iv) {
        (Some(data), Some(iv)) => Some((data, iv)),
        (Some(_), None) => return Err(AppError::bad(Field::Iv, InputProblem::Missing)),
        (None, Some(_)) => return Err(AppError::bad(Field::EncryptedData, InputProblem::Missing)),
        (None, None) => None,
    };
    Ok(Extras { encrypted, phone_code })
}

/// What decrypted mini-program open data adds to the identity.
struct OpenData {
    unionid: Option<String>,
    phone: Option<String>,
}

/// Decrypts `encryptedData` with this login's session key; the watermark
/// must name our mini-program and an `openId` in it must be this user's.
fn open_data(verified: &VerifiedIdentity, data: &str, iv: &str) -> Result<OpenData, AppError> {
    let session_key = verified
        .session_key
        .as_ref()
        .ok_or_else(|| AppError::ServiceUnavailable("jscode2session returned no session_key".into()))?;
    let value = decrypt_mini_program_data(session_key.expose_secret(), data, iv, &verified.app_id)
        .map_err(|e| platform_error(e, Field::EncryptedData))?;
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if text("openId").is_some_and(|openid| openid != verified.openid) {
        return Err(AppError::bad(Field::EncryptedData, InputProblem::Mismatch));
    }
    let country = value.get("countryCode").and_then(|c| match c {
        Value::String(s) => Some(s.trim().trim_start_matches('+').to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    let phone = match (country, text("purePhoneNumber")) {
        (Some(country), Some(pure)) if !country.is_empty() => Some(format!("+{country}{pure}")),
        _ => text("phoneNumber").map(str::to_string),
    };
    Ok(OpenData {
        unionid: text("unionId").map(str::to_string),
        phone,
    })
}

/// Maps a platform failure to the API's error.
///
/// - not configured → FORBIDDEN: the operator does not offer this sign-in;
///   retrying cannot help, unlike SERVICE_UNAVAILABLE, and clients should hide the button.
/// - rejected → INVALID_CREDENTIALS: the platform refused the user's code or
///   token; CODE_INVALID stays reserved for our own SMS and email codes, so a
///   client knows to redo the platform's authorisation rather than resend an SMS.
/// - unavailable → SERVICE_UNAVAILABLE (also our own misconfigured secret: not the user's fault).
/// - invalid data → BAD_USER_INPUT naming the input it came from.
fn platform_error(err: PlatformError, field: Field) -> AppError {
    match err {
        PlatformError::NotConfigured(platform) => {
            tracing::info!(%platform, "sign-in with an unconfigured platform refused");
            AppError::Forbidden
        }
        PlatformError::Rejected { .. } => AppError::InvalidCredentials,
        PlatformError::Unavailable { platform, detail } => {
            AppError::ServiceUnavailable(format!("{platform}: {detail}"))
        }
        PlatformError::InvalidData(detail) => {
            tracing::debug!(%detail, field = field.graphql_name(), "platform data refused");
            AppError::bad(field, InputProblem::Malformed)
        }
    }
}
