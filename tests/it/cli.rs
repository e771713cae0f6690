//! The command line as an operator meets it (issue 12): a grouped manual,
//! commands that show only what they use, and one clear line for each
//! start-up mistake.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn zhanghao(args: &[&str], envs: &[(&str, &str)], dir: &std::path::Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zhanghao"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("ZHANGHAO_ENV")
        .env_remove("ZHANGHAO_JWT_SECRET")
        .envs(envs.iter().copied())
        .env("ZHANGHAO_OUTBOX", dir.join("outbox.jsonl"))
        .env("RUST_LOG", "off")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run zhanghao");
    // Each of these commands ends by itself; a server that starts instead
    // is killed rather than left to hang the suite.
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The one line the command printed on stderr.
fn error_line(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {text}");
    assert!(!output.status.success());
    lines[0].to_string()
}

#[test]
fn serve_help_is_a_grouped_manual_and_other_commands_show_only_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let serve = stdout(&zhanghao(&["serve", "--help"], &[], dir.path()));
    for heading in [
        "HTTP:",
        "Database:",
        "Accounts:",
        "Tokens:",
        "Codes and limits:",
        "Messaging:",
        "Platforms:",
        "One-click sign-in:",
        "Logging and metrics:",
    ] {
        assert!(serve.lines().any(|l| l == heading), "{heading} in: {serve}");
    }
    for flag in [
        "--trust-client-openid",
        "--aliyun-endpoint",
        "--tencent-endpoint",
        "--jiguang-private-key",
        "--listen",
    ] {
        assert!(serve.contains(flag), "{flag}");
    }
    let migrate = stdout(&zhanghao(&["migrate", "--help"], &[], dir.path()));
    assert!(
        migrate.contains("--database-url") && !migrate.contains("--listen"),
        "{migrate}"
    );
    let admin = stdout(&zhanghao(&["admin", "grant", "--help"], &[], dir.path()));
    assert!(
        admin.contains("--database-url") && !admin.contains("--jwt-secret"),
        "{admin}"
    );
    let schema = stdout(&zhanghao(&["schema", "--help"], &[], dir.path()));
    assert!(!schema.contains("--database-url"), "{schema}");
    let top = stdout(&zhanghao(&["--help"], &[], dir.path()));
    assert!(top.contains("serve") && !top.contains("--listen"), "{top}");
}

#[test]
fn a_busy_port_is_named_before_any_migration_runs() {
    let dir = tempfile::tempdir().unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = busy.local_addr().unwrap().to_string();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("db.sqlite").display());
    let output = zhanghao(
        &["serve", "--listen", &address, "--database-url", &database],
        &[],
        dir.path(),
    );
    let line = error_line(&output);
    assert!(line.contains(&address) && line.contains("in use"), "{line}");
    assert!(!dir.path().join("db.sqlite").exists(), "nothing was migrated");
}

#[test]
fn an_unreachable_database_is_named_by_host_and_port_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("postgres://app:pa55word@127.0.0.1:{port}/accounts");
    let output = zhanghao(
        &[
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &url,
            "--db-acquire-timeout",
            "1",
        ],
        &[],
        dir.path(),
    );
    let line = error_line(&output);
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    assert!(!line.contains("pa55word"), "{line}");
}

#[test]
fn a_sqlite_path_that_cannot_be_created_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/missing/dir/z.db?mode=rwc", dir.path().display());
    let output = zhanghao(&["--listen", "127.0.0.1:0", "--database-url", &url], &[], dir.path());
    let line = error_line(&output);
    assert!(
        line.contains("missing/dir") && line.contains("does not exist"),
        "{line}"
    );
}

#[test]
fn production_without_a_secret_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let output = zhanghao(
        &["--listen", "127.0.0.1:0"],
        &[("ZHANGHAO_ENV", "production")],
        dir.path(),
    );
    let line = error_line(&output);
    assert!(line.contains("ZHANGHAO_JWT_SECRET"), "{line}");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn half_a_jiguang_setup_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let envs = [
        ("ZHANGHAO_JIGUANG_APP_KEY", "k"),
        ("ZHANGHAO_JIGUANG_MASTER_SECRET", "m"),
    ];
    let output = zhanghao(&["--listen", "127.0.0.1:0"], &envs, dir.path());
    let line = error_line(&output);
    assert!(line.contains("ZHANGHAO_JIGUANG_PRIVATE_KEY"), "{line}");
    let envs = [("ZHANGHAO_JIGUANG_PRIVATE_KEY", "not a key"), envs[0], envs[1]];
    let line = error_line(&zhanghao(&["--listen", "127.0.0.1:0"], &envs, dir.path()));
    assert!(line.contains("not an RSA private key"), "{line}");
}

#[test]
fn granting_admin_to_nobody_says_who_was_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("db.sqlite").display());
    let output = zhanghao(
        &["admin", "grant", "nobody", "--database-url", &database],
        &[],
        dir.path(),
    );
    let line = error_line(&output);
    assert!(line.contains("\"nobody\""), "{line}");
}

/// `zhanghao admin disable|enable|grant|revoke-sessions <who>` (issue 15):
/// by id, username or any spelling of the mobile, each audited with no actor.
#[tokio::test]
async fn admin_verbs_act_on_a_user_named_any_way_and_are_audited() {
    use zhanghao::store::{audit_events, users};
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("db.sqlite").display());
    let db = zhanghao::store::connect(&database, 1, Duration::from_secs(5))
        .await
        .unwrap();
    zhanghao::store::migrate(&db).await.unwrap();
    let new = users::NewUser {
        username: Some("Alice".into()),
        username_key: Some("alice".into()),
        mobile: Some("+8613800138000".into()),
        ..Default::default()
    };
    let alice = users::insert(&db, new, chrono::Utc::now()).await.unwrap();
    let admin = |args: &[&str]| {
        let mut argv = vec!["admin"];
        argv.extend_from_slice(args);
        argv.extend_from_slice(&["--database-url", &database]);
        zhanghao(&argv, &[], dir.path())
    };

    let out = admin(&["disable", "+86 138 0013 8000", "--reason", "spam"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        stdout(&out).trim(),
        format!("user {} is disabled; every session was revoked", alice.id)
    );
    let now = users::by_id(&db, alice.id).await.unwrap().unwrap();
    assert_eq!(now.status, zhanghao::domain::UserStatus::Disabled);
    assert_eq!(now.disabled_reason.as_deref(), Some("spam"));
    assert!(now.token_version > alice.token_version, "every token revoked");

    let out = admin(&["revoke-sessions", "ALICE"]);
    assert_eq!(
        stdout(&out).trim(),
        format!("user {} is signed out everywhere", alice.id)
    );
    let out = admin(&["enable", &alice.id.to_string()]);
    assert_eq!(stdout(&out).trim(), format!("user {} is enabled", alice.id));
    let out = admin(&["grant", "13800138000"]);
    assert_eq!(stdout(&out).trim(), format!("user {} is now ADMIN", alice.id));
    let now = users::by_id(&db, alice.id).await.unwrap().unwrap();
    assert!(now.may_sign_in() && now.is_admin() && now.disabled_reason.is_none());

    let log = audit_events::page(&db, 10, None, Some(alice.id), None).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.role_changed",
            "user.enabled",
            "user.sessions_revoked",
            "user.disabled"
        ]
    );
    assert!(log.iter().all(|e| e.actor_id.is_none() && e.ip.is_none()), "{log:?}");
    assert_eq!(log[3].detail.as_deref(), Some("spam"));

    let line = error_line(&admin(&["disable", "nobody"]));
    assert!(line.contains("\"nobody\""), "{line}");
    let long = "x".repeat(201);
    let line = error_line(&admin(&["disable", "alice", "--reason", &long]));
    assert!(line.contains("200"), "{line}");
    let help = stdout(&zhanghao(&["admin", "disable", "--help"], &[], dir.path()));
    assert!(help.contains("--reason") && help.contains("--database-url"), "{help}");
}
