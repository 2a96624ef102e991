//! Demo data: the `textisur-seed` crate's catalogue, with the accounts' password hashing.

use crate::runtime::db::Db;

pub use textisur_seed::{ADMIN_EMAIL, DEMO_PASSWORD, SeedPlan};

/// Whether the database holds no users and no products (the only state [`seed`] writes
/// into).
pub async fn catalogue_is_empty(db: &Db) -> anyhow::Result<bool> {
    textisur_seed::catalogue_is_empty(db.pool()).await
}

/// Writes the plan's demo data into an empty database.
pub async fn seed(db: &Db, plan: &SeedPlan, progress: bool) -> anyhow::Result<()> {
    let password_hash = crate::accounts::passwords::hash(&plan.password())
        .await
        .map_err(|e| anyhow::anyhow!("hash the demo password: {}", e.message()))?;
    textisur_seed::seed(db.pool(), plan, password_hash, progress).await
}
