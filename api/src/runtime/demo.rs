//! Demo data: the `textisur-seed` crate's catalogue, with the accounts' password hashing.

use crate::runtime::db::Db;

pub use textisur_seed::{ADMIN_EMAIL, DEMO_PASSWORD, SeedPlan};

/// Whether the database holds no users and no products (the only state [`seed`] writes
/// into).
pub async fn catalogue_is_empty(db: &Db) -> anyhow::Result<bool> {
    textisur_seed::catalogue_is_empty(db.pool()).await
}

/// Seeds the plan's demo data when the catalogue is empty, under a PostgreSQL advisory lock:
/// replicas started together on a new database seed it once, and the others find it full.
/// Whether this call seeded.
pub async fn seed_if_empty(db: &Db, plan: &SeedPlan) -> anyhow::Result<bool> {
    /// The lock's key: "textisur" in ASCII, a number no other lock of this database uses.
    const SEED_LOCK: i64 = 0x7465_7874_6973_7572;
    let mut holder = db.pool().acquire().await?;
    sqlx::query!("SELECT pg_advisory_lock($1)", SEED_LOCK)
        .execute(&mut *holder)
        .await?;
    let seeded = async {
        if !catalogue_is_empty(db).await? {
            return anyhow::Ok(false);
        }
        tracing::info!(
            products = plan.products,
            "empty database: seeding demo data"
        );
        seed(db, plan, true).await?;
        Ok(true)
    }
    .await;
    sqlx::query_scalar!("SELECT pg_advisory_unlock($1)", SEED_LOCK)
        .fetch_one(&mut *holder)
        .await?;
    seeded
}

/// Writes the plan's demo data into an empty database.
pub async fn seed(db: &Db, plan: &SeedPlan, progress: bool) -> anyhow::Result<()> {
    let password_hash = crate::accounts::passwords::hash(&plan.password())
        .await
        .map_err(|e| anyhow::anyhow!("hash the demo password: {}", e.message()))?;
    textisur_seed::seed(db.pool(), plan, password_hash, progress).await
}
