//! Browser sign-in (DESIGN §9) end to end against the stand-ins, as a browser
//! walks it: `thirdPartyAuthorizeUrl` → the platform's page → the redirect
//! back with `code` and `state` (Apple by way of its form_post and our
//! callback) → `thirdPartyLogin` with the verifier. Then every refusal of a
//! state, each shown to send nothing to the platform.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{Value, json};
use zhanghao::crypto::pkce_challenge;

use super::standins::app_with_platforms;
use super::web_standins::{PUBLIC_URL, SPA};
use super::{bind_token, login_code, verify_login};
use crate::common::*;

const AUTHORIZE: &str =
    "mutation($input: AuthorizeUrlInput!) { thirdPartyAuthorizeUrl(input: $input) { url state expiresIn } }";
const TPL: &str = "mutation($input: ThirdPartyLoginInput!) { thirdPartyLogin(input: $input) { user { id bindings { platform } } created } }";

/// A verifier of RFC 7636's length and alphabet; `n` makes each one different.
fn verifier(n: u32) -> String {
    format!("verifier-{n:04}-{}", "abcdefghij~._-".repeat(4))
}

/// A started flow: what the browser holds.
struct Flow {
    url: String,
    state: String,
    verifier: String,
}

async fn authorize(app: &TestApp, platform: &str, n: u32) -> Flow {
    let verifier = verifier(n);
    let input = json!({"platform": platform, "redirectUri": SPA, "codeChallenge": pkce_challenge(&verifier)});
    let (_, body) = app.gql(AUTHORIZE, json!({ "input": input })).await;
    let url = &body["data"]["thirdPartyAuthorizeUrl"];
    assert_eq!(url["expiresIn"], 600, "{body}");
    Flow {
        url: url["url"].as_str().unwrap().to_string(),
        state: url["state"].as_str().unwrap().to_string(),
        verifier,
    }
}

fn query_of(url: &str) -> HashMap<String, String> {
    reqwest::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

/// The user `who` agrees on the platform's page; returns where the browser lands.
async fn consent(app: &TestApp, flow: &Flow, who: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The fragment (`#wechat_redirect`) stays in the browser.
    let page = format!("{}&as={who}", flow.url.split('#').next().unwrap());
    let answer = client.get(&page).send().await.unwrap();
    if answer.status() == StatusCode::FOUND {
        return answer.headers()["location"].to_str().unwrap().to_string();
    }
    // Apple: its page posts a form to our callback, which redirects on.
    assert_eq!(answer.status(), StatusCode::OK);
    let html = answer.text().await.unwrap();
    let value = |name: &str| {
        let at = html.find(&format!(r#"name="{name}" value=""#)).unwrap() + name.len() + 15;
        html[at..].split('"').next().unwrap().to_string()
    };
    assert!(
        html.contains(&format!(r#"action="{PUBLIC_URL}/oauth/apple/callback""#)),
        "{html}"
    );
    let form = form_post(
        "/oauth/apple/callback",
        &[("code", &value("code")), ("state", &value("state"))],
    );
    let (status, headers, _) = app.send(form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    headers["location"].to_str().unwrap().to_string()
}

/// Lands on the SPA and finishes with `thirdPartyLogin`.
async fn finish(app: &TestApp, platform: &str, flow: &Flow, landed: &str) -> Value {
    assert!(landed.starts_with(SPA), "landed on {landed}");
    let back = query_of(landed);
    assert_eq!(back.len(), 2, "code and state, nothing else: {landed}");
    assert_eq!(back["state"], flow.state);
    let input =
        json!({"platform": platform, "code": back["code"], "state": back["state"], "codeVerifier": flow.verifier});
    app.gql(TPL, json!({ "input": input })).await.1
}

#[tokio::test]
async fn each_platform_s_browser_flow_registers_then_signs_in() {
    let app = app_with_platforms(&[]).await;
    let platforms = [
        ("WX_WEB", "carol"),
        ("WX_PUBLIC", "dave"),
        ("QQ", "erin"),
        ("WB", "7001"),
        ("APPLE", "frank"),
    ];
    for (n, (platform, who)) in platforms.into_iter().enumerate() {
        let n = n as u32 * 10;
        let flow = authorize(&app, platform, n).await;
        let landed = consent(&app, &flow, who).await;
        let body = finish(&app, platform, &flow, &landed).await;
        // Unknown identity: the phone proves who it is, as in every verified sign-in.
        let ticket = bind_token(&body);
        let mobile = format!("1390000{:04}", 100 + n);
        let code = login_code(&app, &mobile).await;
        let input = json!({"mobile": mobile, "code": code, "purpose": "LOGIN", "bindToken": ticket});
        let joined = verify_login(&app, input).await;
        assert_eq!(joined["data"]["verifySms"]["created"], true, "{platform}: {joined}");

        // The next browser sign-in of the same person goes straight in.
        let again = authorize(&app, platform, n + 1).await;
        let landed = consent(&app, &again, who).await;
        let body = finish(&app, platform, &again, &landed).await;
        let user = &body["data"]["thirdPartyLogin"]["user"];
        assert_eq!(
            user["id"], joined["data"]["verifySms"]["user"]["id"],
            "{platform}: {body}"
        );
        let bound: Vec<&str> = user["bindings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["platform"].as_str().unwrap())
            .collect();
        assert_eq!(bound, [platform], "{platform}");
    }
}

#[tokio::test]
async fn authorize_urls_carry_what_each_platform_documents() {
    let app = app_with_platforms(&[]).await;
    let flow = authorize(&app, "WX_WEB", 1).await;
    assert!(flow.url.ends_with("#wechat_redirect"), "{}", flow.url);
    let q = query_of(&flow.url);
    assert_eq!(
        (q["appid"].as_str(), q["scope"].as_str()),
        ("wxweb0001", "snsapi_login")
    );
    assert_eq!(
        (q["redirect_uri"].as_str(), q["state"].as_str()),
        (SPA, flow.state.as_str())
    );
    assert!(flow.state.len() <= 128 && flow.state.bytes().all(|b| b.is_ascii_alphanumeric()));
    let apple = query_of(&authorize(&app, "APPLE", 2).await.url);
    assert_eq!(apple["response_mode"], "form_post");
    assert_eq!(apple["redirect_uri"], format!("{PUBLIC_URL}/oauth/apple/callback"));
    assert!(apple["nonce"].len() >= 32);
    // Nothing about the flow is stored in the clear.
    let other = authorize(&app, "QQ", 3).await;
    assert_ne!(other.state, flow.state);
}

#[tokio::test]
async fn bad_authorize_requests_are_refused() {
    let app = app_with_platforms(&[]).await;
    let challenge = pkce_challenge(&verifier(0));
    let cases = [
        (
            json!({"platform": "QQ", "redirectUri": "https://evil.example/cb", "codeChallenge": challenge}),
            "redirectUri",
        ),
        // Exact match only: a prefix, a different query or a trailing slash is another URI.
        (
            json!({"platform": "QQ", "redirectUri": format!("{SPA}/"), "codeChallenge": challenge}),
            "redirectUri",
        ),
        (
            json!({"platform": "QQ", "redirectUri": SPA, "codeChallenge": "short"}),
            "codeChallenge",
        ),
        (
            json!({"platform": "QQ", "redirectUri": SPA, "codeChallenge": format!("{}=", &challenge[..42])}),
            "codeChallenge",
        ),
        (
            json!({"platform": "WX_APP", "redirectUri": SPA, "codeChallenge": challenge}),
            "platform",
        ),
        (
            json!({"platform": "WX_SMALL", "redirectUri": SPA, "codeChallenge": challenge}),
            "platform",
        ),
        (
            json!({"platform": "WX_WEB", "redirectUri": SPA, "codeChallenge": challenge, "scope": "snsapi_base"}),
            "scope",
        ),
        (
            json!({"platform": "WX_PUBLIC", "redirectUri": SPA, "codeChallenge": challenge, "scope": "snsapi_all"}),
            "scope",
        ),
    ];
    for (input, field) in cases {
        let (_, body) = app.gql(AUTHORIZE, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{input}: {body}");
    }
    // The second allowed URI, query and all, is fine.
    let input =
        json!({"platform": "QQ", "redirectUri": "https://app.example/other?from=web", "codeChallenge": challenge});
    let (_, body) = app.gql(AUTHORIZE, json!({ "input": input })).await;
    assert!(body["errors"].is_null(), "{body}");

    let bare = TestApp::with_args(&["--oauth-redirect-uris", SPA]).await;
    let input = json!({"platform": "WX_WEB", "redirectUri": SPA, "codeChallenge": challenge});
    let (_, body) = bare.gql(AUTHORIZE, json!({ "input": input })).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "an unconfigured platform: {body}");
}

/// A state refused for `input`; then the same platform code, never sent to
/// the platform, still works with a proper flow (codes are single use there).
async fn refused_then_code_still_fresh(app: &TestApp, platform: &str, input: Value, code: &str, n: u32) {
    let (_, body) = app.gql(TPL, json!({ "input": input })).await;
    assert_eq!(error_code(&body), "CODE_INVALID", "{input}: {body}");
    let fresh = authorize(app, platform, n).await;
    let input = json!({"platform": platform, "code": code, "state": fresh.state, "codeVerifier": fresh.verifier});
    let (_, body) = app.gql(TPL, json!({ "input": input })).await;
    assert_eq!(
        error_code(&body),
        "NO_BIND_USER",
        "the code was exchanged by the refused try: {body}"
    );
}

#[tokio::test]
async fn a_state_is_refused_unless_it_is_this_flow_s_and_nothing_is_exchanged() {
    let app = app_with_platforms(&[]).await;
    let mut n = 100;
    let mut next = || {
        n += 1;
        n
    };
    for case in ["verifier", "platform", "redirect", "unknown", "expired", "used"] {
        let flow = authorize(&app, "WX_WEB", next()).await;
        let landed = consent(&app, &flow, &format!("u-{case}")).await;
        let code = query_of(&landed)["code"].clone();
        let mut input = json!({"platform": "WX_WEB", "code": code, "state": flow.state, "codeVerifier": flow.verifier});
        match case {
            "verifier" => input["codeVerifier"] = json!(verifier(9999)),
            "platform" => {
                // A QQ flow's state brought to a WeChat sign-in.
                let qq = authorize(&app, "QQ", next()).await;
                input["state"] = json!(qq.state);
                input["codeVerifier"] = json!(qq.verifier);
            }
            "redirect" => input["redirectUri"] = json!("https://app.example/other?from=web"),
            "unknown" => input["state"] = json!("Z".repeat(32)),
            "expired" => app.clock.advance(601),
            _ => {
                // Used once (wrong verifier), then the right verifier is too late.
                let mut first = input.clone();
                first["codeVerifier"] = json!(verifier(9998));
                let (_, body) = app.gql(TPL, json!({ "input": first })).await;
                assert_eq!(error_code(&body), "CODE_INVALID");
            }
        }
        refused_then_code_still_fresh(&app, "WX_WEB", input, &code, next()).await;
    }
    // A used state stays used after a sign-in too.
    let flow = authorize(&app, "QQ", next()).await;
    let landed = consent(&app, &flow, "gina").await;
    let back = query_of(&landed);
    let input = json!({"platform": "QQ", "code": back["code"], "state": back["state"], "codeVerifier": flow.verifier});
    assert_eq!(
        error_code(&app.gql(TPL, json!({ "input": input.clone() })).await.1),
        "NO_BIND_USER"
    );
    assert_eq!(
        error_code(&app.gql(TPL, json!({ "input": input })).await.1),
        "CODE_INVALID"
    );
}

#[tokio::test]
async fn browser_inputs_are_checked_before_anything_is_used() {
    let app = app_with_platforms(&[]).await;
    let flow = authorize(&app, "WX_WEB", 1).await;
    let cases = [
        (json!({"platform": "WX_WEB", "code": "wxweb0001:hal"}), "state"),
        (
            json!({"platform": "QQ", "code": "hal", "codeVerifier": flow.verifier}),
            "state",
        ),
        (
            json!({"platform": "WX_WEB", "code": "wxweb0001:hal", "state": flow.state}),
            "codeVerifier",
        ),
        (
            json!({"platform": "WX_WEB", "code": "wxweb0001:hal", "state": flow.state, "codeVerifier": "short"}),
            "codeVerifier",
        ),
        (
            json!({"platform": "WX_WEB", "state": flow.state, "codeVerifier": flow.verifier}),
            "code",
        ),
        (json!({"platform": "QQ", "code": "hal", "nonce": "n"}), "nonce"),
    ];
    for (input, field) in cases {
        let (_, body) = app.gql(TPL, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{input}: {body}");
    }
    // None of that used the state up.
    let landed = consent(&app, &flow, "hal").await;
    assert_eq!(
        error_code(&finish(&app, "WX_WEB", &flow, &landed).await),
        "NO_BIND_USER"
    );
}

#[tokio::test]
async fn one_state_signs_in_once_under_concurrency() {
    let app = app_with_platforms(&[]).await;
    let flow = authorize(&app, "WX_WEB", 1).await;
    let landed = consent(&app, &flow, "ivan").await;
    let back = query_of(&landed);
    let input =
        json!({"platform": "WX_WEB", "code": back["code"], "state": back["state"], "codeVerifier": flow.verifier});
    let tries = (0..40).map(|_| app.gql(TPL, json!({ "input": input.clone() })));
    let answers = futures::future::join_all(tries).await;
    let through = answers.iter().filter(|(_, b)| error_code(b) == "NO_BIND_USER").count();
    let refused = answers.iter().filter(|(_, b)| error_code(b) == "CODE_INVALID").count();
    assert_eq!((through, refused), (1, 39));
}

#[tokio::test]
async fn apple_s_callback_passes_on_only_a_live_apple_state() {
    let app = app_with_platforms(&[]).await;
    let apple = authorize(&app, "APPLE", 1).await;
    let cancel = form_post(
        "/oauth/apple/callback",
        &[("state", &apple.state), ("error", "user_cancelled_authorize")],
    );
    let (status, headers, _) = app.send(cancel).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = query_of(headers["location"].to_str().unwrap());
    assert_eq!(
        (back["error"].as_str(), back["state"].as_str()),
        ("user_cancelled_authorize", apple.state.as_str())
    );

    let qq = authorize(&app, "QQ", 2).await;
    for state in [qq.state.as_str(), "unknown0state", "bad state!", ""] {
        let (status, _, body) = app
            .send(form_post("/oauth/apple/callback", &[("code", "c"), ("state", state)]))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{state}");
        assert!(String::from_utf8(body).unwrap().contains("expired"));
    }
    // Apple's own refusal of the code: signing in fails as a platform refusal, and the state is spent.
    let flow = authorize(&app, "APPLE", 3).await;
    let input = json!({"platform": "APPLE", "code": "c999.apple", "state": flow.state, "codeVerifier": flow.verifier});
    let (_, body) = app.gql(TPL, json!({ "input": input.clone() })).await;
    assert_eq!(error_code(&body), "INVALID_CREDENTIALS", "{body}");
    assert_eq!(
        error_code(&app.gql(TPL, json!({ "input": input })).await.1),
        "CODE_INVALID"
    );
    // Apple down: SERVICE_UNAVAILABLE, and no account appears.
    let flow = authorize(&app, "APPLE", 4).await;
    let landed = consent(&app, &flow, "boom").await;
    assert_eq!(
        error_code(&finish(&app, "APPLE", &flow, &landed).await),
        "SERVICE_UNAVAILABLE"
    );
}

#[tokio::test]
async fn a_native_apple_nonce_must_be_the_token_s() {
    let app = app_with_platforms(&[]).await;
    let mut claims = super::standins::apple_claims("001.jane");
    claims["nonce"] = json!("nonce-1");
    let token = super::standins::apple_token(&claims, false);
    let input = json!({"platform": "APPLE", "identityToken": token, "nonce": "nonce-2"});
    assert_eq!(
        error_code(&app.gql(TPL, json!({ "input": input })).await.1),
        "INVALID_CREDENTIALS"
    );
    let input = json!({"platform": "APPLE", "identityToken": token, "nonce": "nonce-1"});
    assert_eq!(
        error_code(&app.gql(TPL, json!({ "input": input })).await.1),
        "NO_BIND_USER"
    );
}

#[tokio::test]
async fn wechat_qr_and_app_sign_ins_of_one_person_share_an_account() {
    let app = app_with_platforms(&[]).await;
    // kate first scans the website app's QR code on a PC and proves her phone.
    let flow = authorize(&app, "WX_WEB", 1).await;
    let landed = consent(&app, &flow, "kate").await;
    let ticket = bind_token(&finish(&app, "WX_WEB", &flow, &landed).await);
    let code = login_code(&app, "13900000777").await;
    let joined = verify_login(
        &app,
        json!({"mobile": "13900000777", "code": code, "purpose": "LOGIN", "bindToken": ticket}),
    )
    .await;
    let id = joined["data"]["verifySms"]["user"]["id"].clone();
    assert!(id.is_string(), "{joined}");
    // Then WeChat in the mobile app: the same unionid, the same account, no phone asked.
    let input = json!({"platform": "WX_APP", "code": "wxapp0001:kate#1"});
    let body = app.gql(TPL, json!({ "input": input })).await.1;
    let user = &body["data"]["thirdPartyLogin"]["user"];
    assert_eq!(user["id"], id, "{body}");
    let mut bound: Vec<&str> = user["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["platform"].as_str().unwrap())
        .collect();
    bound.sort();
    assert_eq!(bound, ["WX_APP", "WX_WEB"]);
}

#[tokio::test]
async fn deleting_an_account_revokes_its_apple_authorisation() {
    let app = app_with_platforms(&["--deletion-grace-days", "0"]).await;
    let flow = authorize(&app, "APPLE", 1).await;
    let landed = consent(&app, &flow, "lena").await;
    let ticket = bind_token(&finish(&app, "APPLE", &flow, &landed).await);
    let code = login_code(&app, "13900000888").await;
    let input = json!({"mobile": "13900000888", "code": code, "purpose": "LOGIN", "bindToken": ticket});
    let joined = app
        .gql(
            "mutation($input: VerifySmsInput!) { verifySms(input: $input) { user { id } tokens { accessToken } } }",
            json!({ "input": input }),
        )
        .await
        .1;
    let id: i64 = joined["data"]["verifySms"]["user"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Kept sealed with the binding, never as Apple gave it.
    let bindings = zhanghao::store::bindings::for_user(&app.state.db, id).await.unwrap();
    let kept = bindings[0].revocation.clone().expect("the refresh token is kept");
    assert!(!kept.contains("r.apple"), "{kept}");

    let token = joined["data"]["verifySms"]["tokens"]["accessToken"].as_str().unwrap();
    app.clock.advance(61);
    let send = r#"mutation { sendSmsCode(input: {purpose: VERIFY}) { expiresIn } }"#;
    assert!(app.gql_as(token, send, json!({})).await.1["errors"].is_null());
    let verify = app.last_code("+8613900000888", "verify");
    let delete = format!(r#"mutation {{ requestAccountDeletion(code: "{verify}") {{ status }} }}"#);
    let (_, body) = app.gql_as(token, &delete, json!({})).await;
    assert_eq!(body["data"]["requestAccountDeletion"]["status"], "DELETED", "{body}");
    let revoked = super::web_standins::REVOKED.lock().unwrap().clone();
    assert!(revoked.iter().any(|t| t == "r.apple.lena"), "{revoked:?}");
}
