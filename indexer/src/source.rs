//! Which database an index directory was built from.
//!
//! Checkpoints are transaction ids, which mean nothing in another database cluster, and the
//! documents belong to one database. An index root records its source in a `SOURCE` file; a
//! root built from another database (a developer switching `DATABASE_URL`, a restored dump)
//! is rebuilt rather than served.

use std::path::Path;

use anyhow::Context;
use sqlx::PgPool;

const SOURCE: &str = "SOURCE";

/// The cluster's system identifier, the database's oid and its name.
pub async fn database_identity(pool: &PgPool) -> anyhow::Result<String> {
    sqlx::query_scalar!(
        r#"SELECT (SELECT system_identifier::text FROM pg_control_system())
                || ':' || oid::text || ':' || datname AS "identity!"
         FROM pg_database WHERE datname = current_database()"#
    )
    .fetch_one(pool)
    .await
    .context("read database identity")
}

/// The identity recorded in `root`, if any.
pub fn recorded_identity(root: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(root.join(SOURCE)) {
        Ok(text) => Ok(Some(text.trim().to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).context("read index SOURCE file"),
    }
}

/// Records `identity` in `root` (atomically: write, sync, rename).
pub fn record_identity(root: &Path, identity: &str) -> anyhow::Result<()> {
    let tmp = root.join(format!("{SOURCE}.tmp"));
    std::fs::write(&tmp, identity).context("write index SOURCE file")?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, root.join(SOURCE)).context("install index SOURCE file")?;
    Ok(())
}

const ROOT_ID: &str = "ROOT_ID";

/// The name of the index root at `root`, made (random) and recorded the first time: what
/// tells this replica's acknowledgement rows from every other replica's.
pub fn root_id(root: &Path) -> anyhow::Result<String> {
    match std::fs::read_to_string(root.join(ROOT_ID)) {
        Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).context("read index ROOT_ID file"),
    }
    let id = uuid::Uuid::new_v4().to_string();
    let tmp = root.join(format!("{ROOT_ID}.tmp"));
    std::fs::write(&tmp, &id).context("write index ROOT_ID file")?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, root.join(ROOT_ID)).context("install index ROOT_ID file")?;
    Ok(id)
}
