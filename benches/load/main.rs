//! The load benchmark (BENCHMARKS.md): `cargo bench --bench load [-- options]`.
//!
//! For each user count and backend (SQLite, then PostgreSQL with
//! `--database`): a fresh database, `zhanghao migrate`, N users inserted
//! directly (sharing one argon2id hash), the release server started on
//! loopback, then each scenario driven for a fixed time by the closed-loop
//! generator in `client`. Prints one table and writes it as JSON.

mod backend;
mod client;
mod host;
mod options;
mod report;
mod round;
mod seed;
mod server;
mod targets;

use std::process::ExitCode;

use backend::Backend;
use options::Options;
use report::Report;
use round::RunContext;

fn main() -> ExitCode {
    let opts = match options::parse_args() {
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
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = bench(&opts) => outcome,
            signal = interrupted() => Err(format!("{signal}: the server was killed and the bench's databases dropped")),
        }
    });
    match outcome {
        Ok(report) => finish(&opts, &report),
        Err(message) => {
            eprintln!("loadbench: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the report, writes the JSON, and applies `--enforce`.
fn finish(opts: &Options, report: &Report) -> ExitCode {
    println!("\n{}", report.render());
    let json = serde_json::to_string_pretty(&report.to_json()).unwrap_or_default();
    if let Some(dir) = std::path::Path::new(&opts.json).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = std::fs::write(&opts.json, json) {
        eprintln!("loadbench: cannot write {}: {e}", opts.json);
        return ExitCode::FAILURE;
    }
    println!("results written to {}", opts.json);
    if opts.enforce && !opts.smoke && report.missed_a_target() {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Resolves on Ctrl-C or SIGTERM (CI's `timeout`). Winning the `select!`
/// drops the bench's future, and with it the running server (killed) and
/// the round's PostgreSQL database (dropped).
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut terminate) = signal(SignalKind::terminate()) else {
        return std::future::pending().await;
    };
    tokio::select! {
        Ok(()) = tokio::signal::ctrl_c() => "interrupted",
        _ = terminate.recv() => "terminated",
    }
}

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn bench(opts: &Options) -> Result<Report, String> {
    let memory_kib = env_u32("ZHANGHAO_ARGON2_MEMORY_KIB", 19_456);
    let iterations = env_u32("ZHANGHAO_ARGON2_ITERATIONS", 2);
    let mut backends = vec![Backend::Sqlite];
    if let Some(url) = &opts.postgres {
        backends.push(Backend::Postgres { admin_url: url.clone() });
    }
    let mut described = Vec::new();
    for backend in &backends {
        described.push((backend.kind(), backend.describe().await?));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!("loadbench: timing argon2id (m={memory_kib} KiB, t={iterations}) …");
    let hash_time = seed::median_hash_time(memory_kib, iterations, 7)?;
    let (shared_hash, _) = seed::hash_once(memory_kib, iterations, seed::PASSWORD)?;
    let mut report = Report {
        cores,
        hash_ms: hash_time.as_secs_f64() * 1000.0,
        argon2_memory_kib: memory_kib,
        argon2_iterations: iterations,
        backends: described,
        rows: Vec::new(),
        servers: Vec::new(),
        smoke: opts.smoke,
        seconds_per_scenario: opts.seconds,
    };
    let ctx = RunContext {
        opts,
        cores,
        argon2_memory_kib: memory_kib,
        argon2_iterations: iterations,
        shared_hash,
    };
    // Backends alternate at each user count, so the figures compared
    // (PostgreSQL `me` ÷ SQLite `me`) are measured minutes apart, not a whole
    // run; the first round's servers stay up to be measured again beside the last.
    let mut first_rounds = Vec::new();
    for (round, &users) in opts.users.iter().enumerate() {
        for (nth, backend) in backends.iter().enumerate() {
            let done = round::run(&ctx, backend, round == 0, users, &mut report).await?;
            if round == 0 {
                first_rounds.push(done);
            } else if round + 1 == opts.users.len()
                && let Some(first) = first_rounds.get(nth)
            {
                round::again(&ctx, first, &mut report).await;
            }
        }
    }
    report.finish();
    Ok(report)
}
