//! Running the real `textisur` binary against a scratch database and index directory.

#![allow(dead_code)]

use std::process::{Command, Output, Stdio};

/// A database (dropped at the end) and an index directory (removed at the end).
pub struct Scratch {
    pub admin: String,
    pub database: String,
    pub url: String,
    pub index_dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new(name: &str) -> Self {
        let admin = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let database = format!("textisur_{name}_{}", std::process::id());
        let url = format!(
            "{}/{database}",
            admin
                .rsplit_once('/')
                .map_or(admin.as_str(), |(base, _)| base)
        );
        Self {
            admin,
            database,
            url,
            index_dir: tempfile::tempdir().expect("index dir"),
        }
    }

    /// `textisur <args> --database-url URL [--index-dir DIR]`, quiet logs.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_textisur"));
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

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                &self.admin,
                "-qc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
