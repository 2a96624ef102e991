//! The `textisur` binary: parses configuration, starts logging and tracing and hands over to
//! the library.

use clap::Parser;
use textisur_api::{Cli, server, telemetry};

/// mimalloc instead of the system allocator: a request allocates and frees thousands of small
/// objects across threads, where glibc's malloc spent about 15 % of the server's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let telemetry = telemetry::init(cli.log_format, &cli.otlp())?;
    let result = server::run(cli.command).await;
    telemetry.shutdown().await;
    result
}
