//! The results table and the JSON file (the targets are in `targets`).

use serde_json::{Value, json};

use crate::backend::BackendKind;
use crate::client::Stats;
use crate::host::HostShare;
use crate::targets::Verdict;

/// What a row is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// The `{ __typename }` requests/s of the same backend and user count.
    Ceiling,
    /// The hash capacity measured around the same round (every core hashing, server idle).
    HashCapacity,
    /// Not compared (the ceiling itself).
    None,
}

/// One line of the table.
pub struct Row {
    pub backend: BackendKind,
    pub scenario: String,
    pub users: usize,
    pub connections: usize,
    pub requests: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    /// Requests per CPU-second of the server process (all its threads).
    pub per_core: Option<f64>,
    /// The CPU the measured part cost, where it was counted.
    pub cpu: Option<CpuSpent>,
    /// Password rows: the hash capacity measured before each of their slices and after the last.
    pub capacity_beside: Option<Vec<f64>>,
    pub basis: Basis,
    /// Filled in by [`Report::finish`].
    pub ratio: Option<f64>,
    /// What the host took from the run kept, and how many runs were made.
    pub host: HostShare,
    /// Measured again on the first round's server, beside the last round ([`crate::round::again`]).
    pub again: bool,
}

/// CPU seconds spent during a scenario's measured part.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuSpent {
    /// The server process, all its threads.
    pub server: f64,
    /// Of that, its password hashing threads.
    pub hashing: f64,
    /// A PostgreSQL server on this machine (all its processes), for PostgreSQL rows.
    pub postgres: Option<f64>,
}

impl CpuSpent {
    /// Adds the CPU of a slice measured after the ones before.
    pub fn absorb(&mut self, slice: CpuSpent) {
        self.server += slice.server;
        self.hashing += slice.hashing;
        self.postgres = match (self.postgres, slice.postgres) {
            (Some(sum), Some(more)) => Some(sum + more),
            (sum, more) => sum.or(more),
        };
    }
}

/// Where a row was measured and how it is compared.
#[derive(Clone, Copy)]
pub struct RowPlace<'a> {
    pub backend: BackendKind,
    pub scenario: &'a str,
    pub users: usize,
    pub connections: usize,
    pub basis: Basis,
}

impl Row {
    /// A row from a scenario's statistics and the CPU spent in it.
    pub fn new(place: RowPlace<'_>, stats: &Stats, cpu: Option<CpuSpent>) -> Row {
        Row {
            backend: place.backend,
            scenario: place.scenario.to_string(),
            users: place.users,
            connections: place.connections,
            requests: stats.requests,
            rps: stats.rate(),
            p50_ms: stats.quantile_ms(0.50),
            p99_ms: stats.quantile_ms(0.99),
            errors: stats.errors,
            per_core: cpu
                .map(|cpu| cpu.server)
                .filter(|cpu| *cpu > 0.0)
                .map(|cpu| stats.requests as f64 / cpu),
            cpu,
            capacity_beside: None,
            basis: place.basis,
            ratio: None,
            host: HostShare::default(),
            again: false,
        }
    }
}

/// One server the run started: its backend, user count, seeding time and memory.
pub struct ServerRun {
    pub backend: BackendKind,
    pub users: usize,
    pub seed_seconds: f64,
    pub rss_idle_mib: f64,
    pub rss_after_mib: f64,
    pub rss_peak_mib: f64,
    /// Hashes per second with every core hashing and the server idle,
    /// before and after the round's scenarios, with what the host took.
    pub hash_rates: [(f64, HostShare); 2],
}

impl ServerRun {
    /// The round's hash capacity: the better of its two measurements, since
    /// whatever else runs on the machine can only lower one.
    pub fn hash_capacity(&self) -> f64 {
        self.hash_rates.iter().map(|(rate, _)| *rate).fold(0.0, f64::max)
    }
}

/// Everything one run measured.
pub struct Report {
    pub cores: usize,
    pub hash_ms: f64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// The backends this run was asked for, in order, with a line describing each.
    pub backends: Vec<(BackendKind, String)>,
    pub rows: Vec<Row>,
    pub servers: Vec<ServerRun>,
    pub smoke: bool,
    pub seconds_per_scenario: f64,
}

impl Report {
    /// Logins per second the machine could hash if cores did not share
    /// memory bandwidth: cores ÷ single-thread hash time.
    pub fn argon2_limit(&self) -> f64 {
        self.cores as f64 / (self.hash_ms / 1000.0)
    }

    /// A row of the round itself (not measured again).
    pub fn find(&self, backend: BackendKind, scenario: &str, users: usize) -> Option<&Row> {
        self.find_where(backend, scenario, users, false)
    }

    /// A row measured again beside the last round.
    pub fn find_again(&self, backend: BackendKind, scenario: &str, users: usize) -> Option<&Row> {
        self.find_where(backend, scenario, users, true)
    }

    fn find_where(&self, backend: BackendKind, scenario: &str, users: usize, again: bool) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.backend == backend && r.scenario == scenario && r.users == users && r.again == again)
    }

    /// The servers of `backend`, in the order they ran (smallest user count first).
    pub fn servers_of(&self, backend: BackendKind) -> impl Iterator<Item = &ServerRun> {
        self.servers.iter().filter(move |s| s.backend == backend)
    }

    /// Fills in the ratios: to the ceiling of the same backend and user count
    /// (else that backend's first ceiling), or to the hash capacity measured
    /// beside the row (else its round's).
    pub fn finish(&mut self) {
        let capacities: Vec<Option<f64>> = self.rows.iter().map(|row| self.capacity_of(row)).collect();
        let ceilings: Vec<(BackendKind, usize, f64)> = self
            .rows
            .iter()
            .filter(|r| r.scenario == "{ __typename }")
            .map(|r| (r.backend, r.users, r.rps))
            .collect();
        for (row, capacity) in self.rows.iter_mut().zip(capacities) {
            let same_backend = || ceilings.iter().filter(|c| c.0 == row.backend);
            row.ratio = match row.basis {
                Basis::HashCapacity => capacity.map(|capacity| row.rps / capacity),
                Basis::Ceiling => same_backend()
                    .find(|c| c.1 == row.users)
                    .or(same_backend().next())
                    .map(|c| row.rps / c.2),
                Basis::None => None,
            };
        }
    }

    /// The header, the table, the server lines and the targets, as printed
    /// and pasted into BENCHMARKS.md.
    pub fn render(&self) -> String {
        let mut out = self.render_header();
        out.push_str(
            "| backend | scenario | users | conns | requests/s | p50 ms | p99 ms | errors | req/CPU-s | ratio | host took |\n",
        );
        out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|\n");
        for r in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {:.1} | {:.2} | {:.2} | {} | {} | {} | {} |\n",
                r.backend.label(),
                if r.again {
                    format!("{} (again)", r.scenario)
                } else {
                    r.scenario.clone()
                },
                r.users,
                r.connections,
                r.rps,
                r.p50_ms,
                r.p99_ms,
                r.errors,
                r.per_core.map_or("-".to_string(), |v| format!("{v:.0}")),
                self.ratio_text(r),
                r.host.text()
            ));
        }
        out.push('\n');
        for s in &self.servers {
            out.push_str(&format!(
                "{} server with {} users: seeded in {:.1} s; RSS idle {:.1} MiB, after load {:.1} MiB, peak {:.1} MiB; \
                 hash capacity {:.1} ({:.0} % of the limit; {} hashes/s before, after the round, the host took {})\n",
                s.backend.label(),
                s.users,
                s.seed_seconds,
                s.rss_idle_mib,
                s.rss_after_mib,
                s.rss_peak_mib,
                s.hash_capacity(),
                100.0 * s.hash_capacity() / self.argon2_limit(),
                s.hash_rates
                    .iter()
                    .map(|(r, _)| format!("{r:.1}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                s.hash_rates
                    .iter()
                    .map(|(_, h)| h.text())
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
        }
        out.push('\n');
        out.push_str(&self.render_login_cpu());
        for c in self.checks() {
            let line = match c.verdict {
                Verdict::Holds => format!("target {}: {} (holds)\n", c.name, c.value),
                Verdict::Missed => format!("target {}: {} (MISSED)\n", c.name, c.value),
                Verdict::NotMeasured => format!("target {}: not measured\n", c.name),
            };
            out.push_str(&line);
        }
        out
    }

    fn render_header(&self) -> String {
        let mut out = String::new();
        for (kind, description) in &self.backends {
            out.push_str(&format!("backend {}: {description}\n", kind.label()));
        }
        out.push_str(&format!(
            "argon2id m={} KiB t={} p=1: {:.1} ms per hash; {} cores → argon2 limit {:.1} logins/s\n\
             hash capacity: all {} cores hashing at once with the server idle, before and after each round (server lines)\n\
             and between the slices of each password scenario: their mean is the yardstick of its ratio\n\n",
            self.argon2_memory_kib,
            self.argon2_iterations,
            self.hash_ms,
            self.cores,
            self.argon2_limit(),
            self.cores,
        ));
        out
    }

    /// Where each password login's CPU went, beside what a hash cost when
    /// measured alone: a login can only reach the hash capacity if hashing
    /// gets every core and runs as fast as it did there.
    fn render_login_cpu(&self) -> String {
        let mut out = String::from(
            "| backend | scenario | users | hashing ms | rest of server ms | PostgreSQL ms | CPU share hashing | capacity beside | hash cost ÷ capacity's |\n\
             |---|---|---:|---:|---:|---:|---:|---|---:|\n",
        );
        let mut any = false;
        for r in self
            .rows
            .iter()
            .filter(|r| r.basis == Basis::HashCapacity && r.requests > 0)
        {
            let (Some(cpu), Some(capacity)) = (r.cpu, self.capacity_of(r)) else {
                continue;
            };
            any = true;
            let per = |seconds: f64| 1000.0 * seconds / r.requests as f64;
            let postgres = cpu.postgres.map(per);
            let total = cpu.server + cpu.postgres.unwrap_or(0.0);
            let alone_ms = 1000.0 * self.cores as f64 / capacity;
            out.push_str(&format!(
                "| {} | {}{} | {} | {:.2} | {:.2} | {} | {:.1} % | {} | {:.2} |\n",
                r.backend.label(),
                r.scenario,
                if r.again { " (again)" } else { "" },
                r.users,
                per(cpu.hashing),
                per(cpu.server - cpu.hashing),
                postgres.map_or("-".to_string(), |ms| format!("{ms:.2}")),
                100.0 * cpu.hashing / total,
                r.capacity_beside.as_deref().map_or("-".to_string(), capacity_text),
                per(cpu.hashing) / alone_ms,
            ));
        }
        out.push('\n');
        if any { out } else { String::new() }
    }

    /// The hash capacity `row` is judged by: the mean of those measured
    /// between its slices (the same stretch of time), else its round's.
    fn capacity_of(&self, row: &Row) -> Option<f64> {
        let beside = row.capacity_beside.as_deref().and_then(mean);
        beside.or_else(|| {
            self.servers
                .iter()
                .find(|s| s.backend == row.backend && s.users == row.users)
                .map(ServerRun::hash_capacity)
        })
    }

    fn ratio_text(&self, row: &Row) -> String {
        match (row.ratio, row.basis) {
            (Some(x), Basis::Ceiling) => format!("{:.0} % of ceiling", x * 100.0),
            (Some(x), Basis::HashCapacity) => format!(
                "{:.0} % of hash capacity ({:.0} % of argon2 limit)",
                x * 100.0,
                100.0 * row.rps / self.argon2_limit()
            ),
            (_, Basis::None) => "ceiling".to_string(),
            (None, _) => "-".to_string(),
        }
    }

    /// The same figures as JSON.
    pub fn to_json(&self) -> Value {
        let limit = self.argon2_limit();
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "backend": r.backend.label(), "scenario": r.scenario, "users": r.users,
                    "connections": r.connections, "requests": r.requests, "requests_per_second": r.rps,
                    "p50_ms": r.p50_ms, "p99_ms": r.p99_ms, "errors": r.errors,
                    "requests_per_cpu_second": r.per_core, "ratio": r.ratio,
                    "ratio_to": match r.basis { Basis::Ceiling => "ceiling", Basis::HashCapacity => "hash_capacity", Basis::None => "" },
                    "ratio_to_argon2_limit": (r.basis == Basis::HashCapacity).then(|| r.rps / limit),
                    "host_steal": r.host.steal, "runs": r.host.tries, "again": r.again,
                    "hash_capacity_beside": r.capacity_beside,
                    "cpu_seconds": r.cpu.map(|c| json!({"server": c.server, "hashing": c.hashing, "postgres": c.postgres})),
                })
            })
            .collect();
        let servers: Vec<Value> = self
            .servers
            .iter()
            .map(|s| {
                json!({"backend": s.backend.label(), "users": s.users, "seed_seconds": s.seed_seconds,
                       "rss_idle_mib": s.rss_idle_mib, "rss_after_load_mib": s.rss_after_mib, "rss_peak_mib": s.rss_peak_mib,
                       "parallel_hashes_per_second": s.hash_rates.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
                       "parallel_hash_host_steal": s.hash_rates.iter().map(|(_, h)| h.steal).collect::<Vec<_>>(),
                       "hash_capacity_per_second": s.hash_capacity()})
            })
            .collect();
        let backends: Vec<Value> = self
            .backends
            .iter()
            .map(|(kind, description)| json!({"backend": kind.label(), "description": description}))
            .collect();
        json!({
            "smoke": self.smoke,
            "seconds_per_scenario": self.seconds_per_scenario,
            "cores": self.cores,
            "backends": backends,
            "argon2": {"memory_kib": self.argon2_memory_kib, "iterations": self.argon2_iterations,
                       "hash_ms": self.hash_ms, "limit_logins_per_second": limit},
            "scenarios": rows,
            "servers": servers,
            "targets": self.checks().iter().map(|c| c.to_json()).collect::<Vec<_>>(),
        })
    }
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// "93.0 (88.1–98.6)": the mean of the capacities beside a row, and their range.
fn capacity_text(capacities: &[f64]) -> String {
    let low = capacities.iter().copied().fold(f64::INFINITY, f64::min);
    let high = capacities.iter().copied().fold(0.0, f64::max);
    match mean(capacities) {
        Some(mean) if capacities.len() > 1 => format!("{mean:.1} ({low:.1}–{high:.1})"),
        Some(mean) => format!("{mean:.1}"),
        None => "-".to_string(),
    }
}
