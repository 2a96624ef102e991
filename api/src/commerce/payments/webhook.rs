//! `POST /webhooks/mercadopago`: the provider says a payment changed. What it says is only
//! a hint: the signature is checked first (401 when it does not verify or is stale), then
//! the payment is read from the provider's API with the seller's token, and only a payment
//! the API calls approved, for the order's exact amount and currency, moves the order to
//! PAID (as [`Actor::System`]).
//!
//! Every answer is idempotent: the payment row and the order are locked and moved only
//! forward, so a replay, a duplicate or an older notification arriving late changes
//! nothing. Answers the provider should retry are non-2xx: 404 when the order is not (yet)
//! there, 502 when the provider's API could not be read.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::mercadopago::{ProviderError, ProviderPayment, id_text, verify_signature};
use super::{PaymentStatus, Payments};
use crate::commerce::orders::db::query_orders;
use crate::commerce::orders::{Actor, OrderStatus};
use crate::graphql::ids::{OrderId, StoreId};
use crate::runtime::db::Db;

/// The notification's URL parameters (`?data.id=123&type=payment`).
#[derive(Debug, Default, Deserialize)]
pub struct NotificationParams {
    #[serde(rename = "data.id")]
    data_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// The older IPN form of the same (`?id=123&topic=payment`).
    id: Option<String>,
    topic: Option<String>,
}

/// The parts of the notification's body that are read (everything else is ignored).
#[derive(Debug, Default, Deserialize)]
struct NotificationBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    /// The account the notification is about: the seller who collects.
    user_id: Option<serde_json::Value>,
}

fn answer(status: StatusCode, outcome: &'static str) -> Response {
    metrics::counter!("textisur_payment_webhooks_total", "outcome" => outcome).increment(1);
    (status, axum::Json(json!({ "outcome": outcome }))).into_response()
}

/// Answers one notification (the HTTP route is `runtime::http`'s); `None` for `payments`
/// when no provider is configured.
pub async fn receive(
    db: &Db,
    payments: Option<&Payments>,
    default_commission: rust_decimal::Decimal,
    params: NotificationParams,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let Some(payments) = payments else {
        return answer(StatusCode::NOT_FOUND, "payments_off");
    };
    let config = &payments.provider.config;
    let Some(data_id) = params.data_id.clone().or(params.id.clone()) else {
        return answer(StatusCode::BAD_REQUEST, "no_data_id");
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(error) = verify_signature(
        &config.webhook_secret.0,
        header("x-signature"),
        &data_id,
        header("x-request-id"),
        chrono::Utc::now(),
        config.signature_tolerance,
    ) {
        tracing::warn!(%error, "refused a Mercado Pago webhook");
        return answer(StatusCode::UNAUTHORIZED, "bad_signature");
    }
    let body: NotificationBody = serde_json::from_slice(body).unwrap_or_default();
    let kind = params
        .kind
        .as_deref()
        .or(params.topic.as_deref())
        .or(body.kind.as_deref());
    if kind != Some("payment") {
        return answer(StatusCode::OK, "ignored_kind");
    }
    let Some(collector) = body.user_id.as_ref().map(id_text) else {
        return answer(StatusCode::OK, "no_collector");
    };
    let account = sqlx::query!(
        r#"SELECT store_id AS "store_id: StoreId", access_token FROM store_payment_accounts
           WHERE provider = 'MERCADOPAGO' AND collector_id = $1"#,
        collector
    )
    .fetch_optional(db.executor())
    .await;
    let account = match account {
        Ok(Some(account)) => account,
        Ok(None) => {
            tracing::warn!(%collector, "a webhook for an account no store connected");
            return answer(StatusCode::OK, "unknown_collector");
        }
        Err(error) => {
            tracing::error!(%error, "could not read payment accounts");
            return answer(StatusCode::SERVICE_UNAVAILABLE, "database");
        }
    };
    let payment = match payments
        .provider
        .payment(&account.access_token, &data_id)
        .await
    {
        Ok(Some(payment)) => payment,
        Ok(None) => return answer(StatusCode::NOT_FOUND, "unknown_payment"),
        Err(error @ ProviderError::Unavailable(_)) => {
            tracing::warn!(%error, "could not read a payment");
            return answer(StatusCode::BAD_GATEWAY, "provider_unavailable");
        }
        Err(error) => {
            tracing::warn!(%error, "the provider refused to show a payment");
            return answer(StatusCode::BAD_GATEWAY, "provider_refused");
        }
    };
    match apply(db, account.store_id, &payment, default_commission).await {
        Ok(Applied::Answer(outcome)) => outcome,
        Ok(Applied::RefundOwed(order)) => {
            // Issued now; refused or failed, it stays REFUND_PENDING for the commerce
            // worker's retries.
            if let Err(error) = payments.refund(db, order).await {
                tracing::warn!(?error, "a late payment's refund waits for a retry");
            }
            answer(StatusCode::OK, "refund_owed")
        }
        Err(error) => {
            tracing::error!(?error, "could not apply a payment");
            answer(StatusCode::SERVICE_UNAVAILABLE, "database")
        }
    }
}

/// What applying a payment came to.
enum Applied {
    /// The answer to the provider.
    Answer(Response),
    /// The payment arrived for an order cancelled before it was paid (its deadline passed):
    /// it is recorded `REFUND_PENDING`, to be given back.
    RefundOwed(OrderId),
}

/// Moves the order and its payment as the provider's `payment` says, forward only.
async fn apply(
    db: &Db,
    store: StoreId,
    payment: &ProviderPayment,
    default_commission: rust_decimal::Decimal,
) -> Result<Applied, crate::graphql::error::ApiError> {
    let reply = |status, outcome| Applied::Answer(answer(status, outcome));
    let Some(reference) = payment.external_reference.as_deref() else {
        return Ok(reply(StatusCode::OK, "no_reference"));
    };
    let payment_id = id_text(&payment.id);
    let mut tx = db.begin().await?;
    // The order of the store whose seller collected: a payment to one seller never pays
    // another store's order.
    let order = query_orders!(
        "SELECT",
        "FROM orders WHERE number = $1 AND store_id = $2 FOR UPDATE",
        reference,
        store.0
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(order) = order else {
        // Not committed yet, or not this store's: the provider retries later.
        return Ok(reply(StatusCode::NOT_FOUND, "unknown_order"));
    };
    let row = sqlx::query!(
        r#"SELECT payment_id, status AS "status: PaymentStatus" FROM payments
           WHERE order_id = $1 FOR UPDATE"#,
        order.id.0
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        tracing::error!(order = %order.number, "a payment for an order without a payment link");
        return Ok(reply(StatusCode::OK, "no_preference"));
    };
    if payment.transaction_amount != order.total || payment.currency_id != order.currency_code {
        tracing::warn!(
            order = %order.number,
            amount = %payment.transaction_amount,
            currency = %payment.currency_id,
            "a payment that does not match its order's total"
        );
        return Ok(reply(StatusCode::OK, "amount_mismatch"));
    }
    // Paid, or paid and owed back: a replayed "approved" changes nothing.
    let settled = matches!(
        row.status,
        PaymentStatus::Approved | PaymentStatus::RefundPending | PaymentStatus::Refunded
    );
    match payment.status.as_str() {
        "approved" if settled => {
            if row.payment_id.as_deref() != Some(payment_id.as_str()) {
                // A second payment for a paid order: it is owed back (refunds are not
                // issued automatically yet).
                tracing::error!(order = %order.number, %payment_id, "an order paid twice");
                return Ok(reply(StatusCode::OK, "paid_twice"));
            }
            Ok(reply(StatusCode::OK, "already_applied"))
        }
        "approved" if order.status == OrderStatus::Cancelled => {
            // Cancelled (its deadline passed) before the payment arrived: the money is
            // owed back, and the caller gives it back.
            tracing::warn!(order = %order.number, status = ?order.status, "a payment for an order no longer pending is refunded");
            sqlx::query!(
                "UPDATE payments SET payment_id = $2, status = 'REFUND_PENDING', updated_at = now()
                 WHERE order_id = $1",
                order.id.0,
                payment_id
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Applied::RefundOwed(order.id))
        }
        "approved" => {
            sqlx::query!(
                "UPDATE payments SET payment_id = $2, status = 'APPROVED', updated_at = now()
                 WHERE order_id = $1",
                order.id.0,
                payment_id
            )
            .execute(&mut *tx)
            .await?;
            if order.status == OrderStatus::Pending {
                let moved = crate::commerce::orders::db::apply_move(
                    &mut tx,
                    &order,
                    OrderStatus::Paid,
                    Actor::System,
                    None,
                )
                .await?;
                if let Err(refused) = moved {
                    tracing::error!(order = %order.number, ?refused, "a paid order could not move");
                    return Ok(reply(StatusCode::SERVICE_UNAVAILABLE, "not_moved"));
                }
                crate::commerce::ledger::record_sale(&mut tx, order.id, default_commission).await?;
            } else {
                // An admin confirmed the payment by hand first: the sale is recorded already.
                tracing::warn!(order = %order.number, status = ?order.status, "a payment for an order already marked paid");
            }
            tx.commit().await?;
            metrics::counter!("textisur_orders_paid_total").increment(1);
            Ok(reply(StatusCode::OK, "paid"))
        }
        "rejected" | "cancelled" if !settled => {
            let changed = sqlx::query!(
                "UPDATE payments SET status = 'REJECTED', updated_at = now()
                 WHERE order_id = $1 AND status = 'PENDING'",
                order.id.0
            )
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed > 0 {
                // The buyer's app hears that the attempt failed (and may pay again).
                crate::runtime::events::notify(
                    &mut tx,
                    &crate::runtime::events::Event::OrderUpdated {
                        order_id: order.id,
                        buyer_id: order.buyer_id,
                        store_id: order.store_id,
                    },
                )
                .await?;
            }
            tx.commit().await?;
            Ok(reply(StatusCode::OK, "rejected"))
        }
        _ => Ok(reply(StatusCode::OK, "no_change")),
    }
}
