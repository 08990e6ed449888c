use std::process::ExitCode;

use clap::Parser;
use leadscore::{cli, telemetry};

fn main() -> ExitCode {
    // `.env` fills the environment before any thread exists; real environment
    // variables win over it and flags win over both (clap reads the merged view).
    let _ = dotenvy::dotenv();
    let cli = cli::Cli::parse();
    telemetry::init(cli.settings.log_format);
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(cli::run(cli)),
        Err(err) => {
            eprintln!("leadscore: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}
