//! What the host took. On a shared virtual machine the hypervisor runs other
//! guests on our cores whenever they are busy, and the kernel counts that
//! time as "steal" (/proc/stat). A scenario measured while the host took a
//! large share measures the neighbours, so it is run again (the report says
//! how often, and what share the kept attempt lost).

/// Above this share of all CPU time taken by the host, a measurement is run again.
pub const QUIET_STEAL: f64 = 0.05;

/// At most this many attempts in all; the one the host took least from is kept.
const ATTEMPTS: usize = 3;

/// Attempts a measurement may take: one in a smoke run, whose figures mean nothing.
pub fn attempts(smoke: bool) -> usize {
    if smoke { 1 } else { ATTEMPTS }
}

/// CPU time of all cores so far, in clock ticks.
#[derive(Clone, Copy)]
pub struct CpuTimes {
    steal: u64,
    total: u64,
}

impl CpuTimes {
    /// Now, from the `cpu` line of /proc/stat (`None` where there is none).
    pub fn now() -> Option<CpuTimes> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().find(|l| l.starts_with("cpu "))?;
        // user nice system idle iowait irq softirq steal (guest time is inside user).
        let ticks: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .take(8)
            .filter_map(|v| v.parse().ok())
            .collect();
        let steal = *ticks.get(7)?;
        Some(CpuTimes {
            steal,
            total: ticks.iter().sum(),
        })
    }

    /// The share of all CPU time since `self` that the host took.
    pub fn steal_since(self) -> Option<f64> {
        let now = CpuTimes::now()?;
        let total = now.total.checked_sub(self.total).filter(|t| *t > 0)?;
        Some(now.steal.saturating_sub(self.steal) as f64 / total as f64)
    }
}

/// How a measurement went on the host: the share of the CPU it took, and
/// how many attempts were made to get one it took little from.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostShare {
    pub steal: Option<f64>,
    pub tries: usize,
}

impl HostShare {
    fn noisy(&self) -> bool {
        self.steal.is_some_and(|s| s > QUIET_STEAL)
    }

    fn quieter_than(&self, other: &HostShare) -> bool {
        self.steal.unwrap_or(0.0) < other.steal.unwrap_or(0.0)
    }

    /// "3 %", "12 % (best of 3)", or "-" where the kernel does not say.
    pub fn text(&self) -> String {
        match self.steal {
            None => "-".to_string(),
            Some(s) if self.tries > 1 => format!("{:.0} % (best of {})", s * 100.0, self.tries),
            Some(s) => format!("{:.0} %", s * 100.0),
        }
    }
}

/// Runs `measure` until the host takes at most [`QUIET_STEAL`] of the CPU
/// during one run, `attempts` times at most, and keeps the run it took least from.
pub async fn least_stolen<T, F, Fut>(attempts: usize, mut measure: F) -> (T, HostShare)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut kept = stolen_from(measure()).await;
    let mut tries = 1;
    while tries < attempts && kept.1.noisy() {
        eprintln!("loadbench: the host took {} of the CPU; once more …", kept.1.text());
        tries += 1;
        let next = stolen_from(measure()).await;
        if next.1.quieter_than(&kept.1) {
            kept = next;
        }
    }
    kept.1.tries = tries;
    kept
}

async fn stolen_from<T>(measurement: impl std::future::Future<Output = T>) -> (T, HostShare) {
    let start = CpuTimes::now();
    let out = measurement.await;
    let share = HostShare {
        steal: start.and_then(CpuTimes::steal_since),
        tries: 1,
    };
    (out, share)
}
