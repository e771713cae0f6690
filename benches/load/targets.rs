//! The targets, checked against what one run measured. A target the
//! run did not measure (a scenario left out, one user count, no PostgreSQL)
//! is "not measured": it neither holds nor fails `--enforce`.

use serde_json::{Value, json};

use crate::backend::BackendKind;
use crate::report::{Report, Row};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Holds,
    Missed,
    NotMeasured,
}

/// One target: what, the measured value, and the verdict.
pub struct Check {
    pub name: String,
    pub value: String,
    pub verdict: Verdict,
}

impl Check {
    fn measured(name: String, value: f64, unit: &str, holds: bool) -> Check {
        Check {
            name,
            value: format!("{value:.2}{unit}"),
            verdict: if holds { Verdict::Holds } else { Verdict::Missed },
        }
    }

    /// `measured` of what `value` found, else "not measured".
    fn of(name: String, value: Option<f64>, unit: &str, holds: impl Fn(f64) -> bool) -> Check {
        match value {
            Some(v) => Check::measured(name, v, unit, holds(v)),
            None => Check {
                name,
                value: "not measured".to_string(),
                verdict: Verdict::NotMeasured,
            },
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "target": self.name,
            "value": self.value,
            "holds": self.verdict == Verdict::Holds,
            "measured": self.verdict != Verdict::NotMeasured,
        })
    }
}

/// SQLite's write paths: refreshToken and verifySms LOGIN at this many connections.
const WRITE_PATH_CONNECTIONS: usize = 16;

impl Report {
    /// Every target, per backend where it applies, then PostgreSQL against SQLite.
    pub fn checks(&self) -> Vec<Check> {
        let mut checks = Vec::new();
        for (backend, _) in &self.backends {
            self.backend_checks(*backend, &mut checks);
        }
        if self.backends.iter().any(|(b, _)| *b == BackendKind::Sqlite) {
            self.write_path_checks(&mut checks);
        }
        checks.push(self.postgres_vs_sqlite());
        checks
    }

    /// True when `--enforce` must fail the run.
    pub fn missed_a_target(&self) -> bool {
        self.checks().iter().any(|c| c.verdict == Verdict::Missed)
    }

    fn smallest_users(&self, backend: BackendKind) -> Option<usize> {
        self.servers_of(backend).next().map(|s| s.users)
    }

    /// A row of `backend` at its smallest user count.
    fn first_row(&self, backend: BackendKind, scenario: &str) -> Option<&Row> {
        self.smallest_users(backend)
            .and_then(|users| self.find(backend, scenario, users))
    }

    fn backend_checks(&self, backend: BackendKind, checks: &mut Vec<Check>) {
        let b = backend.label();
        let percent = |scenario: &str| {
            self.first_row(backend, scenario)
                .and_then(|r| r.ratio)
                .map(|r| r * 100.0)
        };
        checks.push(Check::of(
            format!("{b}: me ≥ 50 % of the {{ __typename }} ceiling"),
            percent("me"),
            " %",
            |v| v >= 50.0,
        ));
        checks.push(Check::of(
            format!("{b}: login ≥ 90 % of the measured hash capacity"),
            percent("login"),
            " %",
            |v| v >= 90.0,
        ));
        checks.push(Check::of(
            format!("{b}: me p99 < 5 ms during a login storm"),
            self.first_row(backend, "me during login storm").map(|r| r.p99_ms),
            " ms",
            |v| v < 5.0,
        ));
        let small = self.smallest_users(backend);
        let big = self
            .servers_of(backend)
            .last()
            .map(|s| s.users)
            .filter(|big| Some(*big) != small);
        // The smallest user count's figure is the one measured again right
        // after the largest's round, not its own round's, many minutes before.
        for scenario in ["me", "login"] {
            let growth = small.zip(big).and_then(|(small, big)| {
                let big = self.find(backend, scenario, big)?.p50_ms;
                let small = self.find_again(backend, scenario, small)?.p50_ms;
                Some(big / small.max(1e-9))
            });
            checks.push(Check::of(
                format!("{b}: {scenario} p50 at the largest user count within 1.2× of the smallest (measured again beside it)"),
                growth,
                "×",
                |v| v <= 1.2,
            ));
        }
        checks.push(Check::of(
            format!("{b}: server RSS at idle ≤ 30 MiB"),
            self.servers_of(backend).next().map(|s| s.rss_idle_mib),
            " MiB",
            |v| v <= 30.0,
        ));
    }

    fn write_path_checks(&self, checks: &mut Vec<Check>) {
        for scenario in ["refreshToken", "verifySms LOGIN"] {
            let p99 = self
                .first_row(BackendKind::Sqlite, scenario)
                .filter(|r| r.connections == WRITE_PATH_CONNECTIONS)
                .map(|r| r.p99_ms);
            checks.push(Check::of(
                format!("SQLite: {scenario} p99 < 20 ms at {WRITE_PATH_CONNECTIONS} connections"),
                p99,
                " ms",
                |v| v < 20.0,
            ));
        }
    }

    /// PostgreSQL `me` ÷ SQLite `me` requests/s at SQLite's smallest user count.
    fn postgres_vs_sqlite(&self) -> Check {
        let users = self.smallest_users(BackendKind::Sqlite);
        let me = |backend| users.and_then(|users| self.find(backend, "me", users)).map(|r| r.rps);
        let ratio = me(BackendKind::Sqlite)
            .zip(me(BackendKind::Postgres))
            .map(|(sqlite, postgres)| 100.0 * postgres / sqlite.max(1e-9));
        Check::of(
            "PostgreSQL me ≥ 70 % of SQLite me requests/s".to_string(),
            ratio,
            " %",
            |v| v >= 70.0,
        )
    }
}
