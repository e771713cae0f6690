//! The `zhanghao` command: parse the CLI, load config, connect, migrate, serve.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use zhanghao::config::{Config, CorsOrigins, Settings};
use zhanghao::state::{AppState, Overrides};
use zhanghao::{app, graphql, store};

#[derive(Parser)]
#[command(name = "zhanghao", version, about = "账号: account server (GraphQL + legacy REST)")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the GraphQL SDL.
    Schema,
    /// Administration.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

#[derive(Subcommand)]
enum AdminAction {
    /// Make a user ADMIN, named by user id, username or mobile.
    Grant { who: String },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Some(Command::Schema)) {
        print!("{}", graphql::sdl());
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_settings(cli.settings) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("zhanghao: {err}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_json);
    match run(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("zhanghao: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    let db = store::connect(
        &config.database_url,
        config.db_max_connections,
        config.db_acquire_timeout,
    )
    .await?;
    store::migrate(&db).await?;
    match command {
        Command::Migrate => {
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Schema => Ok(()),
        Command::Admin {
            action: AdminAction::Grant { who },
        } => {
            let state = AppState::build(config, db, Overrides::default())
                .await
                .map_err(startup_error)?;
            let user = state.services.accounts.grant_admin(&who).await.map_err(startup_error)?;
            println!("user {} is now ADMIN", user.id);
            Ok(())
        }
        Command::Serve => serve(config, db).await,
    }
}

async fn serve(config: Config, db: store::Db) -> anyhow::Result<()> {
    let listen = config.listen;
    if config.is_production() && config.cors_origins == CorsOrigins::List(Vec::new()) {
        tracing::warn!(
            "ZHANGHAO_CORS_ORIGINS is empty: browsers on other origins cannot call this server (set it to your web apps' origins)"
        );
    }
    let graphiql = config.graphiql;
    let state = AppState::build(config, db, Overrides::default())
        .await
        .map_err(startup_error)?;
    let sweeper = tokio::spawn(state.services.housekeeping.clone().sweep_forever());
    let listener = tokio::net::TcpListener::bind(listen).await?;
    if graphiql {
        tracing::info!(
            "zhanghao listening on http://{listen} — GraphiQL at http://{listen}/graphql, REST docs at http://{listen}/docs"
        );
    } else {
        tracing::info!("zhanghao listening on http://{listen} (GraphiQL off) — REST docs at http://{listen}/docs");
    }
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    sweeper.abort();
    tracing::info!("zhanghao stopped");
    Ok(())
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

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// An account error where the command line reports it (start-up, `admin grant`).
fn startup_error(err: zhanghao::error::AppError) -> anyhow::Error {
    anyhow::anyhow!(err.describe())
}
