//! The results table, the JSON file and the target checks.

use serde_json::{Value, json};

use crate::client::Stats;

/// What a row is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// The `{ __typename }` requests/s of the same run.
    Ceiling,
    /// cores ÷ one argon2id hash.
    Argon2,
    /// Not compared (the ceiling itself).
    None,
}

/// One line of the table.
pub struct Row {
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
    pub basis: Basis,
    /// Filled in by [`Report::finish`].
    pub ratio: Option<f64>,
}

impl Row {
    /// A row from a scenario's statistics; `server_cpu` = server CPU-seconds spent in it.
    pub fn new(
        scenario: &str,
        users: usize,
        connections: usize,
        stats: &Stats,
        server_cpu: Option<f64>,
        basis: Basis,
    ) -> Row {
        Row {
            scenario: scenario.to_string(),
            users,
            connections,
            requests: stats.requests,
            rps: stats.rate(),
            p50_ms: stats.quantile_ms(0.50),
            p99_ms: stats.quantile_ms(0.99),
            errors: stats.errors,
            per_core: server_cpu
                .filter(|cpu| *cpu > 0.0)
                .map(|cpu| stats.requests as f64 / cpu),
            basis,
            ratio: None,
        }
    }
}

/// Everything one run measured.
pub struct Report {
    pub cores: usize,
    pub hash_ms: f64,
    /// Hashes per second with every core hashing at once (no server involved).
    pub parallel_hashes_per_second: f64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub rows: Vec<Row>,
    /// (users, seconds to seed, idle RSS MiB after start, RSS MiB after load, peak RSS MiB).
    pub servers: Vec<(usize, f64, f64, f64, f64)>,
    pub smoke: bool,
    pub seconds_per_scenario: f64,
}

/// One target: what, the measured value, the bound, and whether it holds.
pub struct Check {
    pub name: &'static str,
    pub value: String,
    pub holds: bool,
}

impl Report {
    /// Logins per second the machine can hash at most: cores ÷ hash time.
    pub fn argon2_limit(&self) -> f64 {
        self.cores as f64 / (self.hash_ms / 1000.0)
    }

    fn find(&self, scenario: &str, users: usize) -> Option<&Row> {
        self.rows.iter().find(|r| r.scenario == scenario && r.users == users)
    }

    /// Fills in the ratios: to the ceiling of the same user count, or to the argon2 limit.
    pub fn finish(&mut self) {
        let limit = self.argon2_limit();
        let ceilings: Vec<(usize, f64)> = self
            .rows
            .iter()
            .filter(|r| r.scenario == "{ __typename }")
            .map(|r| (r.users, r.rps))
            .collect();
        for row in &mut self.rows {
            row.ratio = match row.basis {
                Basis::Argon2 => Some(row.rps / limit),
                Basis::Ceiling => ceilings
                    .iter()
                    .find(|(users, _)| *users == row.users)
                    .or(ceilings.first())
                    .map(|(_, ceiling)| row.rps / ceiling),
                Basis::None => None,
            };
        }
    }

    /// The targets, as far as this run measured them.
    pub fn checks(&self) -> Vec<Check> {
        let mut checks = Vec::new();
        let small = self.servers.first().map_or(0, |s| s.0);
        let ratio = |name: &str| self.find(name, small).and_then(|r| r.ratio);
        if let Some(r) = ratio("login") {
            checks.push(check("login ≥ 90 % of the argon2 limit", r * 100.0, "%", r >= 0.90));
        }
        if let Some(r) = ratio("me") {
            checks.push(check(
                "me ≥ 50 % of the { __typename } ceiling",
                r * 100.0,
                "%",
                r >= 0.50,
            ));
        }
        if let Some(row) = self.find("me during login storm", small) {
            checks.push(check(
                "me p99 < 10 ms during a login storm",
                row.p99_ms,
                " ms",
                row.p99_ms < 10.0,
            ));
        }
        for scenario in ["me", "login"] {
            let big = self.servers.last().map_or(0, |s| s.0);
            if big == small {
                continue;
            }
            if let (Some(a), Some(b)) = (self.find(scenario, small), self.find(scenario, big)) {
                let growth = b.p50_ms / a.p50_ms.max(1e-9);
                let name = if scenario == "me" {
                    "me p50 at the largest N within 1.2× of the smallest"
                } else {
                    "login p50 at the largest N within 1.2× of the smallest"
                };
                checks.push(check(name, growth, "×", growth <= 1.2));
            }
        }
        if let Some(server) = self.servers.first() {
            checks.push(check("server RSS at idle ≤ 30 MB", server.2, " MiB", server.2 <= 30.0));
        }
        checks
    }

    /// The table, the server lines and the targets, as printed and pasted into BENCHMARKS.md.
    pub fn render(&self) -> String {
        let mut out = format!(
            "argon2id m={} KiB t={} p=1: {:.1} ms per hash; {} cores → argon2 limit {:.1} logins/s\n\
             all {} cores hashing at once, no server: {:.1} hashes/s ({:.0} % of the limit)\n\n",
            self.argon2_memory_kib,
            self.argon2_iterations,
            self.hash_ms,
            self.cores,
            self.argon2_limit(),
            self.cores,
            self.parallel_hashes_per_second,
            100.0 * self.parallel_hashes_per_second / self.argon2_limit()
        );
        out.push_str("| scenario | users | conns | requests/s | p50 ms | p99 ms | errors | req/CPU-s | ratio |\n");
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for r in &self.rows {
            let ratio = match (r.ratio, r.basis) {
                (Some(x), Basis::Ceiling) => format!("{:.0} % of ceiling", x * 100.0),
                (Some(x), Basis::Argon2) => format!("{:.0} % of argon2 limit", x * 100.0),
                _ => "ceiling".to_string(),
            };
            let per_core = r.per_core.map_or("-".to_string(), |v| format!("{v:.0}"));
            out.push_str(&format!(
                "| {} | {} | {} | {:.1} | {:.2} | {:.2} | {} | {} | {} |\n",
                r.scenario, r.users, r.connections, r.rps, r.p50_ms, r.p99_ms, r.errors, per_core, ratio
            ));
        }
        out.push('\n');
        for (users, seed_s, idle, after, peak) in &self.servers {
            out.push_str(&format!(
                "server with {users} users: seeded in {seed_s:.1} s; RSS idle {idle:.1} MiB, after load {after:.1} MiB, peak {peak:.1} MiB\n"
            ));
        }
        out.push('\n');
        for c in self.checks() {
            let verdict = if c.holds { "holds" } else { "MISSED" };
            out.push_str(&format!("target {}: {} ({verdict})\n", c.name, c.value));
        }
        out
    }

    /// The same figures as JSON.
    pub fn to_json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "scenario": r.scenario, "users": r.users, "connections": r.connections,
                    "requests": r.requests, "requests_per_second": r.rps, "p50_ms": r.p50_ms,
                    "p99_ms": r.p99_ms, "errors": r.errors, "requests_per_cpu_second": r.per_core,
                    "ratio": r.ratio,
                    "ratio_to": match r.basis { Basis::Ceiling => "ceiling", Basis::Argon2 => "argon2_limit", Basis::None => "" },
                })
            })
            .collect();
        let servers: Vec<Value> = self
            .servers
            .iter()
            .map(|(users, seed_s, idle, after, peak)| {
                json!({"users": users, "seed_seconds": seed_s, "rss_idle_mib": idle, "rss_after_load_mib": after, "rss_peak_mib": peak})
            })
            .collect();
        let checks: Vec<Value> = self
            .checks()
            .iter()
            .map(|c| json!({"target": c.name, "value": c.value, "holds": c.holds}))
            .collect();
        json!({
            "smoke": self.smoke,
            "seconds_per_scenario": self.seconds_per_scenario,
            "cores": self.cores,
            "argon2": {"memory_kib": self.argon2_memory_kib, "iterations": self.argon2_iterations,
                       "hash_ms": self.hash_ms, "limit_logins_per_second": self.argon2_limit(),
                       "parallel_hashes_per_second": self.parallel_hashes_per_second},
            "scenarios": rows,
            "servers": servers,
            "targets": checks,
        })
    }
}

fn check(name: &'static str, value: f64, unit: &str, holds: bool) -> Check {
    Check {
        name,
        value: format!("{value:.2}{unit}"),
        holds,
    }
}
