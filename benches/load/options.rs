//! The command line of the load benchmark.

/// Test numbers that belong to seeded users (verifySms LOGIN, token chains).
pub const LOGIN_NUMBERS: usize = 16;

pub const USAGE: &str = "cargo bench --bench load -- [--smoke] [--seconds S] [--users 1000,1000000] [--database URL] [--json PATH] [--enforce]
  --smoke      2 s per scenario, 1,000 users only, targets reported but never enforced (CI)
  --seconds    measured seconds per scenario (default 10)
  --users      comma-separated user counts; every scenario runs at the first,
               `me` and `login` again at the others (default 1000,1000000)
  --database   postgres://user:password@host:port/db: run every user count on SQLite
               and then on PostgreSQL (a fresh database per user count, made and dropped
               through this server; the role needs CREATEDB). Without it: SQLite only
  --json       where to write the results (default bench-results/load.json)
  --enforce    exit 1 when a target is missed
  --only       run only these scenarios, e.g. `--only me,login,storm` (for profiling)";

pub struct Options {
    pub smoke: bool,
    pub seconds: f64,
    pub users: Vec<usize>,
    /// A PostgreSQL server URL: PostgreSQL runs after SQLite at each user count.
    pub postgres: Option<String>,
    pub json: String,
    pub enforce: bool,
    /// Run only these scenarios (`--only me,login`): for profiling.
    pub only: Vec<String>,
}

impl Options {
    /// True when the scenario `name` was asked for (`--only` takes name prefixes).
    pub fn wants(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| name.starts_with(o.as_str()))
    }

    /// The login storm runs unless `--only` leaves it out (it must name `storm`).
    pub fn wants_storm(&self) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == "storm")
    }
}

pub fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        smoke: false,
        seconds: 10.0,
        users: vec![1_000, 1_000_000],
        postgres: None,
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
                opts.users = parse_users(&value("--users")?)?;
                users_given = true;
            }
            "--database" => opts.postgres = Some(parse_postgres_url(&value("--database")?)?),
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
    validate(&opts)?;
    Ok(opts)
}

fn parse_users(raw: &str) -> Result<Vec<usize>, String> {
    raw.split(',')
        .map(|n| n.trim().replace('_', "").parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("--users {raw:?} is not a list of numbers"))
}

fn parse_postgres_url(raw: &str) -> Result<String, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("--database {raw:?}: {e}"))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(format!(
            "--database takes a postgres:// URL (SQLite always runs, on a fresh file), not {:?}",
            url.scheme()
        ));
    }
    Ok(raw.to_string())
}

fn validate(opts: &Options) -> Result<(), String> {
    if opts.users.is_empty() || opts.users.contains(&0) || !(0.5..=600.0).contains(&opts.seconds) {
        return Err(format!(
            "need user counts ≥ 1 and 0.5–600 seconds per scenario\n{USAGE}"
        ));
    }
    if opts.users.iter().any(|&n| n < LOGIN_NUMBERS) {
        return Err(format!("each user count must be at least {LOGIN_NUMBERS}"));
    }
    Ok(())
}
