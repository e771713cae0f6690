//! DESIGN §8 lockout: wrong passwords lock the *password* sign-in of one
//! identifier; the check and the count are one atomic step; unknown
//! identifiers lock the same way; a code sign-in still works.

use serde_json::{Value, json};

use crate::common::*;
use crate::sms::{send_code, sms_user};

async fn parallel_logins(app: &TestApp, account: &str, passwords: Vec<String>) -> Vec<Value> {
    let attempts = passwords.into_iter().map(|password| {
        let input = json!({"input": {"account": account, "password": password}});
        async move { app.gql(LOGIN, input).await.1 }
    });
    futures::future::join_all(attempts).await
}

fn count(answers: &[Value], code: &str) -> usize {
    answers.iter().filter(|a| error_code(a) == code).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_never_get_more_checks_than_the_limit() {
    let app = TestApp::with_args(&["--account-failures-hourly", "20"]).await;
    app.register_username("target", "the-right-password").await;
    let wrong: Vec<String> = (0..200).map(|i| format!("wrong-password-{i}")).collect();
    let answers = parallel_logins(&app, "target", wrong).await;
    let checked = count(&answers, "INVALID_CREDENTIALS");
    let refused = count(&answers, "TOO_MANY_ATTEMPTS");
    assert!(checked <= 20, "{checked} wrong passwords were checked, the limit is 20");
    assert_eq!(checked + refused, 200, "every answer is one of the two");
    // Before the fix, the right password was accepted after a burst like this.
    let (_, right) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "target", "password": "the-right-password"}}),
        )
        .await;
    assert_eq!(error_code(&right), "TOO_MANY_ATTEMPTS", "{right}");
    assert!(right["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap_or(0) > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_right_password_among_a_burst_is_checked_at_most_once_per_reserved_try() {
    let app = TestApp::with_args(&["--account-failures-hourly", "5"]).await;
    app.register_username("mixed", "the-right-password").await;
    let mut passwords: Vec<String> = (0..30).map(|i| format!("wrong-password-{i}")).collect();
    passwords.push("the-right-password".into());
    let answers = parallel_logins(&app, "mixed", passwords).await;
    let signed_in = answers.iter().filter(|a| a["errors"].is_null()).count();
    let checked = count(&answers, "INVALID_CREDENTIALS") + signed_in;
    assert!(checked <= 5, "{checked} passwords were checked, the limit is 5");
}

#[tokio::test]
async fn an_unknown_identifier_locks_like_a_known_one() {
    let app = TestApp::with_args(&["--account-failures-hourly", "3"]).await;
    app.register_username("known", "the-right-password").await;
    let mut answers = Vec::new();
    for account in ["known", "unknown"] {
        let mut codes = Vec::new();
        for i in 0..5 {
            let input = json!({"input": {"account": account, "password": format!("wrong-password-{i}")}});
            codes.push(error_code(&app.gql(LOGIN, input).await.1).to_string());
        }
        answers.push(codes);
    }
    assert_eq!(
        answers[0], answers[1],
        "the same answers for a known and an unknown account"
    );
    assert_eq!(
        answers[0],
        [
            "INVALID_CREDENTIALS",
            "INVALID_CREDENTIALS",
            "INVALID_CREDENTIALS",
            "TOO_MANY_ATTEMPTS",
            "TOO_MANY_ATTEMPTS"
        ]
    );
}

#[tokio::test]
async fn a_password_lock_does_not_block_a_code_sign_in() {
    let app = TestApp::with_args(&["--account-failures-hourly", "3"]).await;
    let mobile = "13800000311";
    let user = sms_user(&app, mobile).await;
    for i in 0..4 {
        let input = json!({"input": {"account": mobile, "password": format!("wrong-password-{i}")}});
        app.gql(LOGIN, input).await;
    }
    let input = json!({"input": {"account": mobile, "password": "whatever-password"}});
    assert_eq!(error_code(&app.gql(LOGIN, input).await.1), "TOO_MANY_ATTEMPTS");
    // The owner still signs in with a code sent to the phone.
    app.clock.advance(61);
    let code = send_code(&app, None, Some(mobile), "LOGIN").await;
    let verify =
        "mutation($input: VerifySmsInput!) { verifySms(input: $input) { user { id } tokens { accessToken } } }";
    let (_, body) = app
        .gql(
            verify,
            json!({"input": {"mobile": mobile, "code": code, "purpose": "LOGIN"}}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["verifySms"]["user"]["id"], user["user"]["id"]);
}

#[tokio::test]
async fn wrong_codes_do_not_lock_the_password_sign_in() {
    let app = TestApp::with_args(&["--account-failures-hourly", "3"]).await;
    let mobile = "13800000312";
    sms_user(&app, mobile).await;
    let verify = "mutation($input: VerifySmsInput!) { verifySms(input: $input) { purpose } }";
    for _ in 0..2 {
        app.clock.advance(61);
        send_code(&app, None, Some(mobile), "LOGIN").await;
        for _ in 0..5 {
            app.gql(
                verify,
                json!({"input": {"mobile": mobile, "code": "000000", "purpose": "LOGIN"}}),
            )
            .await;
        }
    }
    // Ten wrong codes burned two codes; the password factor is untouched
    // (this account has no password, so the answer is a plain refusal).
    let input = json!({"input": {"account": mobile, "password": "some-password"}});
    assert_eq!(error_code(&app.gql(LOGIN, input).await.1), "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn each_further_lock_of_a_factor_lasts_twice_as_long_until_the_owner_signs_in() {
    let app = TestApp::with_args(&["--account-failures-hourly", "2", "--lockout", "60"]).await;
    app.register_username("doubling", "the-right-password").await;
    let wrong = json!({"input": {"account": "doubling", "password": "a-wrong-password"}});
    // Two wrong passwords lock; the third try is refused for the lock's length.
    let lock_after_two_wrong = || async {
        for _ in 0..2 {
            assert_eq!(
                error_code(&app.gql(LOGIN, wrong.clone()).await.1),
                "INVALID_CREDENTIALS"
            );
        }
        let body = app.gql(LOGIN, wrong.clone()).await.1;
        assert_eq!(error_code(&body), "TOO_MANY_ATTEMPTS", "{body}");
        body["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap()
    };
    assert_lock(lock_after_two_wrong().await, 60);
    app.clock.advance(61);
    assert_lock(lock_after_two_wrong().await, 120);
    app.clock.advance(121);
    assert_lock(lock_after_two_wrong().await, 240);
    // The owner's sign-in ends the escalation: the next lock is the first again.
    app.clock.advance(241);
    let right = json!({"input": {"account": "doubling", "password": "the-right-password"}});
    assert!(app.gql(LOGIN, right).await.1["errors"].is_null());
    assert_lock(lock_after_two_wrong().await, 60);
}

/// A lock's `retryAfter`: its length, less the seconds the wall clock moved
/// on between the locking try and the refused one (a loaded machine).
fn assert_lock(retry_after: u64, length: u64) {
    assert!(
        (length.saturating_sub(5)..=length).contains(&retry_after),
        "retryAfter {retry_after}, the lock is {length} s"
    );
}

/// PostgreSQL: the read that counts a password try turns off
/// `synchronous_commit` for its own transaction only; the next statement on
/// the same connection (a sign-in's writes) commits as durably as ever. (That
/// it then skips the flush shows in `pg_stat_wal`, cluster-wide and so not
/// checked here beside other tests: 1 `wal_sync` for 50 such statements by
/// hand, 50 for 50 plain inserts.)
#[tokio::test]
async fn the_counted_tries_commit_mode_ends_with_its_statement() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    use zhanghao::{domain::Account, store};

    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(dir.path()).await;
    if !database.url.starts_with("postgres") {
        return;
    }
    // One connection, so the second statement runs where the first did.
    let db = store::connect(&database.url, 1, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    store::migrate(&db).await.unwrap();
    // The session's own setting, whatever the server's (CI's throwaway
    // PostgreSQL runs with it off).
    db.execute_unprepared("SET synchronous_commit = on").await.unwrap();
    let account = Account::parse("someone", phonenumber::country::Id::CN).unwrap();
    let upsert = store::counters::streak_try_upsert("pwfail:u:someone", 1_700_000_000, 5, 3600, 900);
    let (counted, record) = store::users::for_password_sign_in_counting(&db, Some(&account), upsert)
        .await
        .unwrap();
    assert_eq!(counted.count, 1, "the try is counted");
    assert!(record.is_none(), "nobody is called that");
    let setting = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, "SHOW synchronous_commit"))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "synchronous_commit")
        .unwrap();
    assert_eq!(setting, "on", "the statement's own setting ended with it");
    let again = store::counters::streak_try_upsert("pwfail:u:someone", 1_700_000_001, 5, 3600, 900);
    let (counted, _) = store::users::for_password_sign_in_counting(&db, Some(&account), again)
        .await
        .unwrap();
    assert_eq!(counted.count, 2, "the first count was committed and is seen");
    db.close().await.unwrap();
}
