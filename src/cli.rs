//! The command line: serve | demo | migrate | schema | user.
use std::{io::BufRead, process::ExitCode};

use clap::{Parser, Subcommand, ValueEnum};
use migration::{Migrator, MigratorTrait};

use crate::{
    app::{self, Application},
    auth::Actor,
    config::Settings,
    core::Core,
    demo,
    entity::user::Role,
    error::AppError,
    service::accounts::users::{self, NewUser},
    values::{Email, FullName, Parse, Password},
};

#[derive(Parser, Debug)]
#[command(
    name = "leadscore",
    version,
    about = "GraphQL API for sales teams: which lead to call next"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default).
    Serve {
        /// Seed demo users and leads first, if the database has no users.
        #[arg(long)]
        demo: bool,
        /// Do not apply pending migrations at start-up.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Seed demo data (DEMO ONLY: public passwords) if the database has no users.
    Demo {
        /// How many leads to generate (up to 1,000,000; for benchmarks).
        #[arg(long, default_value_t = demo::DEFAULT_LEADS)]
        leads: usize,
    },
    /// Apply or revert schema migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Rescore leads now, with a progress bar: the stale ones, or `--all`.
    Rescore {
        /// Every live lead, not only those the sweep interval made stale.
        #[arg(long)]
        all: bool,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Manage users from the shell (how the first admin is made).
    User {
        #[command(subcommand)]
        action: UserAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the last N migrations (default 1).
    Down { n: Option<u32> },
    /// List migrations and whether each is applied.
    Status,
    /// Drop everything and migrate from scratch (needs --yes).
    Fresh {
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoleArg {
    Admin,
    Manager,
    SalesRep,
}

#[derive(Subcommand, Debug)]
pub enum UserAction {
    /// Create a user; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, ignore_case = true)]
        role: RoleArg,
    },
}

pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command.unwrap_or(Command::Serve {
        demo: false,
        no_migrate: false,
    }) {
        Command::Serve { demo, no_migrate } => serve(cli.settings, demo, !no_migrate).await,
        Command::Demo { leads } => seed_demo(&cli.settings, leads).await,
        Command::Migrate { action } => migrate(&cli.settings, action).await,
        Command::Rescore { all } => rescore(&cli.settings, all).await,
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::User {
            action: UserAction::Create { email, name, role },
        } => create_user(&cli.settings, email, name, role).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("\nleadscore: {message}");
            ExitCode::FAILURE
        }
    }
}

fn describe(err: AppError) -> String {
    err.log();
    err.message()
}

async fn serve(settings: Settings, demo_data: bool, migrate: bool) -> Result<(), String> {
    let app = Application::build(settings.clone(), migrate)
        .await
        .map_err(|e| e.0)?;
    if demo_data {
        report_demo(
            demo::seed(app.core(), settings.is_production(), demo::DEFAULT_LEADS)
                .await
                .map_err(describe)?,
        );
    }
    let addr = app.local_addr();
    let host = if addr.ip().is_unspecified() {
        "localhost".to_string()
    } else {
        addr.ip().to_string()
    };
    let base = format!("http://{host}:{}", addr.port());
    tracing::info!(database = %settings.database_url.as_ref().map_or("embedded SQLite (leadscore.db)", |_| "DATABASE_URL"), "leadscore listening on {base}");
    let health = match app.admin_addr() {
        Some(admin) => format!("http://{admin}/health  (ADMIN_BIND)"),
        None => format!("{base}/readyz  (the dashboard: set ADMIN_BIND=127.0.0.1:9100)"),
    };
    eprintln!("\n  leadscore is running.\n  GraphiQL:  {base}/graphiql\n  GraphQL:   {base}/graphql  (websocket: ws://{host}:{}/graphql/ws)\n  Health:    {health}\n", addr.port());
    app.run_until_stopped()
        .await
        .map_err(|e| format!("server error: {e}"))
}

fn report_demo(outcome: demo::Outcome) {
    match outcome {
        demo::Outcome::Seeded { users, leads } => {
            tracing::warn!(users, leads, "DEMO DATA seeded: users admin@, manager@, rep1@, rep2@example.com share the PUBLIC password '{}'. Never use this database for real work.", demo::DEMO_PASSWORD)
        }
        demo::Outcome::AlreadyHasUsers => {
            tracing::info!("the database already has users: demo data not added")
        }
    }
}

async fn seed_demo(settings: &Settings, leads: usize) -> Result<(), String> {
    if settings.is_production() {
        return Err(
            "demo data is refused when LEADSCORE_ENV=production: its passwords are public".into(),
        );
    }
    let core = tool_core(settings).await?;
    report_demo(demo::seed(&core, false, leads).await.map_err(describe)?);
    Ok(())
}

/// The application core for a command: connected and migrated.
async fn tool_core(settings: &Settings) -> Result<Core, String> {
    let db = app::connect(settings, true).await.map_err(|e| e.0)?;
    app::core(settings, db).await.map_err(|e| e.0)
}

async fn rescore(settings: &Settings, all: bool) -> Result<(), String> {
    use crate::service::scores::{sweep, walk::Walk};
    let core = tool_core(settings).await?;
    let now = chrono::Utc::now();
    let stale_before = if all {
        now + chrono::Duration::seconds(1)
    } else {
        now - chrono::Duration::seconds(settings.score_sweep_interval_secs as i64)
    };
    let total = Walk::stale_before(stale_before)
        .count(&core)
        .await
        .map_err(describe)?;
    let started = std::time::Instant::now();
    let bar = |done: usize| {
        let width = 30;
        let filled = if total == 0 {
            width
        } else {
            (done as u64 * width as u64 / total.max(1)).min(width as u64) as usize
        };
        eprint!(
            "\rrescoring [{}{}] {done}/{total}",
            "#".repeat(filled),
            "-".repeat(width - filled)
        );
    };
    bar(0);
    let done = sweep::rescore_stale(&core, stale_before, bar)
        .await
        .map_err(describe)?;
    eprintln!("\nrescored {done} leads in {:.1?}", started.elapsed());
    if done > 0 {
        // A bulk rewrite leaves the planner's statistics behind until
        // autovacuum catches up; planned on them, reading a page of scores
        // took 30 ms instead of 0.3.
        use sea_orm::ConnectionTrait;
        core.db()
            .execute_unprepared("ANALYZE")
            .await
            .map_err(|e| describe(e.into()))?;
    }
    Ok(())
}

async fn migrate(settings: &Settings, action: MigrateAction) -> Result<(), String> {
    let pooled = app::connect(settings, false).await.map_err(|e| e.0)?;
    let failed = |e: sea_orm::DbErr| format!("migration failed: {e}");
    // Without the request's statement timeout on PostgreSQL.
    let unlimited = crate::db::for_migrations(settings).await.map_err(failed)?;
    let db = unlimited.unwrap_or(pooled);
    match action {
        MigrateAction::Up => Migrator::up(&db, None).await.map_err(failed)?,
        MigrateAction::Down { n } => Migrator::down(&db, Some(n.unwrap_or(1))).await.map_err(failed)?,
        MigrateAction::Fresh { yes: false } => return Err("`migrate fresh` drops every table and all data: run it again with --yes if you mean it".into()),
        MigrateAction::Fresh { yes: true } => Migrator::fresh(&db).await.map_err(failed)?,
        MigrateAction::Status => {
            for migration in Migrator::get_migration_with_status(&db).await.map_err(failed)? {
                println!("{:<10} {}", format!("{:?}", migration.status()), migration.name());
            }
        }
    }
    Ok(())
}

async fn create_user(
    settings: &Settings,
    email: String,
    name: String,
    role: RoleArg,
) -> Result<(), String> {
    let role = match role {
        RoleArg::Admin => Role::Admin,
        RoleArg::Manager => Role::Manager,
        RoleArg::SalesRep => Role::SalesRep,
    };
    eprint!("Password for {email} (8 to 128 characters), then Enter: ");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    let refused =
        |field: &'static str| move |e: crate::values::Invalid| format!("{field}: {}", e.0);
    let input = NewUser {
        email: Email::parse(email).map_err(refused("--email"))?,
        full_name: FullName::parse(name).map_err(refused("--name"))?,
        role,
        password: Password::parse(password).map_err(refused("password"))?,
    };
    let core = tool_core(settings).await?;
    // The same operation as `createUser`, by the operator who has the database.
    let user = users::create(&core, &Actor::operator(), input)
        .await
        .map_err(describe)?;
    println!(
        "created {} ({:?}) with id {}",
        user.email, user.role, user.id
    );
    Ok(())
}
