//! The load benchmark (BENCHMARKS.md): `cargo bench --bench load [-- options]`.
//!
//! For each user count: a fresh SQLite database, `zhanghao migrate`, N users
//! inserted directly (sharing one argon2id hash), the release server started
//! on loopback, then each scenario driven for a fixed time by the closed-loop
//! generator in `client`. Prints one table and writes it as JSON.

mod client;
mod report;
mod seed;
mod server;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use client::{Kind, Shared};
use report::{Basis, Report, Row};
use server::{ServerEnv, TEST_CODE};

const USAGE: &str =
    "cargo bench --bench load -- [--smoke] [--seconds S] [--users 1000,1000000] [--json PATH] [--enforce]
  --smoke      2 s per scenario, 1,000 users only, targets reported but never enforced (CI)
  --seconds    measured seconds per scenario (default 10)
  --users      comma-separated user counts; every scenario runs at the first,
               `me` and `login` again at the others (default 1000,1000000)
  --json       where to write the results (default bench-results/load.json)
  --enforce    exit 1 when a target is missed
  --only       run only these scenarios, e.g. `--only me,login,storm` (for profiling)";

/// Test numbers that belong to seeded users (verifySms LOGIN, token chains).
const LOGIN_NUMBERS: usize = 16;
/// Connections for the token paths and the ceiling.
const TOKEN_CONNECTIONS: usize = 16;
/// Connections for the password paths: 4 per hash worker keep the pool busy.
const PASSWORD_CONNECTIONS: usize = 8;
/// `me` connections running beside the login storm.
const STORM_ME_CONNECTIONS: usize = 4;

struct Options {
    smoke: bool,
    seconds: f64,
    users: Vec<usize>,
    json: String,
    enforce: bool,
    /// Run only these scenarios (`--only me,login`): for profiling.
    only: Vec<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        smoke: false,
        seconds: 10.0,
        users: vec![1_000, 1_000_000],
        json: "bench-results/load.json".into(),
        enforce: false,
        only: Vec::new(),
    };
    let mut seconds_given = false;
    let mut users_given = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--bench" => {} // cargo bench passes it to every harness = false bench
            "--smoke" => opts.smoke = true,
            "--enforce" => opts.enforce = true,
            "--seconds" => {
                let raw = value("--seconds")?;
                opts.seconds = raw.parse().map_err(|_| format!("--seconds {raw:?} is not a number"))?;
                seconds_given = true;
            }
            "--users" => {
                let raw = value("--users")?;
                opts.users = raw
                    .split(',')
                    .map(|n| n.trim().replace('_', "").parse::<usize>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| format!("--users {raw:?} is not a list of numbers"))?;
                users_given = true;
            }
            "--json" => opts.json = value("--json")?,
            "--only" => opts.only = value("--only")?.split(',').map(|s| s.trim().to_string()).collect(),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if opts.smoke {
        if !seconds_given {
            opts.seconds = 2.0;
        }
        if !users_given {
            opts.users = vec![1_000];
        }
    }
    if opts.users.is_empty() || opts.users.contains(&0) || !(0.5..=600.0).contains(&opts.seconds) {
        return Err(format!(
            "need user counts ≥ 1 and 0.5–600 seconds per scenario\n{USAGE}"
        ));
    }
    if opts.users.iter().any(|&n| n < LOGIN_NUMBERS) {
        return Err(format!("each user count must be at least {LOGIN_NUMBERS}"));
    }
    Ok(opts)
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(opts) => opts,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    if cfg!(debug_assertions) {
        eprintln!("loadbench: unoptimised build (cargo test --bench): a smoke run only, the figures mean nothing");
    }
    // One generator thread: it can never take more than one core from the server.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("loadbench: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bench(&opts)) {
        Ok(report) => {
            let text = report.render();
            println!("\n{text}");
            let json = serde_json::to_string_pretty(&report.to_json()).unwrap_or_default();
            if let Some(dir) = std::path::Path::new(&opts.json).parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            if let Err(e) = std::fs::write(&opts.json, json) {
                eprintln!("loadbench: cannot write {}: {e}", opts.json);
                return ExitCode::FAILURE;
            }
            println!("results written to {}", opts.json);
            let missed = report.checks().iter().any(|c| !c.holds);
            if opts.enforce && missed && !opts.smoke {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("loadbench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn bench(opts: &Options) -> Result<Report, String> {
    let memory_kib = env_u32("ZHANGHAO_ARGON2_MEMORY_KIB", 19_456);
    let iterations = env_u32("ZHANGHAO_ARGON2_ITERATIONS", 2);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!("loadbench: timing argon2id (m={memory_kib} KiB, t={iterations}) …");
    let hash_time = seed::median_hash_time(memory_kib, iterations, 7)?;
    let parallel_hashes_per_second = seed::parallel_hash_rate(memory_kib, iterations, cores, 2.0)?;
    let (shared_hash, _) = seed::hash_once(memory_kib, iterations, seed::PASSWORD)?;
    let mut report = Report {
        cores,
        hash_ms: hash_time.as_secs_f64() * 1000.0,
        parallel_hashes_per_second,
        argon2_memory_kib: memory_kib,
        argon2_iterations: iterations,
        rows: Vec::new(),
        servers: Vec::new(),
        smoke: opts.smoke,
        seconds_per_scenario: opts.seconds,
    };
    let duration = Duration::from_secs_f64(opts.seconds);
    // At most ~4,000 numbers fit in one environment variable (128 KiB); the
    // register scenario stops early rather than fail when they run out.
    let register_pool = 4_000;
    for (round, &users) in opts.users.iter().enumerate() {
        let dir = tempfile::Builder::new()
            .prefix("zhanghao-loadbench-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let login_numbers: Vec<String> = (0..LOGIN_NUMBERS).map(seed::mobile).collect();
        let mut numbers: Vec<String> = login_numbers.iter().map(|m| format!("{m}={TEST_CODE}")).collect();
        if round == 0 {
            numbers.extend((0..register_pool).map(|i| format!("{}={TEST_CODE}", seed::register_mobile(i))));
        }
        let env = ServerEnv {
            database_url: format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()),
            dir: dir.path().to_path_buf(),
            argon2_memory_kib: memory_kib,
            argon2_iterations: iterations,
            test_numbers: numbers.join(","),
        };
        env.migrate()?;
        eprintln!("loadbench: seeding {users} users …");
        let seeded = seed::seed_users(&env.database_url, 0, users, &shared_hash).await?;
        let server = env.start()?;
        // Let start-up work (migrations check, dummy hash) settle before measuring idle memory.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let idle = server.stats();
        let shared = Arc::new(Shared {
            addr: server.addr,
            users,
            login_numbers,
            register_pool: if round == 0 { register_pool } else { 0 },
            next_register: AtomicUsize::new(0),
        });
        let plan: Vec<(&str, Kind, usize, Basis)> = if round == 0 {
            vec![
                ("{ __typename }", Kind::Typename, TOKEN_CONNECTIONS, Basis::None),
                ("me", Kind::Me, TOKEN_CONNECTIONS, Basis::Ceiling),
                ("refreshToken", Kind::Refresh, TOKEN_CONNECTIONS, Basis::Ceiling),
                ("verifySms LOGIN", Kind::SmsLogin, TOKEN_CONNECTIONS, Basis::Ceiling),
                ("login", Kind::Login, PASSWORD_CONNECTIONS, Basis::Argon2),
                ("register", Kind::Register, PASSWORD_CONNECTIONS, Basis::Argon2),
            ]
        } else {
            vec![
                ("me", Kind::Me, TOKEN_CONNECTIONS, Basis::Ceiling),
                ("login", Kind::Login, PASSWORD_CONNECTIONS, Basis::Argon2),
            ]
        };
        let warmup = Duration::from_millis(if opts.smoke { 300 } else { 1_000 });
        let wanted = |name: &str| opts.only.is_empty() || opts.only.iter().any(|o| name.starts_with(o.as_str()));
        for (name, kind, connections, basis) in plan.into_iter().filter(|p| wanted(p.0)) {
            eprintln!(
                "loadbench: {users} users: {name} ({connections} connections, {:.0} s) …",
                opts.seconds
            );
            let before = server.stats();
            let stats = client::run(shared.clone(), kind, connections, warmup, duration).await;
            // CPU is counted over warm-up too; scale it to the measured part.
            let cpu = (server.stats().cpu_seconds - before.cpu_seconds) * duration.as_secs_f64()
                / (duration + warmup).as_secs_f64();
            report
                .rows
                .push(Row::new(name, users, connections, &stats, Some(cpu), basis));
        }
        if round == 0 && (opts.only.is_empty() || opts.only.iter().any(|o| o == "storm")) {
            eprintln!("loadbench: {users} users: me during a login storm …");
            let (me, login) = tokio::join!(
                client::run(shared.clone(), Kind::Me, STORM_ME_CONNECTIONS, warmup, duration),
                client::run(shared.clone(), Kind::Login, PASSWORD_CONNECTIONS, warmup, duration),
            );
            report.rows.push(Row::new(
                "me during login storm",
                users,
                STORM_ME_CONNECTIONS,
                &me,
                None,
                Basis::Ceiling,
            ));
            report.rows.push(Row::new(
                "login storm (beside me)",
                users,
                PASSWORD_CONNECTIONS,
                &login,
                None,
                Basis::Argon2,
            ));
        }
        let after = server.stats();
        if report.rows.iter().all(|r| r.requests == 0) {
            return Err(format!("no request succeeded; server log:\n{}", server.log_tail()));
        }
        let mib = |kib: u64| kib as f64 / 1024.0;
        report.servers.push((
            users,
            seeded.as_secs_f64(),
            mib(idle.rss_kib),
            mib(after.rss_kib),
            mib(after.hwm_kib),
        ));
        drop(server);
    }
    report.finish();
    Ok(report)
}
