//! One round: one backend at one user count. A fresh database, `zhanghao
//! migrate`, N seeded users, the release server, then the scenarios.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use crate::backend::{Backend, BackendKind, FreshDatabase};
use crate::client::{self, Kind, Shared};
use crate::host::{self, HostShare};
use crate::options::{LOGIN_NUMBERS, Options};
use crate::report::{Basis, CpuSpent, Report, Row, RowPlace, ServerRun};
use crate::seed;
use crate::server::{self, Server, ServerEnv, TEST_CODE};

/// Connections for the token paths and the ceiling.
const TOKEN_CONNECTIONS: usize = 16;
/// Connections for the password paths: 4 per hash worker keep the pool busy.
const PASSWORD_CONNECTIONS: usize = 8;
/// `me` connections running beside the login storm.
const STORM_ME_CONNECTIONS: usize = 4;
/// At most ~4,000 numbers fit in one environment variable (128 KiB); the
/// register scenario stops early rather than fail when they run out.
const REGISTER_POOL: usize = 4_000;
/// Seconds every core hashes for one hash-capacity measurement.
const HASH_SECONDS: f64 = 2.0;
/// Slices a password scenario is cut into, the hash capacity measured between them.
const CAPACITY_SLICES: usize = 10;
/// Seconds every core hashes for one capacity measurement between slices.
const SLICE_HASH_SECONDS: f64 = 0.5;
/// Warm-up of every slice after the first: the connections are open and
/// the server warm; this only refills the hash queue.
const SLICE_WARMUP: Duration = Duration::from_millis(300);

/// What every round shares: the options, the cores and the argon2 cost.
pub struct RunContext<'a> {
    pub opts: &'a Options,
    pub cores: usize,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// The one PHC hash every seeded user shares.
    pub shared_hash: String,
}

/// Scenarios in the order they run: all at the first user count, `me` and `login` at the others.
fn plan(first_round: bool) -> Vec<(&'static str, Kind, usize, Basis)> {
    let me = ("me", Kind::Me, TOKEN_CONNECTIONS, Basis::Ceiling);
    let login = ("login", Kind::Login, PASSWORD_CONNECTIONS, Basis::HashCapacity);
    if !first_round {
        return vec![me, login];
    }
    vec![
        ("{ __typename }", Kind::Typename, TOKEN_CONNECTIONS, Basis::None),
        me,
        ("refreshToken", Kind::Refresh, TOKEN_CONNECTIONS, Basis::Ceiling),
        ("verifySms LOGIN", Kind::SmsLogin, TOKEN_CONNECTIONS, Basis::Ceiling),
        login,
        ("register", Kind::Register, PASSWORD_CONNECTIONS, Basis::HashCapacity),
    ]
}

/// A round's running server, with what must outlive it. Fields drop in
/// order: the server is killed before its database is dropped. [`run`]
/// hands it back so that the first round's can be measured [`again`].
pub struct RoundServer {
    server: Server,
    _database: FreshDatabase,
    _dir: tempfile::TempDir,
    seeded: Duration,
    backend: BackendKind,
    users: usize,
    shared: Arc<Shared>,
}

/// A fresh database with the schema and `users` seeded users, and the server on it.
async fn start(
    ctx: &RunContext<'_>,
    backend: &Backend,
    first_round: bool,
    users: usize,
) -> Result<RoundServer, String> {
    let dir = tempfile::Builder::new()
        .prefix("zhanghao-loadbench-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))?;
    let login_numbers: Vec<String> = (0..LOGIN_NUMBERS).map(seed::mobile).collect();
    let mut numbers: Vec<String> = login_numbers.iter().map(|m| format!("{m}={TEST_CODE}")).collect();
    if first_round {
        numbers.extend((0..REGISTER_POOL).map(|i| format!("{}={TEST_CODE}", seed::register_mobile(i))));
    }
    let database = backend.fresh_database(dir.path()).await?;
    let env = ServerEnv {
        database_url: database.url.clone(),
        dir: dir.path().to_path_buf(),
        argon2_memory_kib: ctx.argon2_memory_kib,
        argon2_iterations: ctx.argon2_iterations,
        test_numbers: numbers.join(","),
    };
    env.migrate()?;
    eprintln!("loadbench: {}: seeding {users} users …", backend.kind().label());
    let seeded = seed::seed_users(&env.database_url, 0, users, &ctx.shared_hash).await?;
    let server = env.start()?;
    let shared = Arc::new(Shared {
        addr: server.addr,
        users,
        login_numbers,
        register_pool: if first_round { REGISTER_POOL } else { 0 },
        next_register: AtomicUsize::new(0),
    });
    Ok(RoundServer {
        server,
        _database: database,
        _dir: dir,
        seeded,
        backend: backend.kind(),
        users,
        shared,
    })
}

/// Runs one round, adds its rows and server line to `report`, and hands
/// back its server, still running.
pub async fn run(
    ctx: &RunContext<'_>,
    backend: &Backend,
    first_round: bool,
    users: usize,
    report: &mut Report,
) -> Result<RoundServer, String> {
    let label = backend.kind().label();
    let round = start(ctx, backend, first_round, users).await?;
    let server = &round.server;
    // Let start-up work (migrations check, dummy hash) settle before measuring idle memory.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = server.stats();
    let shared = &round.shared;
    let capacity_before = hash_capacity(ctx).await?;
    let rows_before = report.rows.len();
    let place = |scenario, connections, basis| RowPlace {
        backend: backend.kind(),
        scenario,
        users,
        connections,
        basis,
    };
    for (name, kind, connections, basis) in plan(first_round).into_iter().filter(|p| ctx.opts.wants(p.0)) {
        eprintln!(
            "loadbench: {label}, {users} users: {name} ({connections} connections, {:.0} s) …",
            ctx.opts.seconds
        );
        let row = scenario(ctx, server, shared, kind, place(name, connections, basis)).await;
        report.rows.push(row);
    }
    if first_round && ctx.opts.wants_storm() {
        eprintln!("loadbench: {label}, {users} users: me during a login storm …");
        let ((me, login), share) = host::least_stolen(host::attempts(ctx.opts.smoke), || storm(ctx, shared)).await;
        let me_place = place("me during login storm", STORM_ME_CONNECTIONS, Basis::Ceiling);
        let login_place = place("login storm (beside me)", PASSWORD_CONNECTIONS, Basis::HashCapacity);
        for mut row in [Row::new(me_place, &me, None), Row::new(login_place, &login, None)] {
            row.host = share;
            report.rows.push(row);
        }
    }
    let round_rows = &report.rows[rows_before..];
    if !round_rows.is_empty() && round_rows.iter().all(|r| r.requests == 0) {
        return Err(format!(
            "{label}: no request succeeded; server log:\n{}",
            server.log_tail()
        ));
    }
    let after = server.stats();
    let capacity_after = hash_capacity(ctx).await?;
    let mib = |kib: u64| kib as f64 / 1024.0;
    report.servers.push(ServerRun {
        backend: backend.kind(),
        users,
        seed_seconds: round.seeded.as_secs_f64(),
        rss_idle_mib: mib(idle.rss_kib),
        rss_after_mib: mib(after.rss_kib),
        rss_peak_mib: mib(after.hwm_kib),
        hash_rates: [capacity_before, capacity_after],
    });
    Ok(round)
}

/// `me` and `login` again on a round's server still running, measured right
/// after the largest user count's round. The p50 growth targets compare
/// these with that round's: seconds apart, where the first round's are many
/// minutes apart, and this host's speed drifts by more than the 1.2× those
/// targets allow in that time without showing any steal.
pub async fn again(ctx: &RunContext<'_>, round: &RoundServer, report: &mut Report) {
    let label = round.backend.label();
    for (name, kind, connections, basis) in plan(false).into_iter().filter(|p| ctx.opts.wants(p.0)) {
        eprintln!("loadbench: {label}, {} users again: {name} …", round.users);
        let place = RowPlace {
            backend: round.backend,
            scenario: name,
            users: round.users,
            connections,
            basis,
        };
        let mut row = scenario(ctx, &round.server, &round.shared, kind, place).await;
        row.again = true;
        report.rows.push(row);
    }
}

/// Hashes per second with every core hashing and the server idle, and what
/// the host took meanwhile. Each round measures it before and after its
/// scenarios: one figure for a whole run would mix the host's speed at its
/// start with the last rounds' minutes later.
async fn hash_capacity(ctx: &RunContext<'_>) -> Result<(f64, HostShare), String> {
    let (memory_kib, iterations) = (ctx.argon2_memory_kib, ctx.argon2_iterations);
    let rate = || async { seed::parallel_hash_rate(memory_kib, iterations, ctx.cores, HASH_SECONDS) };
    let (rate, share) = host::least_stolen(host::attempts(ctx.opts.smoke), rate).await;
    Ok((rate?, share))
}

fn warmup(opts: &Options) -> Duration {
    Duration::from_millis(if opts.smoke { 300 } else { 1_000 })
}

/// One scenario on its own, run again while the host takes much of the CPU.
async fn scenario(ctx: &RunContext<'_>, server: &Server, shared: &Arc<Shared>, kind: Kind, place: RowPlace<'_>) -> Row {
    let (mut row, share) = host::least_stolen(host::attempts(ctx.opts.smoke), || async {
        if place.basis == Basis::HashCapacity {
            beside_capacity(ctx, server, shared, kind, place).await
        } else {
            let (stats, cpu) = measure(server, shared, kind, place, warmup(ctx.opts), seconds(ctx)).await;
            Row::new(place, &stats, Some(cpu))
        }
    })
    .await;
    row.host = share;
    row
}

/// A password scenario cut into slices with the hash capacity measured
/// before each and after the last, so that the yardstick is taken over
/// the same stretch of time as the logins: this host's hash speed swings by
/// a quarter within seconds without any steal (7 Dec: 98.6, then 73.9
/// hashes/s around one 10 s login row), and a capacity measured only before
/// and after a whole scenario judged it by whichever moment was faster.
async fn beside_capacity(
    ctx: &RunContext<'_>,
    server: &Server,
    shared: &Arc<Shared>,
    kind: Kind,
    place: RowPlace<'_>,
) -> Row {
    let slices = if ctx.opts.smoke { 1 } else { CAPACITY_SLICES };
    let slice = seconds(ctx) / slices as u32;
    let mut capacities = Vec::with_capacity(slices + 1);
    let mut stats = client::Stats::default();
    let mut cpu = CpuSpent::default();
    for n in 0..slices {
        capacities.extend(capacity_slice(ctx));
        let warmup = if n == 0 { warmup(ctx.opts) } else { SLICE_WARMUP };
        let (slice_stats, slice_cpu) = measure(server, shared, kind, place, warmup, slice).await;
        stats.absorb(slice_stats);
        cpu.absorb(slice_cpu);
    }
    capacities.extend(capacity_slice(ctx));
    stats.latencies_us.sort_unstable();
    let mut row = Row::new(place, &stats, Some(cpu));
    row.capacity_beside = (!capacities.is_empty()).then_some(capacities);
    row
}

/// One hash-capacity slice beside a password scenario (`None` if argon2 failed).
fn capacity_slice(ctx: &RunContext<'_>) -> Option<f64> {
    let (memory_kib, iterations) = (ctx.argon2_memory_kib, ctx.argon2_iterations);
    seed::parallel_hash_rate(memory_kib, iterations, ctx.cores, SLICE_HASH_SECONDS).ok()
}

fn seconds(ctx: &RunContext<'_>) -> Duration {
    Duration::from_secs_f64(ctx.opts.seconds)
}

/// One scenario once for `duration` after `warmup`, with the CPU it cost.
async fn measure(
    server: &Server,
    shared: &Arc<Shared>,
    kind: Kind,
    place: RowPlace<'_>,
    warmup: Duration,
    duration: Duration,
) -> (client::Stats, CpuSpent) {
    let postgres = || (place.backend == BackendKind::Postgres).then(server::postgres_cpu_seconds);
    let (before, postgres_before, started) = (server.stats(), postgres(), Instant::now());
    let stats = client::run(shared.clone(), kind, place.connections, warmup, duration).await;
    let (after, postgres_after) = (server.stats(), postgres());
    // CPU is counted over warm-up and the last answers too; scale it to the measured part.
    let measured = duration.as_secs_f64() / started.elapsed().as_secs_f64().max(duration.as_secs_f64());
    let cpu = CpuSpent {
        server: (after.cpu_seconds - before.cpu_seconds) * measured,
        hashing: (after.hash_cpu_seconds - before.hash_cpu_seconds) * measured,
        postgres: postgres_before
            .zip(postgres_after)
            .map(|(before, after)| (after - before) * measured)
            .filter(|cpu| *cpu > 0.0),
    };
    (stats, cpu)
}

/// `me` connections beside login connections that keep the hash pool saturated.
async fn storm(ctx: &RunContext<'_>, shared: &Arc<Shared>) -> (client::Stats, client::Stats) {
    let duration = Duration::from_secs_f64(ctx.opts.seconds);
    let warmup = warmup(ctx.opts);
    tokio::join!(
        client::run(shared.clone(), Kind::Me, STORM_ME_CONNECTIONS, warmup, duration),
        client::run(shared.clone(), Kind::Login, PASSWORD_CONNECTIONS, warmup, duration),
    )
}
