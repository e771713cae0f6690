//! Username registration with captcha, password login, user queries.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn register_login_me_round_trip() {
    let app = TestApp::new().await;
    let registered = app.register_username("Alice_1", "correct-horse-battery").await;
    assert_eq!(registered["created"], true);
    assert_eq!(registered["user"]["username"], "Alice_1");
    assert_eq!(registered["user"]["role"], "USER");
    assert_eq!(registered["tokens"]["tokenType"], "Bearer");
    assert_eq!(registered["tokens"]["expiresIn"], 3600);

    // Usernames are case-insensitive at sign-in.
    let login = app.login("alice_1", "correct-horse-battery").await;
    assert_eq!(login["created"], false);
    let (_, me) = app
        .gql_as(
            &access(&login),
            "{ me { id username hasPassword lastLoginAt } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["username"], "Alice_1");
    assert_eq!(me["data"]["me"]["hasPassword"], true);
    assert!(me["data"]["me"]["lastLoginAt"].is_string());
}

#[tokio::test]
async fn a_sign_in_answers_with_its_own_login_time() {
    let app = TestApp::new().await;
    app.register_username("alice", "correct-horse-battery").await;
    let first = app.login("alice", "correct-horse-battery").await;
    const LOGIN_TIME: &str =
        "mutation($input: LoginInput!) { login(input: $input) { user { lastLoginAt } tokens { accessToken } } }";
    app.clock.advance(60);
    let (_, body) = app
        .gql(
            LOGIN_TIME,
            json!({"input": {"account": "alice", "password": "correct-horse-battery"}}),
        )
        .await;
    let answered = &body["data"]["login"]["user"]["lastLoginAt"];
    assert!(answered.is_string(), "{body}");
    let (_, before) = app.gql_as(&access(&first), "{ me { lastLoginAt } }", json!({})).await;
    let token = body["data"]["login"]["tokens"]["accessToken"].as_str().unwrap();
    let (_, me) = app.gql_as(token, "{ me { lastLoginAt } }", json!({})).await;
    assert_eq!(answered, &me["data"]["me"]["lastLoginAt"], "{me}");
    assert_eq!(before, me, "every session sees the one login time");
}

#[tokio::test]
async fn me_is_null_without_a_valid_token() {
    let app = TestApp::new().await;
    let (_, body) = app.gql("{ me { id } }", json!({})).await;
    assert!(body["data"]["me"].is_null());
    let (_, body) = app.gql_as("not-a-token", "{ me { id } }", json!({})).await;
    assert!(body["data"]["me"].is_null());
}

#[tokio::test]
async fn captcha_is_a_png_and_single_use() {
    let app = TestApp::new().await;
    let (_, body) = app
        .gql("mutation { createCaptcha { id image expiresIn } }", json!({}))
        .await;
    let captcha = &body["data"]["createCaptcha"];
    let image = captcha["image"].as_str().unwrap();
    let png = image.strip_prefix("data:image/png;base64,").expect("data URL");
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(captcha["expiresIn"], 300);

    let id = captcha["id"].as_str().unwrap();
    let answer = app.last_code(id, "captcha");
    let input = json!({"input": {"method": "USERNAME", "account": "bob", "password": "a-good-password", "verify": answer.to_uppercase(), "captchaId": id}});
    let (_, first) = app.gql(REGISTER, input.clone()).await;
    assert!(first["errors"].is_null(), "{first}");
    let input2 = json!({"input": {"method": "USERNAME", "account": "bob2", "password": "a-good-password", "verify": answer, "captchaId": id}});
    let (_, reused) = app.gql(REGISTER, input2).await;
    assert_eq!(error_code(&reused), "CAPTCHA_INVALID");
}

#[tokio::test]
async fn wrong_and_expired_captchas_are_refused() {
    let app = TestApp::new().await;
    let id = app.captcha().await;
    let (_, wrong) = app
        .gql(REGISTER, json!({"input": {"method": "USERNAME", "account": "carol", "password": "a-good-password", "verify": "zzzz", "captchaId": id}}))
        .await;
    assert_eq!(error_code(&wrong), "CAPTCHA_INVALID");
    // A wrong answer burns the captcha: the right one no longer works.
    let answer = app.last_code(&id, "captcha");
    let (_, after) = app
        .gql(REGISTER, json!({"input": {"method": "USERNAME", "account": "carol", "password": "a-good-password", "verify": answer, "captchaId": id}}))
        .await;
    assert_eq!(error_code(&after), "CAPTCHA_INVALID");

    let id = app.captcha().await;
    let answer = app.last_code(&id, "captcha");
    app.clock.advance(301);
    let (_, expired) = app
        .gql(REGISTER, json!({"input": {"method": "USERNAME", "account": "carol", "password": "a-good-password", "verify": answer, "captchaId": id}}))
        .await;
    assert_eq!(error_code(&expired), "CAPTCHA_INVALID");
}

#[tokio::test]
async fn bad_input_does_not_spend_the_captcha() {
    let app = TestApp::new().await;
    let id = app.captcha().await;
    let answer = app.last_code(&id, "captcha");
    let (_, weak) = app
        .gql(REGISTER, json!({"input": {"method": "USERNAME", "account": "dave", "password": "12345678", "verify": answer, "captchaId": id}}))
        .await;
    assert_eq!(error_code(&weak), "BAD_USER_INPUT");
    assert_eq!(weak["errors"][0]["extensions"]["field"], "password");
    let (_, ok) = app
        .gql(REGISTER, json!({"input": {"method": "USERNAME", "account": "dave", "password": "a-good-password", "verify": answer, "captchaId": id}}))
        .await;
    assert!(ok["errors"].is_null(), "{ok}");
}

#[tokio::test]
async fn username_taken_in_another_letter_case() {
    let app = TestApp::new().await;
    app.register_username("Eve", "a-good-password").await;
    let id = app.captcha().await;
    let answer = app.last_code(&id, "captcha");
    let (_, body) = app
        .gql(REGISTER, json!({"input": {"method": "USERNAME", "account": "eVE", "password": "a-good-password", "verify": answer, "captchaId": id}}))
        .await;
    assert_eq!(error_code(&body), "ACCOUNT_EXISTS");
    assert_eq!(body["errors"][0]["extensions"]["field"], "username");
}

#[tokio::test]
async fn weak_short_long_passwords_and_bad_usernames() {
    let app = TestApp::new().await;
    for (account, password, field) in [
        ("frank", "short", "password"),
        ("frank", "password", "password"),
        ("frank", "qwertyuiop", "password"),
        ("f", "a-good-password", "account"),
        ("13800138000", "a-good-password", "account"),
        ("bad name", "a-good-password", "account"),
    ] {
        let id = app.captcha().await;
        let (_, body) = app
            .gql(REGISTER, json!({"input": {"method": "USERNAME", "account": account, "password": password, "verify": "abcd", "captchaId": id}}))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{account} {password}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field);
    }
    let long = "x1".repeat(65);
    let id = app.captcha().await;
    let (_, body) = app
        .gql(REGISTER, json!({"input": {"method": "USERNAME", "account": "frank", "password": long, "verify": "abcd", "captchaId": id}}))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn wrong_password_and_unknown_account_look_the_same() {
    let app = TestApp::new().await;
    app.register_username("grace", "a-good-password").await;
    let (_, wrong) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "grace", "password": "not-the-password"}}),
        )
        .await;
    let (_, unknown) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "nobody", "password": "not-the-password"}}),
        )
        .await;
    assert_eq!(error_code(&wrong), "INVALID_CREDENTIALS");
    assert_eq!(wrong["errors"][0]["message"], unknown["errors"][0]["message"]);
    assert_eq!(wrong["errors"][0]["extensions"], unknown["errors"][0]["extensions"]);
}

#[tokio::test]
async fn messages_follow_accept_language() {
    let app = TestApp::new().await;
    let input = json!({"input": {"account": "nobody", "password": "whatever-password"}});
    let (_, zh) = app.gql(LOGIN, input.clone()).await;
    assert_eq!(zh["errors"][0]["message"], "账号或密码错误");
    let (_, en) = app
        .gql_with(LOGIN, input, None, &[("accept-language", "en-US,en;q=0.9")])
        .await;
    assert_eq!(en["errors"][0]["message"], "Wrong account or password");
}

#[tokio::test]
async fn too_many_failures_lock_the_account() {
    let app = TestApp::with_args(&["--account-failures-hourly", "3"]).await;
    app.register_username("heidi", "a-good-password").await;
    for _ in 0..3 {
        let (_, body) = app
            .gql(
                LOGIN,
                json!({"input": {"account": "heidi", "password": "wrong-password"}}),
            )
            .await;
        assert_eq!(error_code(&body), "INVALID_CREDENTIALS");
    }
    let (_, locked) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "heidi", "password": "a-good-password"}}),
        )
        .await;
    assert_eq!(error_code(&locked), "TOO_MANY_ATTEMPTS");
    assert!(locked["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap() > 0);
    app.clock.advance(901);
    app.login("heidi", "a-good-password").await;
}

#[tokio::test]
async fn user_query_is_self_or_admin() {
    let app = TestApp::new().await;
    let ivan = app.register_username("ivan", "a-good-password").await;
    let judy = app.register_username("judy", "a-good-password").await;
    let judy_id = judy["user"]["id"].as_str().unwrap();
    let q = "query($id: ID!) { user(id: $id) { id username } }";
    let (_, own) = app.gql_as(&access(&judy), q, json!({"id": judy_id})).await;
    assert_eq!(own["data"]["user"]["username"], "judy");
    let (_, other) = app.gql_as(&access(&ivan), q, json!({"id": judy_id})).await;
    assert_eq!(error_code(&other), "FORBIDDEN");
    let (_, anon) = app.gql(q, json!({"id": judy_id})).await;
    assert_eq!(error_code(&anon), "UNAUTHENTICATED");

    app.grant_admin("ivan").await;
    let (_, admin) = app.gql_as(&access(&ivan), q, json!({"id": judy_id})).await;
    assert_eq!(admin["data"]["user"]["username"], "judy");
    let (_, missing) = app.gql_as(&access(&ivan), q, json!({"id": "999999"})).await;
    assert!(missing["data"]["user"].is_null());
}

#[tokio::test]
async fn users_is_admin_only_paginated_and_searchable() {
    let app = TestApp::new().await;
    let admin = app.register_username("root_admin", "a-good-password").await;
    for name in ["user_a", "user_b", "user_c", "other"] {
        app.register_username(name, "a-good-password").await;
    }
    let q = "query($first: Int, $after: String, $search: String) { users(first: $first, after: $after, search: $search) { totalCount edges { cursor node { username } } pageInfo { hasNextPage endCursor } } }";
    let (_, denied) = app.gql_as(&access(&admin), q, json!({})).await;
    assert_eq!(error_code(&denied), "FORBIDDEN");

    app.grant_admin("root_admin").await;
    let (_, page1) = app
        .gql_as(&access(&admin), q, json!({"first": 2, "search": "USER_"}))
        .await;
    let users = &page1["data"]["users"];
    assert_eq!(users["totalCount"], 3);
    assert_eq!(users["edges"].as_array().unwrap().len(), 2);
    assert_eq!(users["pageInfo"]["hasNextPage"], true);
    let after = users["pageInfo"]["endCursor"].as_str().unwrap();
    let (_, page2) = app
        .gql_as(
            &access(&admin),
            q,
            json!({"first": 2, "search": "user_", "after": after}),
        )
        .await;
    let names: Vec<&str> = page2["data"]["users"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["user_c"]);
    assert_eq!(page2["data"]["users"]["pageInfo"]["hasNextPage"], false);

    let (_, bad_first) = app.gql_as(&access(&admin), q, json!({"first": 0})).await;
    assert_eq!(error_code(&bad_first), "BAD_USER_INPUT");
    let (_, bad_cursor) = app.gql_as(&access(&admin), q, json!({"after": "garbage!"})).await;
    assert_eq!(error_code(&bad_cursor), "BAD_USER_INPUT");
}

#[tokio::test]
async fn registration_can_be_closed() {
    let app = TestApp::with_args(&["--registration-open", "false"]).await;
    let id = app.captcha().await;
    let (_, body) = app
        .gql(REGISTER, json!({"input": {"method": "USERNAME", "account": "kate", "password": "a-good-password", "verify": "abcd", "captchaId": id}}))
        .await;
    assert_eq!(error_code(&body), "REGISTRATION_CLOSED");
}

/// Every field of GraphQL type `name`, object-typed fields expanded with
/// all of theirs, read from introspection: a field added later is selected
/// too. Fields that need arguments are left out.
async fn every_field(app: &TestApp, name: &str) -> String {
    const TYPES: &str = "{ __schema { types { name kind fields { name args { name } type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";
    let (_, body) = app.gql(TYPES, json!({})).await;
    let types = body["data"]["__schema"]["types"]
        .as_array()
        .expect("introspection")
        .clone();
    fn select(types: &[serde_json::Value], name: &str, depth: usize) -> String {
        let ty = types.iter().find(|t| t["name"] == name).expect("type in schema");
        let mut out = Vec::new();
        for field in ty["fields"].as_array().unwrap() {
            if !field["args"].as_array().unwrap().is_empty() {
                continue;
            }
            let mut inner = &field["type"];
            while inner["name"].is_null() {
                inner = &inner["ofType"];
            }
            let field_name = field["name"].as_str().unwrap();
            match inner["kind"].as_str().unwrap() {
                "OBJECT" if depth < 3 => out.push(format!(
                    "{field_name} {{ {} }}",
                    select(types, inner["name"].as_str().unwrap(), depth + 1)
                )),
                "OBJECT" => {}
                _ => out.push(field_name.to_string()),
            }
        }
        out.join(" ")
    }
    select(&types, name, 0)
}

#[tokio::test]
async fn no_password_hash_or_secret_is_exposed() {
    const PASSWORD: &str = "Leo-secret-pass-1";
    const NEW_PASSWORD: &str = "Leo-other-pass-2";
    const PAY_PASSWORD: &str = "864209";
    const MOBILE: &str = "13113690901";
    let app = TestApp::new().await;
    let (_, schema) = app
        .gql("{ __type(name: \"User\") { fields { name } } }", json!({}))
        .await;
    let fields = schema["data"]["__type"]["fields"].to_string();
    for secret in ["password\"", "passwordHash", "openid", "payPasswordHash"] {
        assert!(!fields.contains(secret), "{secret} in {fields}");
    }

    let user = every_field(&app, "User").await;
    assert!(user.contains("hasPassword") && user.contains("bindings {"), "{user}");
    let tokens = every_field(&app, "TokenPair").await;
    let auth = format!("user {{ {user} }} tokens {{ {tokens} }} created");
    // (what, answer): every answer that carries the user, checked at the end.
    let mut answers: Vec<(&str, serde_json::Value)> = Vec::new();

    // GraphQL: register, sign in, refresh, me, user(id), each selecting every User field.
    let captcha = app.captcha().await;
    let answer = app.last_code(&captcha, "captcha");
    let input = json!({"input": {"method": "USERNAME", "account": "leo", "password": PASSWORD, "verify": answer, "captchaId": captcha}});
    let (_, body) = app
        .gql(
            &format!("mutation($input: RegisterInput!) {{ register(input: $input) {{ {auth} }} }}"),
            input,
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let token = body["data"]["register"]["tokens"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let id = body["data"]["register"]["user"]["id"].clone();
    answers.push(("register", body));

    // Give the account every secret it can hold (a mobile, a pay password, a
    // binding) through the legacy REST paths, whose answers are checked too.
    let api = |path: &str, attributes: serde_json::Value, token: Option<&str>| {
        let mut request = json_post(path, &json!({"data": {"attributes": attributes}}));
        if let Some(token) = token {
            let value = format!("Bearer {token}").parse().unwrap();
            request.headers_mut().insert(axum::http::header::AUTHORIZATION, value);
        }
        request
    };
    let e164 = format!("+86{MOBILE}");
    let (status, _, body) = app
        .call(api(
            "/api/sms/send",
            json!({"mobile": MOBILE, "type": "bind"}),
            Some(&token),
        ))
        .await;
    assert_eq!(status, 201, "{body}");
    let code = app.last_code(&e164, "bind");
    let (status, _, body) = app
        .call(api(
            "/api/sms/verify",
            json!({"mobile": MOBILE, "code": code, "type": "bind"}),
            Some(&token),
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    answers.push(("discuz bind", body));
    app.clock.advance(61);
    app.call(api("/api/sms/send", json!({"type": "reset_pay_pwd"}), Some(&token)))
        .await;
    let code = app.last_code(&e164, "reset_pay_password");
    let pay = json!({"code": code, "type": "reset_pay_pwd", "pay_password": PAY_PASSWORD, "pay_password_confirmation": PAY_PASSWORD});
    let (status, _, body) = app.call(api("/api/sms/verify", pay, Some(&token))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["canWalletPay"], true, "{body}");
    answers.push(("discuz reset_pay_pwd", body));
    app.clock.advance(61);
    app.call(api(
        "/api/sms/send",
        json!({"mobile": MOBILE, "type": "reset_pwd"}),
        None,
    ))
    .await;
    let code = app.last_code(&e164, "reset_password");
    let reset = json!({"mobile": MOBILE, "code": code, "type": "reset_pwd", "password": NEW_PASSWORD});
    let (status, _, body) = app.call(api("/api/sms/verify", reset, None)).await;
    assert_eq!(status, 200, "{body}");
    answers.push(("discuz reset_pwd", body));
    let (status, _, body) = app
        .call(api(
            "/api/login",
            json!({"username": "leo", "password": NEW_PASSWORD}),
            None,
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    answers.push(("discuz login", body));
    app.clock.advance(61);
    app.call(api("/api/sms/send", json!({"mobile": MOBILE, "type": "login"}), None))
        .await;
    let code = app.last_code(&e164, "login");
    let bind = json!({"phone": MOBILE, "code": code, "three_tig": "wx_app", "openid": "o-leo"});
    let (_, _, body) = app
        .call(json_post("/module/chickenshop/threeRegisterAndBind", &bind))
        .await;
    assert_eq!(body["status"], 200, "{body}");
    assert_eq!(body["data"]["set_password"], true, "{body}");
    answers.push(("chickenshop bind", body));
    // ShopXO answers its whole user row: a second account registered there.
    let uuid = "leo-shopxo";
    app.send(
        axum::http::Request::get(format!("/user/userverifyentry?uuid={uuid}"))
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    let answer = app.last_code(uuid, "captcha");
    let reg = json!({"accounts": "leoshop", "pwd": PASSWORD, "verify": answer, "type": "username", "uuid": uuid});
    let (_, _, body) = app.call(json_post("/user/reg", &reg)).await;
    assert_eq!(body["code"], 0, "{body}");
    answers.push(("shopxo reg", body));

    // GraphQL again, now that the account holds every secret.
    let input = json!({"input": {"account": "leo", "password": NEW_PASSWORD}});
    let (_, body) = app
        .gql(
            &format!("mutation($input: LoginInput!) {{ login(input: $input) {{ {auth} }} }}"),
            input,
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let token = body["data"]["login"]["tokens"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let refresh_token = body["data"]["login"]["tokens"]["refreshToken"].clone();
    assert_eq!(body["data"]["login"]["user"]["hasPayPassword"], true, "{body}");
    assert_eq!(
        body["data"]["login"]["user"]["bindings"][0]["platform"], "WX_APP",
        "{body}"
    );
    answers.push(("login", body));
    let (_, body) = app
        .gql(
            &format!("mutation($t: String!) {{ refreshToken(refreshToken: $t) {{ user {{ {user} }} tokens {{ {tokens} }} }} }}"),
            json!({"t": refresh_token}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    answers.push(("refreshToken", body));
    let (_, body) = app.gql_as(&token, &format!("{{ me {{ {user} }} }}"), json!({})).await;
    assert!(body["errors"].is_null() && !body["data"]["me"].is_null(), "{body}");
    answers.push(("me", body));
    let (_, body) = app
        .gql_as(
            &token,
            &format!("query($id: ID!) {{ user(id: $id) {{ {user} }} }}"),
            json!({"id": id}),
        )
        .await;
    assert!(body["errors"].is_null() && !body["data"]["user"].is_null(), "{body}");
    answers.push(("user(id)", body));

    for (what, body) in &answers {
        let text = body.to_string();
        assert!(!text.contains("$argon2"), "{what} answers a password hash: {text}");
        assert!(!text.contains("argon2"), "{what} names the hash: {text}");
        for secret in [PASSWORD, NEW_PASSWORD, PAY_PASSWORD] {
            assert!(!text.contains(secret), "{what} answers the secret {secret}: {text}");
        }
    }
}

#[tokio::test]
async fn a_successful_sign_in_ends_a_failure_streak() {
    let app = TestApp::with_args(&["--account-failures-hourly", "3"]).await;
    app.register_username("ivy", "a-good-password").await;
    let wrong = json!({"input": {"account": "ivy", "password": "wrong-password"}});
    for _ in 0..2 {
        assert_eq!(
            error_code(&app.gql(LOGIN, wrong.clone()).await.1),
            "INVALID_CREDENTIALS"
        );
    }
    app.login("ivy", "a-good-password").await;
    for _ in 0..2 {
        assert_eq!(
            error_code(&app.gql(LOGIN, wrong.clone()).await.1),
            "INVALID_CREDENTIALS"
        );
    }
    app.login("ivy", "a-good-password").await;
}

#[tokio::test]
async fn captchas_are_limited_per_client_ip() {
    let app = TestApp::new().await;
    for _ in 0..120 {
        app.captcha().await;
    }
    let (_, body) = app.gql("mutation { createCaptcha { id } }", json!({})).await;
    assert_eq!(error_code(&body), "RATE_LIMITED", "{body}");
}
