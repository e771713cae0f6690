//! A small closed-loop HTTP/1.1 load generator: `connections` keep-alive
//! connections, each sending its next request as soon as the last answer
//! arrived, for a fixed time. Every latency is kept (µs) for exact percentiles.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::seed;
use crate::server::TEST_CODE;

/// What each request does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `{ __typename }`: the framework ceiling (no database, no auth).
    Typename,
    /// `{ me { id username } }` with a bearer token.
    Me,
    /// `login` of a random seeded user: one argon2id verify.
    Login,
    /// `refreshToken`, each connection following its own rotation chain.
    Refresh,
    /// `verifySms` LOGIN with a test number's fixed code.
    SmsLogin,
    /// `register` (SMS) of a fresh test number: one argon2id hash.
    Register,
}

/// What the connections share: the seeded population and the credentials.
pub struct Shared {
    pub addr: SocketAddr,
    pub users: usize,
    /// Mobiles with fixed codes that belong to seeded users.
    pub login_numbers: Vec<String>,
    /// How many fresh registration numbers the server knows.
    pub register_pool: usize,
    /// Next registration number to use.
    pub next_register: AtomicUsize,
}

/// The outcome of one scenario part.
#[derive(Default)]
pub struct Stats {
    pub requests: u64,
    pub errors: u64,
    pub latencies_us: Vec<u32>,
    pub elapsed: Duration,
}

impl Stats {
    /// One request of the measured window.
    fn record(&mut self, ok: bool, latency: Duration) {
        self.requests += 1;
        self.errors += u64::from(!ok);
        self.latencies_us.push(latency.as_micros().min(u32::MAX as u128) as u32);
    }

    /// Adds a slice measured after the ones before; sort the latencies once all are in.
    pub fn absorb(&mut self, slice: Stats) {
        self.requests += slice.requests;
        self.errors += slice.errors;
        self.latencies_us.extend(slice.latencies_us);
        self.elapsed += slice.elapsed;
    }

    /// Requests per second of wall time.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile (0..=1) in milliseconds; latencies must be sorted.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        f64::from(self.latencies_us[index]) / 1000.0
    }
}

/// Runs `connections` closed loops of `kind` for `duration` (after `warmup`,
/// which is not counted) and merges their statistics.
pub async fn run(shared: Arc<Shared>, kind: Kind, connections: usize, warmup: Duration, duration: Duration) -> Stats {
    let start = Instant::now() + warmup;
    let stop = start + duration;
    let mut tasks = Vec::new();
    for index in 0..connections {
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            connection_loop(&shared, kind, index, start, stop).await
        }));
    }
    let mut total = Stats {
        elapsed: duration,
        ..Stats::default()
    };
    for task in tasks {
        match task.await {
            Ok(stats) => {
                total.requests += stats.requests;
                total.errors += stats.errors;
                total.latencies_us.extend(stats.latencies_us);
            }
            Err(_) => total.errors += 1,
        }
    }
    total.latencies_us.sort_unstable();
    total
}

/// One keep-alive connection; reconnects (counting an error) when it breaks.
async fn connection_loop(shared: &Shared, kind: Kind, index: usize, start: Instant, stop: Instant) -> Stats {
    let mut stats = Stats::default();
    let mut conn: Option<SendRequest<Full<Bytes>>> = None;
    let mut creds = Creds::default();
    // xorshift state: distinct per connection, reproducible per run.
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64 ^ (index as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    while Instant::now() < stop {
        let sender = match conn.as_mut() {
            Some(sender) => sender,
            None => match connect(shared.addr).await {
                Ok(sender) => conn.insert(sender),
                Err(_) => {
                    stats.errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        if needs_tokens(kind) && creds.access.is_none() {
            match sign_in(shared, sender, index).await {
                Some(signed_in) => creds = signed_in,
                None => {
                    stats.errors += 1;
                    conn = None;
                }
            }
            continue;
        }
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let Some(body) = request_body(shared, kind, index, rng, &creds) else {
            break; // the registration pool is used up: stop rather than fail
        };
        let bearer = (kind == Kind::Me).then(|| creds.access.clone()).flatten();
        let sent = Instant::now();
        let result = post(sender, &body, bearer.as_deref()).await;
        let done = Instant::now();
        // Answers within the window, whenever sent: a closed loop's throughput,
        // without losing the requests in flight at either edge.
        let counted = done >= start && done <= stop;
        match result {
            Ok((ok, body)) => {
                let ok = ok && answered(kind, &body);
                if kind == Kind::Refresh {
                    let next = Creds::from_payload(&body, "refreshToken");
                    // A broken chain starts over with a fresh SMS login.
                    creds = if next.refresh.is_some() { next } else { Creds::default() };
                }
                if counted {
                    stats.record(ok, done.duration_since(sent));
                }
            }
            Err(_) => {
                stats.errors += u64::from(counted);
                conn = None;
            }
        }
    }
    stats
}

/// The tokens of this connection's test number (verifySms LOGIN).
async fn sign_in(shared: &Shared, sender: &mut SendRequest<Full<Bytes>>, index: usize) -> Option<Creds> {
    let number = &shared.login_numbers[index % shared.login_numbers.len()];
    match post(sender, &sms_login_body(number), None).await {
        Ok((true, body)) => Some(Creds::from_payload(&body, "verifySms")),
        _ => None,
    }
}

fn needs_tokens(kind: Kind) -> bool {
    matches!(kind, Kind::Me | Kind::Refresh)
}

/// The tokens a connection holds.
#[derive(Default)]
struct Creds {
    access: Option<String>,
    refresh: Option<String>,
}

impl Creds {
    fn from_payload(body: &[u8], field: &str) -> Creds {
        let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let tokens = &value["data"][field]["tokens"];
        Creds {
            access: tokens["accessToken"].as_str().map(str::to_string),
            refresh: tokens["refreshToken"].as_str().map(str::to_string),
        }
    }
}

/// True when the GraphQL answer is a success for `kind` (HTTP 200 is not enough).
fn answered(kind: Kind, body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    if text.contains("\"errors\"") {
        return false;
    }
    match kind {
        Kind::Typename => text.contains("\"Query\""),
        Kind::Me => text.contains("\"me\":{"),
        Kind::Login | Kind::Refresh | Kind::SmsLogin => text.contains("\"accessToken\""),
        Kind::Register => text.contains("\"created\":true"),
    }
}

fn request_body(shared: &Shared, kind: Kind, index: usize, rng: u64, creds: &Creds) -> Option<Vec<u8>> {
    let body = match kind {
        Kind::Typename => json!({"query": "{ __typename }"}),
        Kind::Me => json!({"query": "{ me { id username } }"}),
        Kind::Login => json!({
            "query": "mutation($a: String!, $p: String!) { login(input: {account: $a, password: $p}) { tokens { accessToken } } }",
            "variables": {"a": seed::username(rng as usize % shared.users), "p": seed::PASSWORD},
        }),
        Kind::Refresh => json!({
            "query": "mutation($r: String!) { refreshToken(refreshToken: $r) { tokens { accessToken refreshToken } } }",
            "variables": {"r": creds.refresh.as_deref().unwrap_or("")},
        }),
        Kind::SmsLogin => {
            return Some(sms_login_body(
                &shared.login_numbers[index % shared.login_numbers.len()],
            ));
        }
        Kind::Register => {
            let n = shared.next_register.fetch_add(1, Ordering::Relaxed);
            if n >= shared.register_pool {
                return None;
            }
            json!({
                "query": "mutation($a: String!, $p: String!, $v: String!) { register(input: {method: SMS, account: $a, password: $p, verify: $v}) { created } }",
                "variables": {"a": seed::register_mobile(n), "p": seed::PASSWORD, "v": TEST_CODE},
            })
        }
    };
    Some(body.to_string().into_bytes())
}

fn sms_login_body(mobile: &str) -> Vec<u8> {
    json!({
        "query": "mutation($m: String!, $c: String!) { verifySms(input: {mobile: $m, code: $c, purpose: LOGIN}) { tokens { accessToken refreshToken } } }",
        "variables": {"m": mobile, "c": TEST_CODE},
    })
    .to_string()
    .into_bytes()
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    Ok(sender)
}

/// POST /graphql; `(status is 200, body)`.
async fn post(
    sender: &mut SendRequest<Full<Bytes>>,
    body: &[u8],
    bearer: Option<&str>,
) -> Result<(bool, Vec<u8>), String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let mut request = hyper::Request::post("/graphql")
        .header(HOST, "127.0.0.1")
        .header(CONTENT_TYPE, "application/json");
    if let Some(token) = bearer {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request
        .body(Full::new(Bytes::copy_from_slice(body)))
        .map_err(|e| e.to_string())?;
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let ok = response.status() == hyper::StatusCode::OK;
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((ok, bytes.to_vec()))
}
