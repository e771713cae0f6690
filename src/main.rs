//! The `zhanghao` command: parse the CLI, load config, bind, connect,
//! migrate, serve (or grant admin, rotate the signing keys). `zhanghao`
//! with no command (or only settings) is `zhanghao serve`; each command's
//! `--help` shows only what it takes on its command line.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, FromArgMatches, Parser, Subcommand};
use zhanghao::config::{Config, CorsOrigins, DatabaseSettings, Settings};
use zhanghao::error::ErrorKind;
use zhanghao::service::keys::KeyState;
use zhanghao::state::{AppState, Overrides};
use zhanghao::{app, graphql, startup, store};

#[derive(Parser)]
#[command(
    name = "zhanghao",
    version,
    about = "账号: account server (GraphQL + legacy REST)",
    after_help = "With no command, zhanghao serves. Every setting is also an environment variable: see `zhanghao serve --help`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (the default).
    Serve(Box<Settings>),
    /// Apply pending migrations and exit.
    Migrate(DatabaseSettings),
    /// Print the GraphQL SDL.
    Schema,
    /// Administration.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// The JWT signing keys (ZHANGHAO_JWT_ALG=ES256 or EdDSA). The key
    /// settings (ZHANGHAO_JWT_ALG, ZHANGHAO_JWT_SECRET, ZHANGHAO_JWT_PRIVATE_KEY_FILE,
    /// the token lifetimes) come from the environment, as the server's do.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// Add a new key: published in the JWKS at once, it signs new tokens five
    /// minutes later; the old key keeps verifying, and stays in the JWKS, until its tokens have expired.
    Rotate,
    /// The keys in the database: which one signs, until when retired ones verify.
    List,
}

#[derive(Subcommand)]
enum AdminAction {
    /// Make a user ADMIN, named by user id, username or mobile. The other
    /// settings come from the environment, as the server's do.
    Grant {
        who: String,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Disable a user (id, username or mobile): every session ends at once
    /// and sign-ins answer ACCOUNT_DISABLED until `admin enable`.
    Disable {
        who: String,
        /// Why: shown to the user and kept in the audit log (up to 200 characters).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Let a disabled user (id, username or mobile) sign in again.
    Enable {
        who: String,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Sign a user (id, username or mobile) out everywhere.
    RevokeSessions {
        who: String,
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

impl AdminAction {
    fn database(&self) -> &DatabaseSettings {
        match self {
            AdminAction::Grant { database, .. }
            | AdminAction::Disable { database, .. }
            | AdminAction::Enable { database, .. }
            | AdminAction::RevokeSessions { database, .. } => database,
        }
    }
}

/// A failure of a command, already in the one line the operator reads.
struct Failure {
    line: String,
    exit: u8,
}

impl Failure {
    fn new(line: impl Into<String>) -> Self {
        Failure {
            line: line.into(),
            exit: 1,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse_from(with_default_command(std::env::args_os().collect()));
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("zhanghao: {}", failure.line);
            ExitCode::from(failure.exit)
        }
    }
}

/// `zhanghao` and `zhanghao --listen …` mean `zhanghao serve …`.
fn with_default_command(mut args: Vec<OsString>) -> Vec<OsString> {
    const FIRST_WORDS: [&str; 10] = [
        "serve",
        "migrate",
        "schema",
        "admin",
        "keys",
        "help",
        "-h",
        "--help",
        "-V",
        "--version",
    ];
    let first = args.get(1).and_then(|arg| arg.to_str());
    if !first.is_some_and(|word| FIRST_WORDS.contains(&word)) {
        args.insert(1.min(args.len()), OsString::from("serve"));
    }
    args
}

async fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Migrate(database) => {
            init_logging(false);
            let db = connect(&database).await?;
            store::migrate(&db)
                .await
                .map_err(|err| Failure::new(startup::database_error(&database.database_url, &err)))?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Admin { action } => {
            let mut settings = settings_from_environment()?;
            settings.database = action.database().clone();
            admin(config(settings)?, action).await
        }
        Command::Keys { action, database } => {
            let mut settings = settings_from_environment()?;
            settings.database = database;
            keys(action, config(settings)?).await
        }
        Command::Serve(settings) => serve(config(*settings)?).await,
    }
}

async fn keys(action: KeysAction, config: Config) -> Result<(), Failure> {
    init_logging(config.log_json);
    let db = open_database(&config).await?;
    let keys = zhanghao::state::signing_keys(&config, db)
        .await
        .map_err(|err| Failure::new(err.describe()))?;
    match action {
        KeysAction::Rotate => {
            if let Some(why) = keys.rotation_refusal() {
                return Err(Failure::new(format!("keys rotate: {why}")));
            }
            let key = keys.rotate().await.map_err(|err| Failure::new(err.describe()))?;
            let from = match key.state {
                KeyState::Upcoming { signs_from } => signs_from.to_string(),
                _ => "now".to_string(),
            };
            println!(
                "generation {} {} kid {}: published in the JWKS within a minute, signs from {from}",
                key.generation, key.algorithm, key.kid
            );
        }
        KeysAction::List => {
            for key in keys.list().await.map_err(|err| Failure::new(err.describe()))? {
                println!(
                    "generation {} {} kid {} since {}: {}",
                    key.generation,
                    key.algorithm,
                    key.kid,
                    key.created_at,
                    key_state(&key.state)
                );
            }
        }
    }
    Ok(())
}

fn key_state(state: &KeyState) -> String {
    match state {
        KeyState::Upcoming { signs_from } => format!("published, signs from {signs_from}"),
        KeyState::Current => "signs new tokens".to_string(),
        KeyState::Retired { verifies_until } => format!("retired, verifies until {verifies_until}"),
        KeyState::Foreign => "newest, of another configuration: verifies, not signed with here".to_string(),
        KeyState::Expired => "retired, its tokens have expired (deleted at the next sweep)".to_string(),
    }
}

fn config(settings: Settings) -> Result<Config, Failure> {
    Config::from_settings(settings).map_err(|err| Failure {
        line: err.to_string(),
        exit: 2,
    })
}

/// The server's settings as the environment gives them (for `admin`).
fn settings_from_environment() -> Result<Settings, Failure> {
    let matches = Settings::augment_args(clap::Command::new("zhanghao"))
        .try_get_matches_from(["zhanghao"])
        .map_err(|err| Failure::new(err.to_string().trim().to_string()))?;
    Settings::from_arg_matches(&matches).map_err(|err| Failure::new(err.to_string().trim().to_string()))
}

async fn connect(database: &DatabaseSettings) -> Result<store::Db, Failure> {
    let timeout = std::time::Duration::from_secs(database.db_acquire_timeout.max(1));
    connect_to(&database.database_url, database.db_max_connections.max(1), timeout).await
}

async fn connect_to(url: &str, max_connections: u32, timeout: std::time::Duration) -> Result<store::Db, Failure> {
    store::connect(url, max_connections, timeout)
        .await
        .map_err(|err| Failure::new(startup::database_error(url, &err)))
}

async fn open_database(config: &Config) -> Result<store::Db, Failure> {
    let db = connect_to(
        &config.database_url,
        config.db_max_connections,
        config.db_acquire_timeout,
    )
    .await?;
    store::migrate(&db)
        .await
        .map_err(|err| Failure::new(startup::database_error(&config.database_url, &err)))?;
    Ok(db)
}

/// `zhanghao admin …`: the API's admin actions, audited with no actor.
async fn admin(config: Config, action: AdminAction) -> Result<(), Failure> {
    init_logging(config.log_json);
    let db = open_database(&config).await?;
    let state = AppState::build(config, db, Overrides::default())
        .await
        .map_err(|err| Failure::new(err.describe()))?;
    let admin = &state.services.admin;
    let (who, done) = match &action {
        AdminAction::Grant { who, .. } => (who, admin.grant_named(who).await.map(|u| (u, "is now ADMIN"))),
        AdminAction::Disable { who, reason, .. } => (
            who,
            admin
                .disable_named(who, reason.as_deref())
                .await
                .map(|u| (u, "is disabled; every session was revoked")),
        ),
        AdminAction::Enable { who, .. } => (who, admin.enable_named(who).await.map(|u| (u, "is enabled"))),
        AdminAction::RevokeSessions { who, .. } => (
            who,
            admin.revoke_named(who).await.map(|u| (u, "is signed out everywhere")),
        ),
    };
    match done {
        Ok((user, what)) => {
            println!("user {} {what}", user.id);
            Ok(())
        }
        Err(err) if err.kind() == ErrorKind::NotFound => {
            Err(Failure::new(format!("no user has the id, username or mobile {who:?}")))
        }
        Err(err) => Err(Failure::new(err.message(zhanghao::error::Lang::En))),
    }
}

async fn serve(config: Config) -> Result<(), Failure> {
    init_logging(config.log_json);
    // The address first: a second copy started by mistake must not migrate.
    let listener = startup::bind(config.listen).await.map_err(Failure::new)?;
    let listen = config.listen;
    if config.is_production() && config.cors_origins == CorsOrigins::List(Vec::new()) {
        tracing::warn!(
            "ZHANGHAO_CORS_ORIGINS is empty: browsers on other origins cannot call this server (set it to your web apps' origins)"
        );
    }
    let db = open_database(&config).await?;
    let graphiql = config.graphiql;
    let state = AppState::build(config, db, Overrides::default())
        .await
        .map_err(|err| Failure::new(err.describe()))?;
    let sweeper = tokio::spawn(state.services.housekeeping.clone().sweep_forever());
    let key_refresher = tokio::spawn(state.services.keys.clone().refresh_forever());
    let deliverer = tokio::spawn(state.services.events.clone().deliver_forever());
    let eraser = tokio::spawn(state.services.erasure.clone().erase_forever());
    if graphiql {
        tracing::info!(
            "zhanghao listening on http://{listen} — GraphiQL at http://{listen}/graphql, REST docs at http://{listen}/docs"
        );
    } else {
        tracing::info!("zhanghao listening on http://{listen} (GraphiQL off) — REST docs at http://{listen}/docs");
    }
    let served = axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await;
    sweeper.abort();
    key_refresher.abort();
    deliverer.abort();
    eraser.abort();
    served.map_err(|err| Failure::new(format!("the server stopped: {err}")))?;
    tracing::info!("zhanghao stopped");
    Ok(())
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    // Colour only for a person at a terminal: a file or a log shipper gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
