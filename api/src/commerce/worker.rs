//! The buying side's background work, in every server process: every `sweep_every`, cancel
//! the unpaid orders past their deadline ([`super::orders::expiry`]) and issue the refunds
//! still owed ([`super::payments::Payments::retry_refunds`]). Both are safe with several
//! processes at once; errors are logged and the next tick tries again.

use super::Commerce;
use crate::runtime::db::Db;

/// Runs until the task is aborted.
pub async fn run(db: Db, commerce: Commerce) {
    let mut ticks = tokio::time::interval(commerce.orders.sweep_every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = super::orders::expiry::expire_due(&db).await {
            tracing::warn!(?error, "could not sweep unpaid orders");
        }
        if let Some(payments) = &commerce.payments
            && let Err(error) = payments.retry_refunds(&db).await
        {
            tracing::warn!(?error, "could not retry refunds");
        }
    }
}
