//! Running the real `textisur` binary against a fresh database and index directory, for
//! tests of the process itself (signals, exit codes, two processes, a separate indexer).

use std::process::{Command, Output, Stdio};

use crate::database::FreshDatabase;

/// A database (dropped at the end) and an index directory (removed at the end) for runs
/// of the binary at `binary` (`env!("CARGO_BIN_EXE_textisur")` in the api's tests).
pub struct Scratch {
    pub database: FreshDatabase,
    pub url: String,
    pub index_dir: tempfile::TempDir,
    binary: &'static str,
}

impl Scratch {
    pub fn new(name: &str, binary: &'static str) -> Self {
        let database = FreshDatabase::named(name);
        Self {
            url: database.url.clone(),
            database,
            index_dir: tempfile::tempdir().expect("index dir"),
            binary,
        }
    }

    /// `textisur <args> --database-url URL [--index-dir DIR]`, quiet logs.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(self.binary);
        command
            .args(args)
            .args(["--database-url", &self.url])
            .env("RUST_LOG", "warn")
            .env_remove("TEXTISUR_INDEXER_CRASH")
            .stdin(Stdio::null());
        if args[0] != "seed" && args[0] != "migrate" {
            command.arg("--index-dir").arg(self.index_dir.path());
        }
        command
    }

    /// Runs a command to completion, capturing its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run textisur")
    }

    /// Runs a command that must succeed; returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "textisur {args:?}: {:?}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub async fn pool(&self) -> sqlx::PgPool {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(&self.url)
            .await
            .expect("connect scratch database")
    }
}
