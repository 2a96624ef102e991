//! The `textisur` binary: parses configuration, starts logging and tracing and hands over to
//! the library.

use clap::Parser;
use textisur_api::Cli;
use textisur_api::runtime::{server, telemetry};

/// mimalloc instead of the system allocator: a request allocates and frees thousands of small
/// objects across threads, where glibc's malloc spent about 15 % of the server's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match telemetry::init(cli.log_format, &cli.otlp()) {
        Ok(telemetry) => {
            let result = server::run(cli.command).await;
            telemetry.shutdown().await;
            result
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // One line with every cause, whatever RUST_BACKTRACE says: an operator reads it
            // in a crash-looping container's last log line.
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
