//! The release server under test: `zhanghao migrate`, then `zhanghao serve`
//! on a free loopback port, killed when dropped (also on error or panic).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The release binary cargo built for this bench.
const BINARY: &str = env!("CARGO_BIN_EXE_zhanghao");

/// The code every test number answers to (`ZHANGHAO_TEST_NUMBERS`).
pub const TEST_CODE: &str = "246810";

/// Settings shared by `migrate` and `serve`.
pub struct ServerEnv {
    pub database_url: String,
    pub dir: PathBuf,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// `mobile=code,…` for `ZHANGHAO_TEST_NUMBERS`.
    pub test_numbers: String,
}

impl ServerEnv {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BINARY);
        cmd.args(args)
            .current_dir(&self.dir)
            .env("DATABASE_URL", &self.database_url)
            .env("ZHANGHAO_ARGON2_MEMORY_KIB", self.argon2_memory_kib.to_string())
            .env("ZHANGHAO_ARGON2_ITERATIONS", self.argon2_iterations.to_string())
            .env("ZHANGHAO_TEST_NUMBERS", &self.test_numbers)
            .env("ZHANGHAO_OUTBOX", self.dir.join("outbox.jsonl"))
            // A fixed secret: the server must not write one into the database.
            .env("ZHANGHAO_JWT_SECRET", "loadbench-secret-loadbench-secret-0123456789")
            // Per-request logs would measure the terminal, not the server.
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        cmd
    }

    /// Creates the schema with the server's own migrations.
    pub fn migrate(&self) -> Result<(), String> {
        let output = self
            .command(&["migrate"])
            .output()
            .map_err(|e| format!("cannot run {BINARY}: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "zhanghao migrate failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// Starts `zhanghao serve` and waits (at most 30 s) until it answers.
    pub fn start(&self) -> Result<Server, String> {
        let addr = free_port()?;
        let log_path = self.dir.join("server.log");
        let log = std::fs::File::create(&log_path).map_err(|e| format!("server log: {e}"))?;
        let log_err = log.try_clone().map_err(|e| format!("server log: {e}"))?;
        let child = self
            .command(&["serve"])
            .env("ZHANGHAO_LISTEN", addr.to_string())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot start {BINARY}: {e}"))?;
        let server = Server { child, addr, log_path };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("server did not listen within 30 s:\n{}", server.log_tail()))
    }
}

/// A running server process.
pub struct Server {
    child: Child,
    /// Where it listens (127.0.0.1 only).
    pub addr: SocketAddr,
    log_path: PathBuf,
}

/// Memory and CPU of the server process, from /proc.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcStats {
    /// Resident set size now, KiB.
    pub rss_kib: u64,
    /// Peak resident set size since start, KiB.
    pub hwm_kib: u64,
    /// User + system CPU time since start, seconds.
    pub cpu_seconds: f64,
    /// The part of it spent by the password hashing threads (`argon2-<n>`).
    pub hash_cpu_seconds: f64,
}

impl Server {
    /// RSS, peak RSS and CPU time of the server.
    pub fn stats(&self) -> ProcStats {
        proc_stats(&format!("/proc/{}", self.child.id()))
    }

    /// The last lines of the server's log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// RSS, peak RSS and CPU time of the process whose /proc directory is `dir`.
pub fn proc_stats(dir: &str) -> ProcStats {
    let status = std::fs::read_to_string(Path::new(dir).join("status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<u64>().ok())
            .unwrap_or(0)
    };
    ProcStats {
        rss_kib: field("VmRSS:"),
        hwm_kib: field("VmHWM:"),
        cpu_seconds: cpu_of(&Path::new(dir).join("stat")).map_or(0.0, |(_, cpu)| cpu),
        hash_cpu_seconds: threads_cpu(dir, "argon2-"),
    }
}

/// CPU seconds of the threads of the process at `dir` whose names start with `prefix`.
fn threads_cpu(dir: &str, prefix: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir(Path::new(dir).join("task")) else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter_map(|task| cpu_of(&task.path().join("stat")))
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(_, cpu)| cpu)
        .sum()
}

/// CPU seconds so far of every process named `postgres` on this machine: a
/// PostgreSQL server on loopback shares the cores with the server under test.
pub fn postgres_cpu_seconds() -> f64 {
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    processes
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|entry| cpu_of(&entry.path().join("stat")))
        .filter(|(name, _)| name == "postgres")
        .map(|(_, cpu)| cpu)
        .sum()
}

/// The command name and the user + system CPU seconds of a /proc `stat`
/// file: fields 14 and 15 (utime, stime) in clock ticks, counted after the
/// ")" that ends the name. Linux uses 100 ticks a second.
fn cpu_of(stat: &Path) -> Option<(String, f64)> {
    let stat = std::fs::read_to_string(stat).ok()?;
    let (head, after_name) = stat.rsplit_once(')')?;
    let name = head.split_once('(').map_or("", |(_, name)| name).to_string();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Some((name, (ticks(11) + ticks(12)) as f64 / 100.0))
}

fn free_port() -> Result<SocketAddr, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map_err(|e| format!("no free port: {e}"))
}
