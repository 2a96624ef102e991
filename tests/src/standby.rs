//! A real streaming standby of the tests' PostgreSQL server, for the read-replica tests:
//! `pg_basebackup -R` of the running cluster into a temporary data directory, started by
//! `pg_ctl` on a free port. It replays every database of the primary, the tests' fresh ones
//! included, and is stopped (immediately) and removed when dropped.
//!
//! Needs the primary to accept replication connections from 127.0.0.1
//! (`tests/start-services.sh` adds the `pg_hba.conf` line) and the PostgreSQL server
//! binaries. As root, the server runs as the `postgres` user, as PostgreSQL requires.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::{Connection, PgConnection};

use crate::database::admin_url;

/// A running standby.
pub struct Standby {
    dir: tempfile::TempDir,
    pub port: u16,
    bin: PathBuf,
    running: bool,
}

impl Standby {
    /// Copies the primary with `pg_basebackup` and starts the copy as a hot standby.
    pub fn start() -> anyhow::Result<Self> {
        let bin = server_binaries()?;
        let admin: sqlx::postgres::PgConnectOptions =
            admin_url().parse().context("TEST_DATABASE_URL")?;
        let host = admin.get_host().to_owned();
        let primary_port = admin.get_port();
        let port = free_port()?;
        let dir = tempfile::Builder::new()
            .prefix("textisur-standby-")
            .tempdir()
            .context("standby directory")?;
        let data = dir.path().join("data");
        std::fs::create_dir(&data).context("standby data directory")?;
        chown_to_postgres(dir.path())?;
        run(as_postgres(&bin.join("pg_basebackup")).args([
            "-h",
            &host,
            "-p",
            &primary_port.to_string(),
            "-U",
            "postgres",
            "-D",
            path_str(&data)?,
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        ]))
        .context("pg_basebackup (does pg_hba.conf allow replication from 127.0.0.1? tests/start-services.sh adds it)")?;
        // The primary's limits that a standby must match or exceed.
        let limits = primary_limits(&host, primary_port)?;
        let socket_dir = dir.path().to_owned();
        let config = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             hot_standby = on\nfsync = off\nshared_buffers = 32MB\nlogging_collector = off\n\
             hba_file = '{}'\nident_file = '{}'\n{limits}",
            socket_dir.display(),
            data.join("pg_hba.conf").display(),
            data.join("pg_ident.conf").display(),
        );
        std::fs::write(data.join("postgresql.conf"), config).context("postgresql.conf")?;
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhost all all 127.0.0.1/32 trust\n",
        )
        .context("pg_hba.conf")?;
        std::fs::write(data.join("pg_ident.conf"), "").context("pg_ident.conf")?;
        chown_to_postgres(dir.path())?;
        // PostgreSQL refuses a data directory others may read.
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700))
            .context("chmod the standby's data directory")?;
        let log = dir.path().join("standby.log");
        run(as_postgres(&bin.join("pg_ctl")).args([
            "-D",
            path_str(&data)?,
            "-l",
            path_str(&log)?,
            "-w",
            "-t",
            "120",
            "start",
        ]))
        .with_context(|| {
            format!(
                "start the standby: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        })?;
        Ok(Self {
            dir,
            port,
            bin,
            running: true,
        })
    }

    /// The URL of `database` on the standby.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Waits until the standby has replayed the primary's WAL as written now, the creation
    /// of every database made so far included; fails after two minutes with what the
    /// standby says. The standby is a separate server with no drain step: this polls it.
    pub async fn catch_up(&self) -> anyhow::Result<()> {
        let mut primary = PgConnection::connect(&admin_url())
            .await
            .context("primary")?;
        let lsn: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
            .fetch_one(&mut primary)
            .await?;
        let mut standby = PgConnection::connect(&self.url("postgres"))
            .await
            .context("connect to the standby")?;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let replayed: bool = sqlx::query_scalar(
                "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)",
            )
            .bind(&lsn)
            .fetch_one(&mut standby)
            .await?;
            if replayed {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "the standby did not replay {lsn} in two minutes: {}",
                    self.diagnosis().await
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// What the standby says of its replication: its WAL receiver's state, the position it
    /// replayed, and the end of its log.
    pub async fn diagnosis(&self) -> String {
        let state = match PgConnection::connect(&self.url("postgres")).await {
            Ok(mut conn) => sqlx::query_as::<_, (Option<String>, Option<String>)>(
                "SELECT (SELECT status FROM pg_stat_wal_receiver),
                        pg_last_wal_replay_lsn()::text",
            )
            .fetch_one(&mut conn)
            .await
            .map_or_else(
                |e| e.to_string(),
                |(r, l)| format!("receiver {r:?}, replayed {l:?}"),
            ),
            Err(error) => format!("unreachable: {error}"),
        };
        let log = std::fs::read_to_string(self.dir.path().join("standby.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("{state}\n{}", tail.join("\n"))
    }

    /// Pauses WAL replay: the standby keeps what it has and falls behind every later write.
    pub fn pause_replay(&self) -> anyhow::Result<()> {
        self.sql("SELECT pg_wal_replay_pause()")
    }

    /// Resumes WAL replay.
    pub fn resume_replay(&self) -> anyhow::Result<()> {
        self.sql("SELECT pg_wal_replay_resume()")
    }

    /// Stops the standby at once (as a crash would).
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if !self.running {
            return Ok(());
        }
        self.running = false;
        let data = self.dir.path().join("data");
        run(as_postgres(&self.bin.join("pg_ctl")).args([
            "-D",
            path_str(&data)?,
            "-m",
            "immediate",
            "-w",
            "stop",
        ]))
    }

    fn sql(&self, statement: &str) -> anyhow::Result<()> {
        run(Command::new("psql").args([&self.url("postgres"), "-qAtc", statement]))
    }
}

impl Drop for Standby {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            eprintln!("stop standby: {error:#}");
        }
    }
}

/// The directory of `pg_ctl` and `pg_basebackup`: Debian's newest server, else `PATH`.
fn server_binaries() -> anyhow::Result<PathBuf> {
    let debian = Path::new("/usr/lib/postgresql");
    if let Ok(entries) = std::fs::read_dir(debian) {
        let mut versions: Vec<(u32, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let version = e.file_name().to_str()?.parse().ok()?;
                Some((version, e.path().join("bin")))
            })
            .filter(|(_, bin)| bin.join("pg_ctl").exists())
            .collect();
        versions.sort();
        if let Some((_, bin)) = versions.pop() {
            return Ok(bin);
        }
    }
    let output = Command::new("pg_config").arg("--bindir").output();
    match output {
        Ok(output) if output.status.success() => Ok(PathBuf::from(
            String::from_utf8_lossy(&output.stdout).trim(),
        )),
        _ => bail!("no PostgreSQL server binaries (pg_ctl) found"),
    }
}

/// `max_connections` and the other settings a hot standby may not set below its primary's.
fn primary_limits(host: &str, port: u16) -> anyhow::Result<String> {
    let output = Command::new("psql")
        .args([
            &format!("postgres://postgres@{host}:{port}/postgres"),
            "-qAtc",
            "SELECT string_agg(name || ' = ' || setting, E'\\n') FROM pg_settings WHERE name IN \
             ('max_connections', 'max_worker_processes', 'max_wal_senders', \
              'max_prepared_transactions', 'max_locks_per_transaction')",
        ])
        .output()
        .context("run psql")?;
    if !output.status.success() {
        bail!(
            "read the primary's settings: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whether this process runs as root (asked once).
fn is_root() -> bool {
    static ROOT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ROOT.get_or_init(|| {
        Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
    })
}

/// `program`, run as the `postgres` user when this process is root.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn chown_to_postgres(dir: &Path) -> anyhow::Result<()> {
    if is_root() {
        run(Command::new("chown").args(["-R", "postgres:postgres", path_str(dir)?]))?;
    }
    Ok(())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str().context("a path that is not UTF-8")
}

/// A port nothing listens on right now.
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("find a free port")?;
    Ok(listener.local_addr()?.port())
}
