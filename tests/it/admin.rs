//! Operators (issue 15, DESIGN §11): disableUser, enableUser, setUserRole,
//! revokeUserSessions, the audit log, `users` filters and `User.loginHistory`.

use axum::http::StatusCode;
use serde_json::{Value, json};
use zhanghao::clock::Clock as _;

use crate::common::*;
use crate::sms::{VERIFY, send_code, sms_user};

pub const DISABLE: &str = "mutation($id: ID!, $reason: String, $until: DateTime) { disableUser(id: $id, reason: $reason, until: $until) { id status disabledReason disabledUntil } }";
const ENABLE: &str = "mutation($id: ID!) { enableUser(id: $id) { id status disabledReason } }";
const SET_ROLE: &str = "mutation($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { id role } }";
const REVOKE: &str = "mutation($id: ID!) { revokeUserSessions(id: $id) }";
pub const AUDIT: &str = "query($first: Int, $after: String, $userId: ID, $action: String) { auditLog(first: $first, after: $after, userId: $userId, action: $action) { edges { cursor node { id at actorId action targetUserId ip detail } } pageInfo { hasNextPage endCursor } } }";
const REFRESH: &str = "mutation($t: String!) { refreshToken(refreshToken: $t) { tokens { accessToken } } }";

/// An ADMIN `boss` and a USER `alice`: (admin token, alice's payload, alice's id).
pub async fn boss_and_alice(app: &TestApp) -> (String, Value, String) {
    app.register_username("boss", "a-good-password").await;
    app.grant_admin("boss").await;
    let boss = access(&app.login("boss", "a-good-password").await);
    let alice = app.register_username("alice", "a-good-password").await;
    let id = alice["user"]["id"].as_str().unwrap().to_string();
    (boss, alice, id)
}

async fn events(app: &TestApp, token: &str, variables: Value) -> Vec<Value> {
    let (_, body) = app.gql_as(token, AUDIT, variables).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

#[tokio::test]
async fn disabling_signs_the_user_out_at_once_and_refuses_every_sign_in() {
    let app = TestApp::new().await;
    let (boss, alice, id) = boss_and_alice(&app).await;
    let (_, body) = app
        .gql_as(&boss, DISABLE, json!({"id": id, "reason": " spam 广告 "}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["disableUser"]["status"], "DISABLED");
    assert_eq!(body["data"]["disableUser"]["disabledReason"], "spam 广告");

    // Her access token and her refresh token stop working at once.
    let (_, body) = app.gql_as(&access(&alice), "{ me { id } }", json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    let (_, body) = app.gql(REFRESH, json!({"t": refresh(&alice)})).await;
    assert!(!body["errors"].is_null(), "{body}");
    let (_, body) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "alice", "password": "a-good-password"}}),
        )
        .await;
    assert_eq!(error_code(&body), "ACCOUNT_DISABLED", "{body}");
    // Discuz! Q's password sign-in, in its own envelope.
    let discuz = json!({"data": {"attributes": {"username": "alice", "password": "a-good-password"}}});
    let (status, _, body) = app.call(json_post("/api/login", &discuz)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["errors"][0]["code"], "ban_user", "{body}");

    let audit = events(&app, &boss, json!({"userId": id})).await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["action"], "user.disabled");
    assert_eq!(audit[0]["targetUserId"], id.as_str());
    assert_eq!(audit[0]["detail"], "spam 广告");
    assert_eq!(audit[0]["ip"], "203.0.113.7");
    assert!(!audit[0]["actorId"].is_null());

    let (_, body) = app.gql_as(&boss, ENABLE, json!({"id": id})).await;
    assert_eq!(body["data"]["enableUser"]["status"], "ACTIVE", "{body}");
    assert!(body["data"]["enableUser"]["disabledReason"].is_null());
    app.login("alice", "a-good-password").await;
    let audit = events(&app, &boss, json!({"userId": id, "action": "user.enabled"})).await;
    assert_eq!(audit.len(), 1, "{audit:?}");
}

#[tokio::test]
async fn a_ban_with_an_end_is_over_once_it_passes() {
    let app = TestApp::new().await;
    let (boss, _, id) = boss_and_alice(&app).await;
    let until = (app.clock.now() + chrono::Duration::hours(1)).to_rfc3339();
    let (_, body) = app.gql_as(&boss, DISABLE, json!({"id": id, "until": until})).await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, body) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "alice", "password": "a-good-password"}}),
        )
        .await;
    assert_eq!(error_code(&body), "ACCOUNT_DISABLED");
    let count = |status: &'static str| {
        let boss = boss.clone();
        let app = &app;
        async move {
            let (_, body) = app
                .gql_as(
                    &boss,
                    "query($s: UserStatus) { users(status: $s) { totalCount } }",
                    json!({"s": status}),
                )
                .await;
            body["data"]["users"]["totalCount"].as_i64().unwrap()
        }
    };
    assert_eq!((count("ACTIVE").await, count("DISABLED").await), (1, 1));

    app.clock.advance(3601);
    let alice = app.login("alice", "a-good-password").await;
    assert_eq!((count("ACTIVE").await, count("DISABLED").await), (2, 0));
    let (_, body) = app.gql_as(&access(&alice), "{ me { status } }", json!({})).await;
    assert_eq!(body["data"]["me"]["status"], "ACTIVE", "{body}");
}

#[tokio::test]
async fn every_admin_mutation_refuses_non_admins_unknown_ids_and_bad_input() {
    let app = TestApp::new().await;
    let (boss, alice, id) = boss_and_alice(&app).await;
    let alice = access(&alice);
    let mutations = [
        (DISABLE, json!({"id": id})),
        (ENABLE, json!({"id": id})),
        (SET_ROLE, json!({"id": id, "role": "ADMIN"})),
        (REVOKE, json!({"id": id})),
        (AUDIT, json!({})),
    ];
    for (query, variables) in &mutations {
        let (_, body) = app.gql_as(&alice, query, variables.clone()).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{query}: {body}");
        let (_, body) = app.gql(query, variables.clone()).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{query}: {body}");
    }
    for (query, mut variables) in mutations.into_iter().take(4) {
        variables["id"] = json!("999999");
        let (_, body) = app.gql_as(&boss, query, variables.clone()).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{query}: {body}");
        variables["id"] = json!("abc");
        let (_, body) = app.gql_as(&boss, query, variables).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
    }
    let field = |body: &Value| {
        body["errors"][0]["extensions"]["field"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let long = "字".repeat(201);
    let (_, body) = app.gql_as(&boss, DISABLE, json!({"id": id, "reason": long})).await;
    assert_eq!(
        (error_code(&body), field(&body).as_str()),
        ("BAD_USER_INPUT", "reason"),
        "{body}"
    );
    let (_, body) = app
        .gql_as(&boss, DISABLE, json!({"id": id, "reason": "a\u{0007}b"}))
        .await;
    assert_eq!(field(&body), "reason", "{body}");
    let past = (app.clock.now() - chrono::Duration::seconds(1)).to_rfc3339();
    let (_, body) = app.gql_as(&boss, DISABLE, json!({"id": id, "until": past})).await;
    assert_eq!(
        (error_code(&body), field(&body).as_str()),
        ("BAD_USER_INPUT", "until"),
        "{body}"
    );
    let (_, body) = app.gql_as(&boss, AUDIT, json!({"action": "user.nothing"})).await;
    assert_eq!(field(&body), "action", "{body}");
    let (_, body) = app.gql_as(&boss, AUDIT, json!({"first": 0})).await;
    assert_eq!(field(&body), "first", "{body}");

    // Nothing was changed by any refusal: the only event is the grant.
    let audit = events(&app, &boss, json!({})).await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["action"], "user.role_changed");
    app.login("alice", "a-good-password").await;
}

#[tokio::test]
async fn an_admin_cannot_lock_themself_out() {
    let app = TestApp::new().await;
    let (boss, _, alice_id) = boss_and_alice(&app).await;
    let (_, me) = app.gql_as(&boss, "{ me { id } }", json!({})).await;
    let boss_id = me["data"]["me"]["id"].as_str().unwrap().to_string();
    let (_, body) = app.gql_as(&boss, DISABLE, json!({"id": boss_id})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let (_, body) = app
        .gql_as(&boss, SET_ROLE, json!({"id": boss_id, "role": "USER"}))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "the last admin: {body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "role");

    // With a second ADMIN, the first may step down; the change is audited.
    let (_, body) = app
        .gql_as(&boss, SET_ROLE, json!({"id": alice_id, "role": "ADMIN"}))
        .await;
    assert_eq!(body["data"]["setUserRole"]["role"], "ADMIN", "{body}");
    let (_, body) = app
        .gql_as(&boss, SET_ROLE, json!({"id": boss_id, "role": "USER"}))
        .await;
    assert_eq!(body["data"]["setUserRole"]["role"], "USER", "{body}");
    let (_, body) = app.gql_as(&boss, AUDIT, json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "no longer an admin: {body}");
    let alice = access(&app.login("alice", "a-good-password").await);
    let audit = events(&app, &alice, json!({"action": "user.role_changed"})).await;
    let details: Vec<&str> = audit.iter().map(|e| e["detail"].as_str().unwrap()).collect();
    // The oldest is `zhanghao admin grant`'s, by no one.
    assert_eq!(details, ["ADMIN -> USER", "USER -> ADMIN", "USER -> ADMIN"]);
    assert!(audit[2]["actorId"].is_null() && audit[2]["ip"].is_null(), "{audit:?}");
}

#[tokio::test]
async fn revoking_sessions_ends_every_token_and_the_audit_log_pages() {
    let app = TestApp::new().await;
    let (boss, alice, id) = boss_and_alice(&app).await;
    let (_, body) = app.gql_as(&boss, REVOKE, json!({"id": id})).await;
    assert_eq!(body["data"]["revokeUserSessions"], true, "{body}");
    let (_, body) = app.gql_as(&access(&alice), "{ me { id } }", json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    let (_, body) = app.gql(REFRESH, json!({"t": refresh(&alice)})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    // She may sign in again: only her sessions ended.
    app.login("alice", "a-good-password").await;

    for _ in 0..4 {
        app.gql_as(&boss, REVOKE, json!({"id": id})).await;
    }
    let revoked = "user.sessions_revoked";
    let (_, body) = app.gql_as(&boss, AUDIT, json!({"first": 3, "action": revoked})).await;
    let page = &body["data"]["auditLog"];
    assert_eq!(page["edges"].as_array().unwrap().len(), 3, "{body}");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let after = page["pageInfo"]["endCursor"].as_str().unwrap();
    let (_, body) = app
        .gql_as(&boss, AUDIT, json!({"first": 3, "after": after, "action": revoked}))
        .await;
    let rest = &body["data"]["auditLog"];
    assert_eq!(rest["edges"].as_array().unwrap().len(), 2, "{body}");
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    let (_, body) = app.gql_as(&boss, AUDIT, json!({"after": "bm9wZQ"})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn users_search_by_id_any_mobile_spelling_email_and_filters() {
    let app = TestApp::new().await;
    let (boss, _, alice_id) = boss_and_alice(&app).await;
    let mobile = sms_user(&app, "13800138000").await;
    let mobile_id = mobile["user"]["id"].as_str().unwrap().to_string();
    let search = |term: String| {
        let (app, boss) = (&app, boss.clone());
        async move {
            let (_, body) = app
                .gql_as(
                    &boss,
                    "query($s: String) { users(search: $s) { edges { node { id } } } }",
                    json!({"s": term}),
                )
                .await;
            assert!(body["errors"].is_null(), "{body}");
            body["data"]["users"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    for spelling in [
        "13800138000",
        "+86 138 0013 8000",
        "+8613800138000",
        "138-0013-8000",
        "0013 8000",
    ] {
        assert_eq!(search(spelling.into()).await, vec![mobile_id.clone()], "{spelling}");
    }
    assert_eq!(search(alice_id.clone()).await, vec![alice_id.clone()]);
    assert_eq!(search("ALIC".into()).await, vec![alice_id.clone()]);
    assert!(search("13900000000".into()).await.is_empty());

    let later = (app.clock.now() + chrono::Duration::seconds(10)).to_rfc3339();
    app.clock.advance(20);
    app.register_username("newcomer", "a-good-password").await;
    let (_, body) = app
        .gql_as(
            &boss,
            "query($a: DateTime, $b: DateTime) { after: users(createdAfter: $a) { totalCount } before: users(createdBefore: $b) { totalCount } }",
            json!({"a": later, "b": later}),
        )
        .await;
    assert_eq!(body["data"]["after"]["totalCount"], 1, "{body}");
    assert_eq!(body["data"]["before"]["totalCount"], 3, "{body}");
}

#[tokio::test]
async fn an_admin_reads_another_user_s_login_history_and_sessions_others_cannot() {
    let app = TestApp::new().await;
    let (boss, alice, id) = boss_and_alice(&app).await;
    app.login("alice", "a-good-password").await;
    let (_, body) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "alice", "password": "wrong-password"}}),
        )
        .await;
    assert_eq!(error_code(&body), "INVALID_CREDENTIALS");
    let query = "query($id: ID!) { user(id: $id) { sessions { id } loginHistory(first: 10) { edges { node { success failureCode } } } } }";
    let (_, body) = app.gql_as(&boss, query, json!({"id": id})).await;
    assert!(body["errors"].is_null(), "{body}");
    let history = body["data"]["user"]["loginHistory"]["edges"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{body}");
    assert_eq!(history[0]["node"]["failureCode"], "INVALID_CREDENTIALS");
    assert_eq!(
        body["data"]["user"]["sessions"].as_array().unwrap().len(),
        2,
        "sign-up and sign-in"
    );

    // Alice sees her own; she cannot read the boss's.
    let (_, me) = app.gql_as(&boss, "{ me { id } }", json!({})).await;
    let (_, body) = app
        .gql_as(&access(&alice), query, json!({"id": me["data"]["me"]["id"]}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let (_, body) = app.gql_as(&access(&alice), query, json!({"id": id})).await;
    assert!(body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn security_events_are_audited_with_the_user_as_actor() {
    let app = TestApp::new().await;
    let (boss, alice, alice_id) = boss_and_alice(&app).await;
    let change =
        "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { user { id } } }";
    let (_, body) = app
        .gql_as(
            &access(&alice),
            change,
            json!({"c": "a-good-password", "n": "another-good-password"}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");

    let user = sms_user(&app, "13800000900").await;
    let sms_id = user["user"]["id"].as_str().unwrap().to_string();
    let token = user["tokens"]["accessToken"].as_str().unwrap().to_string();
    app.clock.advance(61);
    let code = send_code(&app, Some(&token), None, "VERIFY").await;
    let verify = |input: Value, token: Option<String>| {
        let app = &app;
        async move {
            app.gql_with(VERIFY, json!({"input": input}), token.as_deref(), &[])
                .await
                .1
        }
    };
    assert!(verify(json!({"code": code, "purpose": "VERIFY"}), Some(token.clone())).await["errors"].is_null());
    let set = "mutation($p: String!) { setPassword(password: $p) { id } }";
    let (_, body) = app.gql_as(&token, set, json!({"p": "a-first-password"})).await;
    assert!(body["errors"].is_null(), "{body}");
    let code = send_code(&app, Some(&token), Some("13800000901"), "REBIND").await;
    let body = verify(
        json!({"mobile": "13800000901", "code": code, "purpose": "REBIND"}),
        Some(token),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    app.clock.advance(61);
    let code = send_code(&app, None, Some("13800000901"), "RESET_PASSWORD").await;
    let input =
        json!({"mobile": "13800000901", "code": code, "purpose": "RESET_PASSWORD", "password": "a-reset-password"});
    assert!(verify(input, None).await["errors"].is_null());

    let actions = |events: Vec<Value>| {
        events
            .iter()
            .map(|e| {
                assert_eq!(e["actorId"], e["targetUserId"], "{e}");
                e["action"].as_str().unwrap().to_string()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        actions(events(&app, &boss, json!({"userId": alice_id})).await),
        ["user.password_changed"]
    );
    assert_eq!(
        actions(events(&app, &boss, json!({"userId": sms_id})).await),
        ["user.password_reset", "user.mobile_rebound", "user.password_changed"]
    );
}

#[tokio::test]
async fn disable_and_enable_go_to_the_events_webhook_in_their_transaction() {
    let app = TestApp::with_args(&[
        "--events-webhook-url",
        "http://127.0.0.1:9/hook",
        "--events-webhook-secret",
        "a-webhook-secret-of-some-length",
    ])
    .await;
    let (boss, _, id) = boss_and_alice(&app).await;
    let until = (app.clock.now() + chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    app.gql_as(
        &boss,
        DISABLE,
        json!({"id": id, "reason": "private words", "until": until}),
    )
    .await;
    app.gql_as(&boss, ENABLE, json!({"id": id})).await;
    use sea_orm::EntityTrait as _;
    let rows: Vec<_> = entity::event::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.user_id.to_string() == id)
        .collect();
    let types: Vec<&str> = rows.iter().map(|row| row.event_type.as_str()).collect();
    assert_eq!(
        &types[types.len() - 2..],
        ["user.disabled", "user.enabled"],
        "{types:?}"
    );
    let disabled = &rows[rows.len() - 2];
    assert!(
        !disabled.data.contains("private"),
        "no operator words: {}",
        disabled.data
    );
    assert!(disabled.data.contains(&until), "{}", disabled.data);
    let waiting = zhanghao::store::events::waiting(&app.state.db).await.unwrap();
    assert!(waiting >= 2, "disabled and enabled both waiting: {waiting}");
}

#[tokio::test]
async fn legacy_sign_ins_of_a_disabled_user_answer_in_their_envelopes() {
    let app = TestApp::new().await;
    let (boss, _, _) = boss_and_alice(&app).await;
    let user = sms_user(&app, "13800000950").await;
    let id = user["user"]["id"].as_str().unwrap().to_string();
    let (_, body) = app.gql_as(&boss, DISABLE, json!({"id": id})).await;
    assert!(body["errors"].is_null(), "{body}");

    // Discuz! Q: an SMS sign-in.
    app.clock.advance(61);
    let send = json!({"data": {"attributes": {"mobile": "13800000950", "type": "login"}}});
    let (status, _, _) = app.call(json_post("/api/sms/send", &send)).await;
    assert_eq!(status, StatusCode::CREATED);
    let code = app.last_code("+8613800000950", "login");
    let verify = json!({"data": {"attributes": {"mobile": "13800000950", "code": code, "type": "login"}}});
    let (status, _, body) = app.call(json_post("/api/sms/verify", &verify)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["errors"][0]["code"], "ban_user", "{body}");

    // chickenshop: threeRegisterAndBind with the phone's code.
    app.clock.advance(61);
    let (status, _, _) = app.call(json_post("/api/sms/send", &send)).await;
    assert_eq!(status, StatusCode::CREATED);
    let code = app.last_code("+8613800000950", "login");
    let (_, _, body) = app
        .call(json_post(
            "/module/chickenshop/threeRegisterAndBind",
            &json!({"phone": "13800000950", "code": code}),
        ))
        .await;
    assert_ne!(body["status"], 200, "{body}");
    assert_eq!(body["msg"], "账号已被禁用", "{body}");
}

#[tokio::test]
async fn an_account_deletion_is_in_the_audit_log_the_request_by_its_owner_the_erasure_by_the_server() {
    let app = TestApp::with_args(&["--deletion-grace-days", "0"]).await;
    let (boss, alice, id) = boss_and_alice(&app).await;
    let request = r#"mutation { requestAccountDeletion(password: "a-good-password") { status } }"#;
    let (_, body) = app.gql_as(&access(&alice), request, json!({})).await;
    assert_eq!(body["data"]["requestAccountDeletion"]["status"], "DELETED", "{body}");
    let log = events(&app, &boss, json!({"userId": id})).await;
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    // Newest first.
    assert_eq!(actions, ["user.deleted", "user.deletion_requested"], "{log:?}");
    let (deleted, requested) = (&log[0], &log[1]);
    assert!(deleted["actorId"].is_null() && deleted["ip"].is_null(), "{deleted}");
    assert_eq!(requested["actorId"], id.as_str());
    // The erasure clears the addresses of the account's audit rows too.
    assert!(requested["ip"].is_null(), "{requested}");
}

#[tokio::test]
async fn a_sign_in_payload_reads_its_own_sessions_a_reset_by_code_does_not() {
    let app = TestApp::new().await;
    sms_user(&app, "13800000902").await;
    app.clock.advance(61);
    let code = send_code(&app, None, Some("13800000902"), "LOGIN").await;
    let signed_in = "mutation($input: VerifySmsInput!) { verifySms(input: $input) { user { sessions { id } } } }";
    let input = json!({"mobile": "13800000902", "code": code, "purpose": "LOGIN"});
    let (_, body) = app.gql(signed_in, json!({"input": input})).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(
        body["data"]["verifySms"]["user"]["sessions"].as_array().unwrap().len(),
        2
    );

    // A code proves the mobile, not the right to read the account: the
    // payload has no tokens, and the request had none (an anonymous reader).
    app.clock.advance(61);
    let code = send_code(&app, None, Some("13800000902"), "RESET_PASSWORD").await;
    let input =
        json!({"mobile": "13800000902", "code": code, "purpose": "RESET_PASSWORD", "password": "a-reset-password"});
    let (_, body) = app.gql(signed_in, json!({"input": input})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
}
