//! Two server processes on one database behave as one node: a code sent
//! through one verifies through the other, the resend limit holds across
//! both, and they share one signing key and see `keys rotate`. Runs on the test PostgreSQL when `ZHANGHAO_TEST_DATABASE_URL`
//! is set (CI), else on one shared SQLite file.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{TestDatabase, fresh_database};

/// A running `zhanghao serve`, killed when dropped.
struct Node {
    child: Child,
    base: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_node(database_url: &str, outbox: &std::path::Path) -> Node {
    start_node_with(database_url, outbox, &[]).await
}

async fn start_node_with(database_url: &str, outbox: &std::path::Path, envs: &[(&str, &str)]) -> Node {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_zhanghao"))
        .arg("serve")
        .envs(envs.iter().copied())
        .env("ZHANGHAO_LISTEN", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", database_url)
        .env("ZHANGHAO_OUTBOX", outbox)
        .env("ZHANGHAO_JWT_SECRET", "two-nodes-secret-two-nodes-secret-0123456789")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start zhanghao");
    let node = Node {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(response) = client.get(format!("{}/readyz", node.base)).send().await
            && response.status().is_success()
        {
            return node;
        }
        assert!(Instant::now() < deadline, "node on port {port} did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A fresh database migrated once before any node starts, as a deployment
/// would, and the outbox the nodes share; the directory holds both, and the
/// first part of the answer keeps them until the test ends.
async fn migrated_database() -> ((tempfile::TempDir, TestDatabase), String, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(dir.path()).await;
    let database_url = database.url.clone();
    let outbox = dir.path().join("outbox.jsonl");
    let status = Command::new(env!("CARGO_BIN_EXE_zhanghao"))
        .arg("migrate")
        .env("DATABASE_URL", &database_url)
        .env("RUST_LOG", "warn")
        .status()
        .unwrap();
    assert!(status.success());
    ((dir, database), database_url, outbox)
}

async fn gql(node: &Node, query: &str, variables: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}/graphql", node.base))
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn a_code_sent_through_one_node_verifies_through_the_other() {
    let (_dir, database_url, outbox) = migrated_database().await;
    let a = start_node(&database_url, &outbox).await;
    let b = start_node(&database_url, &outbox).await;

    let send = "mutation($m: String!) { sendSmsCode(input: {mobile: $m, purpose: LOGIN}) { resendAfter } }";
    let sent = gql(&a, send, json!({"m": "13700000001"})).await;
    assert!(sent["errors"].is_null(), "{sent}");
    // The resend limit holds on the other node.
    let again = gql(&b, send, json!({"m": "13700000001"})).await;
    assert_eq!(again["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{again}");

    let code = zhanghao::messaging::read_entries(&outbox).last().unwrap().code.clone();
    let verify = "mutation($m: String!, $c: String!) { verifySms(input: {mobile: $m, code: $c, purpose: LOGIN, register: true}) { created tokens { accessToken } } }";
    let verified = gql(&b, verify, json!({"m": "13700000001", "c": code})).await;
    assert_eq!(verified["data"]["verifySms"]["created"], true, "{verified}");
    // Spent on B means spent on A.
    let replay = gql(&a, verify, json!({"m": "13700000001", "c": code})).await;
    assert_eq!(replay["errors"][0]["extensions"]["code"], "CODE_INVALID", "{replay}");
    // A token from B works on A.
    let token = verified["data"]["verifySms"]["tokens"]["accessToken"].as_str().unwrap();
    let me: Value = reqwest::Client::new()
        .post(format!("{}/graphql", a.base))
        .bearer_auth(token)
        .json(&json!({"query": "{ me { mobile } }"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["data"]["me"]["mobile"], "13700000001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_parallel_wrong_passwords_across_two_nodes_get_at_most_the_limit() {
    let (_dir, database_url, outbox) = migrated_database().await;
    // This test counts lockout decisions, not latency: on a loaded 2-core CI
    // machine 200 parallel requests can wait past the 2 s default for a pooled
    // connection (SERVICE_UNAVAILABLE, by design), so give them time.
    let envs = [
        ("ZHANGHAO_ACCOUNT_FAILURES_HOURLY", "20"),
        ("ZHANGHAO_DB_ACQUIRE_TIMEOUT", "30"),
    ];
    let a = start_node_with(&database_url, &outbox, &envs).await;
    let b = start_node_with(&database_url, &outbox, &envs).await;

    let captcha = gql(&a, "mutation { createCaptcha { id } }", json!({})).await;
    let id = captcha["data"]["createCaptcha"]["id"].as_str().unwrap().to_string();
    let answer = zhanghao::messaging::read_entries(&outbox).last().unwrap().code.clone();
    let register = "mutation($i: RegisterInput!) { register(input: $i) { user { id } } }";
    let input = json!({"i": {"method": "USERNAME", "account": "nodes", "password": "the-right-password", "verify": answer, "captchaId": id}});
    assert!(gql(&a, register, input).await["errors"].is_null());

    let login = "mutation($p: String!) { login(input: {account: \"nodes\", password: $p}) { user { id } } }";
    let attempts = (0..200).map(|i| {
        let node = if i % 2 == 0 { &a } else { &b };
        async move { gql(node, login, json!({"p": format!("wrong-password-{i}")})).await }
    });
    let answers = futures::future::join_all(attempts).await;
    let code_of = |a: &Value| a["errors"][0]["extensions"]["code"].as_str().unwrap_or("").to_string();
    let checked = answers.iter().filter(|a| code_of(a) == "INVALID_CREDENTIALS").count();
    let refused = answers.iter().filter(|a| code_of(a) == "TOO_MANY_ATTEMPTS").count();
    assert!(
        checked <= 20,
        "{checked} wrong passwords were checked across two nodes, the limit is 20"
    );
    let others: Vec<String> = answers
        .iter()
        .map(code_of)
        .filter(|c| c != "INVALID_CREDENTIALS" && c != "TOO_MANY_ATTEMPTS")
        .collect();
    assert_eq!(checked + refused, 200, "other answers: {others:?}");
    let right = gql(&b, login, json!({"p": "the-right-password"})).await;
    assert_eq!(code_of(&right), "TOO_MANY_ATTEMPTS", "{right}");
}

/// DESIGN §8 / issue 11: `kill -9` during a burst of registrations. Every
/// registration the killed node did not finish leaves its code usable (no
/// user row without its session, no spent code without its user): on a new
/// node each either signs in (it committed) or registers with the same code.
#[tokio::test]
async fn a_node_killed_mid_burst_leaves_every_code_usable() {
    const BURST: usize = 60;
    let (_dir, database_url, outbox) = migrated_database().await;
    let envs = [
        ("ZHANGHAO_SEND_CAPTCHA", "off"),
        ("ZHANGHAO_SENDS_PER_IP_HOURLY", "1000"),
        ("ZHANGHAO_DB_ACQUIRE_TIMEOUT", "30"),
    ];
    let mut doomed = start_node_with(&database_url, &outbox, &envs).await;
    let mobile = |i: usize| format!("1370002{i:04}");
    let send = "mutation($m: String!) { sendSmsCode(input: {mobile: $m, purpose: REGISTER}) { resendAfter } }";
    for i in 0..BURST {
        let sent = gql(&doomed, send, json!({"m": mobile(i)})).await;
        assert!(sent["errors"].is_null(), "{sent}");
    }
    let entries = zhanghao::messaging::read_entries(&outbox);
    let code_of = |i: usize| {
        let to = format!("+86{}", mobile(i));
        entries
            .iter()
            .rev()
            .find(|e| e.to == to)
            .map(|e| e.code.clone())
            .unwrap()
    };
    let register = "mutation($i: RegisterInput!) { register(input: $i) { created } }";
    let input = |i: usize| json!({"i": {"method": "SMS", "account": mobile(i), "password": "a-burst-password", "verify": code_of(i)}});

    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    let client = reqwest::Client::new();
    for i in 0..BURST {
        let (client, url, body, done) = (
            client.clone(),
            format!("{}/graphql", doomed.base),
            input(i),
            done_tx.clone(),
        );
        tokio::spawn(async move {
            let answer = client
                .post(url)
                .json(&json!({"query": register, "variables": body}))
                .send()
                .await;
            let _ = done.send(answer.is_ok());
        });
    }
    // The first answer means the burst is under way: kill -9 now.
    assert_eq!(done_rx.recv().await, Some(true));
    doomed.child.kill().unwrap();
    doomed.child.wait().unwrap();
    drop(done_tx);
    let mut interrupted = 0;
    while let Some(answered) = done_rx.recv().await {
        interrupted += usize::from(!answered);
    }
    assert!(
        interrupted > 0,
        "the kill came after the whole burst: nothing was interrupted"
    );

    let survivor = start_node_with(&database_url, &outbox, &envs).await;
    let login = "mutation($a: String!) { login(input: {account: $a, password: \"a-burst-password\"}) { user { id } } }";
    let (mut committed, mut redone) = (0, 0);
    for i in 0..BURST {
        let signed_in = gql(&survivor, login, json!({"a": mobile(i)})).await;
        if signed_in["errors"].is_null() {
            committed += 1;
            continue;
        }
        assert_eq!(
            signed_in["errors"][0]["extensions"]["code"], "INVALID_CREDENTIALS",
            "{signed_in}"
        );
        let again = gql(&survivor, register, input(i)).await;
        assert_eq!(
            again["data"]["register"]["created"],
            true,
            "{}: the same code must still work: {again}",
            mobile(i)
        );
        redone += 1;
    }
    assert_eq!(committed + redone, BURST);
    assert!(redone > 0, "no registration was cut short by the kill");
}

async fn jwks_kids(node: &Node) -> Vec<String> {
    let set: Value = reqwest::get(format!("{}/.well-known/jwks.json", node.base))
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json");
    set["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|key| key["kid"].as_str().expect("kid").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn es256_nodes_started_together_share_one_first_key_and_pick_up_a_rotation() {
    let (_dir, database_url, outbox) = migrated_database().await;
    let envs = [("ZHANGHAO_JWT_ALG", "ES256")];
    let (a, b) = tokio::join!(
        start_node_with(&database_url, &outbox, &envs),
        start_node_with(&database_url, &outbox, &envs)
    );
    let first = jwks_kids(&a).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(jwks_kids(&b).await, first, "one first key for both nodes");

    // `zhanghao keys rotate` from a third process.
    let rotate = Command::new(env!("CARGO_BIN_EXE_zhanghao"))
        .args(["keys", "rotate"])
        .env("DATABASE_URL", &database_url)
        .env("ZHANGHAO_JWT_SECRET", "two-nodes-secret-two-nodes-secret-0123456789")
        .env("ZHANGHAO_JWT_ALG", "ES256")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(rotate.status.success(), "{}", String::from_utf8_lossy(&rotate.stderr));
    // Each node reads the table again for a JWKS fetch, at most every 5 s.
    let deadline = Instant::now() + Duration::from_secs(20);
    for node in [&a, &b] {
        loop {
            let kids = jwks_kids(node).await;
            if kids.len() == 2 {
                assert_eq!(kids[1], first[0], "the old key stays published: {kids:?}");
                break;
            }
            assert!(Instant::now() < deadline, "{} did not publish the new key", node.base);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// A review number's fixed code across two nodes: 200 parallel wrong
/// guesses from one client, half through each node, get exactly five
/// comparisons (the right codes signed in before them counted nothing), and
/// then the right code too is refused to that client.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_parallel_guesses_at_a_fixed_code_across_two_nodes_get_five_checks() {
    let (_dir, database_url, outbox) = migrated_database().await;
    let envs = [
        ("ZHANGHAO_TEST_NUMBERS", "+8613800000000=246810"),
        ("ZHANGHAO_DB_ACQUIRE_TIMEOUT", "30"),
    ];
    let a = start_node_with(&database_url, &outbox, &envs).await;
    let b = start_node_with(&database_url, &outbox, &envs).await;
    let verify = "mutation($c: String!) { verifySms(input: {mobile: \"13800000000\", code: $c, purpose: LOGIN, register: true}) { tokens { accessToken } } }";
    for node in [&a, &b, &a, &b, &a, &b] {
        let signed_in = gql(node, verify, json!({"c": "246810"})).await;
        assert!(signed_in["errors"].is_null(), "{signed_in}");
    }
    let guesses = (0..200).map(|i| {
        let node = if i % 2 == 0 { &a } else { &b };
        async move { gql(node, verify, json!({"c": format!("{:06}", 100 + i)})).await }
    });
    let answers = futures::future::join_all(guesses).await;
    let code_of = |a: &Value| a["errors"][0]["extensions"]["code"].as_str().unwrap_or("").to_string();
    let checked = answers.iter().filter(|a| code_of(a) == "CODE_INVALID").count();
    let refused = answers.iter().filter(|a| code_of(a) == "TOO_MANY_ATTEMPTS").count();
    assert_eq!(checked, 5, "{checked} guesses were compared, the limit is 5");
    assert_eq!(checked + refused, 200);
    let right = gql(&b, verify, json!({"c": "246810"})).await;
    assert_eq!(code_of(&right), "TOO_MANY_ATTEMPTS", "{right}");
}
