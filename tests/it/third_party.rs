//! Third-party identities (DESIGN §2 bindThirdParty / thirdPartyLogin /
//! bindToken): the seed's register-and-bind, verified sign-in of every
//! platform against its loopback stand-in, pending binds, mini-program
//! extras and unionid joins — all through GraphQL.

pub mod standins;
mod web;
mod web_browser;
mod web_standins;
mod wechat;

use serde_json::{Value, json};

use self::standins::*;
use crate::common::*;

const SEND: &str = "mutation($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { expiresIn } }";
const BIND: &str = "mutation($input: BindThirdPartyInput!) { bindThirdParty(input: $input) { user { id mobile bindings { platform boundAt } } tokens { accessToken } created } }";
const TPL: &str = "mutation($input: ThirdPartyLoginInput!) { thirdPartyLogin(input: $input) { user { id mobile bindings { platform } } tokens { accessToken } created } }";
const VERIFY: &str = "mutation($input: VerifySmsInput!) { verifySms(input: $input) { created user { id mobile bindings { platform } } tokens { accessToken } } }";
const UNBIND: &str = "mutation($p: Platform!) { unbindThirdParty(platform: $p) { id bindings { platform } } }";
const ME: &str = "{ me { id mobile bindings { platform boundAt } } }";

/// Sends a LOGIN code to the national CN `mobile` and reads it from the outbox.
async fn login_code(app: &TestApp, mobile: &str) -> String {
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": mobile, "purpose": "LOGIN"}}))
        .await;
    assert!(body["errors"].is_null(), "send failed: {body}");
    app.last_code(&format!("+86{mobile}"), "login")
}

async fn bind(app: &TestApp, mobile: &str, code: &str, platform: &str, openid: &str) -> Value {
    let input = json!({"mobile": mobile, "code": code, "platform": platform, "openid": openid});
    app.gql(BIND, json!({ "input": input })).await.1
}

async fn tpl(app: &TestApp, input: Value) -> Value {
    app.gql(TPL, json!({ "input": input })).await.1
}

async fn verify_login(app: &TestApp, input: Value) -> Value {
    app.gql(VERIFY, json!({ "input": input })).await.1
}

/// The platforms in a user object's `bindings`.
fn platforms(user: &Value) -> Vec<&str> {
    let bindings = user["bindings"].as_array().expect("bindings");
    bindings.iter().map(|b| b["platform"].as_str().unwrap()).collect()
}

fn bind_token(body: &Value) -> String {
    assert_eq!(error_code(body), "NO_BIND_USER", "{body}");
    body["errors"][0]["extensions"]["bindToken"]
        .as_str()
        .expect("bindToken")
        .to_string()
}

#[tokio::test]
async fn seed_flow_binds_signs_in_and_refuses_conflicts() {
    let app = app_with_platforms(&[]).await;

    // Wrong code: nothing is created or bound.
    let code = login_code(&app, "13800138001").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let body = bind(&app, "13800138001", wrong, "WX_APP", "o-alice").await;
    assert_eq!(error_code(&body), "CODE_INVALID", "{body}");

    // New mobile: registered and bound in one go.
    let body = bind(&app, "13800138001", &code, "WX_APP", "o-alice").await;
    let first = &body["data"]["bindThirdParty"];
    assert_eq!(first["created"], true, "{body}");
    assert_eq!(platforms(&first["user"]), ["WX_APP"]);
    assert!(first["user"]["bindings"][0]["boundAt"].is_string());
    let alice = first["user"]["id"].clone();
    let token = first["tokens"]["accessToken"].as_str().unwrap().to_string();

    // The openid is never exposed.
    let (_, body) = app.gql_as(&token, "{ me { bindings { openid } } }", json!({})).await;
    assert!(!body["errors"].is_null(), "{body}");

    // Same mobile and openid again: signs in, nothing new.
    app.clock.advance(61);
    let code = login_code(&app, "13800138001").await;
    let body = bind(&app, "13800138001", &code, "WX_APP", "o-alice").await;
    let again = &body["data"]["bindThirdParty"];
    assert_eq!(
        (again["created"].clone(), again["user"]["id"].clone()),
        (json!(false), alice.clone())
    );

    // A second openid of the same platform on alice: refused.
    app.clock.advance(61);
    let code = login_code(&app, "13800138001").await;
    let body = bind(&app, "13800138001", &code, "WX_APP", "o-alice-2").await;
    assert_eq!(error_code(&body), "ALREADY_BOUND", "{body}");

    // A second platform is added, then removed.
    let body = bind(&app, "13800138001", &code, "QQ", "qq-alice").await;
    assert_eq!(
        platforms(&body["data"]["bindThirdParty"]["user"]),
        ["WX_APP", "QQ"],
        "{body}"
    );
    let (_, body) = app.gql_as(&token, UNBIND, json!({"p": "QQ"})).await;
    assert_eq!(platforms(&body["data"]["unbindThirdParty"]), ["WX_APP"], "{body}");
    let (_, body) = app.gql_as(&token, UNBIND, json!({"p": "QQ"})).await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let (_, body) = app.gql_as(&token, ME, json!({})).await;
    assert_eq!(platforms(&body["data"]["me"]), ["WX_APP"]);
}

#[tokio::test]
async fn seed_flow_only_for_trusted_platforms() {
    let app = app_with_platforms(&["--trust-client-openid", "qq"]).await;
    let code = login_code(&app, "13800138011").await;
    let body = bind(&app, "13800138011", &code, "WX_APP", "o-claimed").await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let body = bind(&app, "13800138011", &code, "QQ", "qq-claimed").await;
    assert_eq!(body["data"]["bindThirdParty"]["created"], true, "{body}");
}

#[tokio::test]
async fn unbind_never_removes_the_last_way_to_sign_in() {
    use zhanghao::store::{bindings::NewBinding, users::NewUser};
    let app = app_with_platforms(&[]).await;
    let now = app.state.clock.now();
    // No password, no mobile: only the platforms sign this user in.
    let user = zhanghao::store::users::insert(&app.state.db, NewUser::default(), now)
        .await
        .unwrap();
    for (platform, app_id) in [("wx_app", WX_APP_ID), ("qq", QQ_APP_ID)] {
        let binding = NewBinding {
            user_id: user.id,
            platform: platform.into(),
            app_id: app_id.into(),
            openid: format!("{platform}-only"),
            unionid: None,
            verified: true,
            revocation: None,
        };
        zhanghao::store::bindings::insert(&app.state.db, binding, now)
            .await
            .unwrap();
    }
    let meta = zhanghao::service::RequestMeta::default();
    let signed = app
        .state
        .services
        .accounts
        .sign_in(user, None, &meta, None, zhanghao::metrics::SignInMethod::ThirdParty)
        .await
        .unwrap();
    let token = signed.tokens.access_token;

    let (_, body) = app.gql_as(&token, UNBIND, json!({"p": "QQ"})).await;
    assert_eq!(platforms(&body["data"]["unbindThirdParty"]), ["WX_APP"], "{body}");
    let (_, body) = app.gql_as(&token, UNBIND, json!({"p": "WX_APP"})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "platform");
    let (_, body) = app.gql_as(&token, ME, json!({})).await;
    assert_eq!(platforms(&body["data"]["me"]), ["WX_APP"]);
}

/// One credential per platform for stand-in user `who`, sign-in number `n`.
fn credential(platform: &str, who: &str, n: u32) -> Value {
    match platform {
        "WX_APP" => json!({"code": format!("{WX_APP_ID}:{who}#{n}")}),
        "WX_PUBLIC" => json!({"code": format!("{WX_PUBLIC_ID}:{who}#{n}")}),
        "WX_SMALL" => json!({"code": format!("{WX_SMALL_ID}:{who}#{n}")}),
        "APPLE" => json!({"identityToken": apple_token(&apple_claims(&format!("001.{who}")), false)}),
        "QQ" => json!({"code": format!("{who}#{n}")}),
        "WB" => json!({"code": format!("uid-{}#{n}", who.replace(|c: char| !c.is_ascii_digit(), ""))}),
        other => panic!("{other}"),
    }
}

fn with_platform(platform: &str, mut input: Value) -> Value {
    input["platform"] = json!(platform);
    input
}

#[tokio::test]
async fn verified_login_of_every_platform_with_pending_bind_by_sms() {
    let app = app_with_platforms(&[]).await;
    let all = ["WX_APP", "WX_PUBLIC", "WX_SMALL", "APPLE", "QQ", "WB"];
    for (i, platform) in all.into_iter().enumerate() {
        // Distinct people per platform, so no unionid joins them here.
        let who = format!("solo-{i}");
        let mobile = format!("1390013900{i}");

        // Unbound: NO_BIND_USER with a bindToken carrying the verified identity.
        let body = tpl(&app, with_platform(platform, credential(platform, &who, 1))).await;
        let ticket = bind_token(&body);

        // verifySms LOGIN with the ticket registers the proven mobile and binds the identity.
        let code = login_code(&app, &mobile).await;
        let input = json!({"mobile": mobile, "code": code, "purpose": "LOGIN", "bindToken": ticket});
        let body = verify_login(&app, input.clone()).await;
        let done = &body["data"]["verifySms"];
        assert_eq!(done["created"], true, "{platform}: {body}");
        assert_eq!(platforms(&done["user"]), [platform]);
        let user_id = done["user"]["id"].clone();

        // The ticket is single use.
        app.clock.advance(61);
        let code = login_code(&app, &mobile).await;
        let body = verify_login(
            &app,
            json!({"mobile": mobile, "code": code, "purpose": "LOGIN", "bindToken": ticket}),
        )
        .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{platform}: {body}");

        // Bound now: a fresh credential signs the same user in.
        let body = tpl(&app, with_platform(platform, credential(platform, &who, 2))).await;
        let again = &body["data"]["thirdPartyLogin"];
        assert_eq!(again["user"]["id"], user_id, "{platform}: {body}");
        assert_eq!(again["created"], false);
        assert!(again["tokens"]["accessToken"].is_string());
    }
}

fn apple_with(field: &str, value: Value) -> Value {
    let mut claims = apple_claims("001.eve");
    claims[field] = value;
    json!({"platform": "APPLE", "identityToken": apple_token(&claims, false)})
}

#[tokio::test]
async fn refused_credentials_bind_nothing() {
    let app = app_with_platforms(&[]).await;
    let past = chrono::Utc::now().timestamp() - 3600;
    let refused = [
        json!({"platform": "WX_APP", "code": "not-a-wechat-code"}),
        json!({"platform": "WX_PUBLIC", "code": format!("{WX_APP_ID}:eve")}), // issued to another app
        json!({"platform": "WX_SMALL", "code": "garbage"}),
        json!({"platform": "QQ", "code": "bad"}),
        json!({"platform": "WB", "code": "nonsense"}),
        json!({"platform": "APPLE", "identityToken": apple_token(&apple_claims("001.eve"), true)}),
        apple_with("aud", json!("com.attacker.app")),
        apple_with("iss", json!("https://appleid.apple.com.evil")),
        apple_with("exp", json!(past)),
        json!({"platform": "APPLE", "identityToken": "not.a.jwt"}),
    ];
    for input in refused {
        let body = tpl(&app, input.clone()).await;
        assert_eq!(error_code(&body), "INVALID_CREDENTIALS", "{input}: {body}");
    }
    // A used code is refused too: the platform, not the client, decides.
    let body = tpl(&app, json!({"platform": "WX_APP", "code": format!("{WX_APP_ID}:eve")})).await;
    bind_token(&body);
    let body = tpl(&app, json!({"platform": "WX_APP", "code": format!("{WX_APP_ID}:eve")})).await;
    assert_eq!(error_code(&body), "INVALID_CREDENTIALS", "{body}");

    let bad_input = [
        (json!({"platform": "WX_APP"}), "code"),
        (json!({"platform": "APPLE", "code": "x"}), "identityToken"),
        (
            json!({"platform": "QQ", "code": "x", "phoneCode": "phone-13800138000"}),
            "phoneCode",
        ),
        (
            json!({"platform": "WX_SMALL", "code": "x", "encryptedData": "abc"}),
            "iv",
        ),
    ];
    for (input, field) in bad_input {
        let body = tpl(&app, input.clone()).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    // WeChat busy: retry later.
    let body = tpl(&app, json!({"platform": "WX_APP", "code": "busy"})).await;
    assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
    let (_, total) = zhanghao::store::users::page(&app.state.db, 10, None, &Default::default())
        .await
        .unwrap();
    assert_eq!(total, 0, "no account was created");
}

#[tokio::test]
async fn unconfigured_platform_is_forbidden() {
    let app = TestApp::new().await;
    let body = tpl(&app, json!({"platform": "WX_APP", "code": "wxapp0001:zed"})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let body = tpl(&app, json!({"platform": "APPLE", "identityToken": "a.b.c"})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
}

#[tokio::test]
async fn a_claimed_openid_is_proven_once_by_phone_then_signs_in() {
    let app = app_with_platforms(&[]).await;
    let code = login_code(&app, "13800138021").await;
    let openid = openid_of(WX_APP_ID, "carol");
    let body = bind(&app, "13800138021", &code, "WX_APP", &openid).await;
    let carol = body["data"]["bindThirdParty"]["user"]["id"].clone();
    assert!(carol.is_string(), "{body}");
    // The seed flow only claimed the openid: a verified sign-in asks for the phone.
    let input = json!({"platform": "WX_APP", "code": format!("{WX_APP_ID}:carol")});
    let ticket = bind_token(&tpl(&app, input).await);
    app.clock.advance(61);
    let code = login_code(&app, "13800138021").await;
    let body = verify_login(
        &app,
        json!({"mobile": "13800138021", "code": code, "purpose": "LOGIN", "bindToken": ticket}),
    )
    .await;
    assert_eq!(body["data"]["verifySms"]["user"]["id"], carol, "{body}");
    // Shared key (configured app id) and now proven: the next verified sign-in goes straight in.
    let input = json!({"platform": "WX_APP", "code": format!("{WX_APP_ID}:carol#2")});
    assert_eq!(tpl(&app, input).await["data"]["thirdPartyLogin"]["user"]["id"], carol);
}

#[tokio::test]
async fn a_squatted_openid_never_catches_its_owners_sign_in() {
    let app = app_with_platforms(&[]).await;
    // Mallory claims Carol's openid on Mallory's own phone.
    let code = login_code(&app, "13800138031").await;
    let body = bind(&app, "13800138031", &code, "WX_APP", &openid_of(WX_APP_ID, "carol")).await;
    let mallory = body["data"]["bindThirdParty"]["user"]["id"].clone();
    assert!(mallory.is_string(), "{body}");
    // Carol's verified WeChat sign-in does not land in Mallory's account.
    let input = json!({"platform": "WX_APP", "code": format!("{WX_APP_ID}:carol")});
    let ticket = bind_token(&tpl(&app, input).await);
    // Carol proves her own phone: the proof takes the openid over from the claim.
    let code = login_code(&app, "13800138032").await;
    let body = verify_login(
        &app,
        json!({"mobile": "13800138032", "code": code, "purpose": "LOGIN", "bindToken": ticket}),
    )
    .await;
    let carol = body["data"]["verifySms"]["user"]["id"].clone();
    assert!(carol.is_string() && carol != mallory, "{body}");
    assert_eq!(platforms(&body["data"]["verifySms"]["user"]), ["WX_APP"]);
    let input = json!({"platform": "WX_APP", "code": format!("{WX_APP_ID}:carol#2")});
    assert_eq!(tpl(&app, input).await["data"]["thirdPartyLogin"]["user"]["id"], carol);
    let mallory_id: i64 = mallory.as_str().unwrap().parse().unwrap();
    let left = app.state.services.third_party.bindings_of(mallory_id).await.unwrap();
    assert!(left.is_empty(), "the claim is gone: {left:?}");
}

#[tokio::test]
async fn a_squatted_openid_does_not_block_its_owners_own_bind() {
    let app = app_with_platforms(&[]).await;
    let openid = openid_of(WX_APP_ID, "carol");
    // Mallory claims Carol's openid on Mallory's own phone.
    let code = login_code(&app, "13800138041").await;
    let body = bind(&app, "13800138041", &code, "WX_APP", &openid).await;
    let mallory = body["data"]["bindThirdParty"]["user"]["id"].clone();
    assert!(mallory.is_string(), "{body}");
    // Carol's own app binds it with her phone: the newer claim takes it.
    let code = login_code(&app, "13800138042").await;
    let body = bind(&app, "13800138042", &code, "WX_APP", &openid).await;
    let carol = body["data"]["bindThirdParty"]["user"]["id"].clone();
    assert!(carol.is_string() && carol != mallory, "{body}");
    assert_eq!(platforms(&body["data"]["bindThirdParty"]["user"]), ["WX_APP"]);
    let mallory_id: i64 = mallory.as_str().unwrap().parse().unwrap();
    let left = app.state.services.third_party.bindings_of(mallory_id).await.unwrap();
    assert!(left.is_empty(), "Mallory's claim is gone: {left:?}");

    // Once WeChat itself proves the openid to Carol, no claim can take it.
    let ticket = bind_token(
        &tpl(
            &app,
            json!({"platform": "WX_APP", "code": format!("{WX_APP_ID}:carol")}),
        )
        .await,
    );
    app.clock.advance(61);
    let code = login_code(&app, "13800138042").await;
    let login = json!({"mobile": "13800138042", "code": code, "purpose": "LOGIN", "bindToken": ticket});
    assert_eq!(
        verify_login(&app, login).await["data"]["verifySms"]["user"]["id"],
        carol
    );
    let code = login_code(&app, "13800138041").await;
    let body = bind(&app, "13800138041", &code, "WX_APP", &openid).await;
    assert_eq!(error_code(&body), "ALREADY_BOUND", "{body}");
}

#[tokio::test]
async fn bind_token_is_redeemed_by_login_and_by_register() {
    let app = app_with_platforms(&[]).await;
    app.register_username("dave_pw", "a-long-password-1").await;
    let ticket = bind_token(&tpl(&app, json!({"platform": "QQ", "code": "dave"})).await);
    let (_, body) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "dave_pw", "password": "a-long-password-1", "bindToken": ticket}}),
        )
        .await;
    let dave = body["data"]["login"]["user"]["id"].clone();
    assert!(dave.is_string(), "{body}");
    let body = tpl(&app, json!({"platform": "QQ", "code": "dave#2"})).await;
    assert_eq!(body["data"]["thirdPartyLogin"]["user"]["id"], dave, "{body}");

    let ticket = bind_token(&tpl(&app, json!({"platform": "WB", "code": "uid-777"})).await);
    let captcha = app.captcha().await;
    let answer = app.last_code(&captcha, "captcha");
    let input = json!({"method": "USERNAME", "account": "erin_new", "password": "a-long-password-2",
                       "verify": answer, "captchaId": captcha, "bindToken": ticket});
    let (_, body) = app.gql(REGISTER, json!({ "input": input })).await;
    let erin = body["data"]["register"]["user"]["id"].clone();
    assert!(erin.is_string(), "{body}");
    let body = tpl(&app, json!({"platform": "WB", "code": "uid-777#2"})).await;
    assert_eq!(body["data"]["thirdPartyLogin"]["user"]["id"], erin, "{body}");
}
