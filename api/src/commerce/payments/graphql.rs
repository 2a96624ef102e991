//! GraphQL of payments: `payOrder` and `connectMercadoPago` (`Order.payment` is with the
//! order, through [`super::PaymentLoader`]).

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::{Payment, order_payment};
use crate::catalogue::stores::Store;
use crate::commerce::orders::graphql::visible_order;
use crate::graphql::context::RequestContext;
use crate::graphql::error::ApiError;
use crate::graphql::guards::SignedIn;
use crate::graphql::ids::{OrderId, StoreId};
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// Result of `payOrder`.
#[derive(SimpleObject, Default)]
pub struct PaymentPayload {
    /// The order's payment, with the link to pay it while it is pending; null with user
    /// errors.
    pub payment: Option<Payment>,
    /// Why there is no payment to make.
    pub user_errors: Vec<UserError>,
}

/// Result of `connectMercadoPago`.
#[derive(SimpleObject, Default)]
pub struct PaymentAccountPayload {
    /// Whether the store now takes payments online.
    pub connected: bool,
    /// Why the account was not connected.
    pub user_errors: Vec<UserError>,
}

/// Payment mutations.
#[derive(Default)]
pub struct PaymentMutations;

#[Object]
impl PaymentMutations {
    /// The payment of a pending order, with the link to pay it; made with the provider now
    /// if checkout could not make it (the provider was unreachable). The link works until
    /// the order's `paymentDueAt`.
    /// User errors: NOT_FOUND, INVALID_TRANSITION (the order is not pending), UNAVAILABLE
    /// (its store takes no online payment, or the provider is unreachable: try again).
    /// Restricted: the order's buyer.
    #[graphql(guard = "SignedIn")]
    async fn pay_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's global id.")] order_id: ID,
    ) -> Result<PaymentPayload> {
        let rc = RequestContext::of(ctx);
        let refuse = |code: UserErrorCode, message: String| PaymentPayload {
            payment: None,
            user_errors: vec![UserError::at(&["orderId"], code, message)],
        };
        let Ok(id) = OrderId::from_global(&order_id) else {
            return Ok(refuse(
                UserErrorCode::NotFound,
                crate::tr!("payment-order-not-found"),
            ));
        };
        let Some(order) = visible_order(rc, id).await? else {
            return Ok(refuse(
                UserErrorCode::NotFound,
                crate::tr!("payment-order-not-found"),
            ));
        };
        if rc.viewer.user_id() != Some(order.buyer_id) {
            return Err(ApiError::Forbidden(crate::tr!("payment-buyer-only")).into());
        }
        if let Some(existing) = order_payment(&rc.loaders, order.id).await? {
            return Ok(PaymentPayload {
                payment: Some(existing),
                user_errors: Vec::new(),
            });
        }
        if order.status != crate::commerce::orders::OrderStatus::Pending {
            return Ok(refuse(
                UserErrorCode::InvalidTransition,
                crate::tr!("payment-order-not-pending"),
            ));
        }
        let made = match &rc.commerce.payments {
            Some(payments) => {
                payments
                    .for_order(&rc.db, &order, rc.commerce.orders.commission_percent)
                    .await?
            }
            None => None,
        };
        Ok(match made {
            Some(row) => PaymentPayload {
                payment: Some(row.into()),
                user_errors: Vec::new(),
            },
            None => refuse(
                UserErrorCode::Unavailable,
                crate::tr!("payment-unavailable"),
            ),
        })
    }

    /// Connects a store's Mercado Pago account, so its orders are paid online with the
    /// store's seller as the collector (the marketplace keeps its commission). `code` is
    /// the authorization code Mercado Pago's OAuth page sent to `redirectUri`.
    /// User errors: NOT_FOUND, INVALID_TOKEN (a code the provider does not accept),
    /// UNAVAILABLE (online payments are off, or the provider is unreachable).
    /// Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn connect_mercado_pago(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The store's global id.")] store_id: ID,
        #[graphql(desc = "The authorization code from Mercado Pago's OAuth redirect.")]
        code: String,
        #[graphql(desc = "The redirect URI the authorization was asked with.")]
        redirect_uri: String,
    ) -> Result<PaymentAccountPayload> {
        let rc = RequestContext::of(ctx);
        let refuse = |path: &str, code: UserErrorCode, message: String| PaymentAccountPayload {
            connected: false,
            user_errors: vec![UserError::at(&[path], code, message)],
        };
        let store = match StoreId::from_global(&store_id) {
            Ok(id) => rc.loaders.by_id::<Store>().load_one(id).await?,
            Err(_) => None,
        };
        let Some(store) = store else {
            return Ok(refuse(
                "storeId",
                UserErrorCode::NotFound,
                crate::tr!("store-not-found"),
            ));
        };
        if !rc.viewer.is_self_or_admin(store.owner_id) {
            return Err(ApiError::Forbidden(crate::tr!("store-change-forbidden")).into());
        }
        let Some(payments) = &rc.commerce.payments else {
            return Ok(refuse(
                "storeId",
                UserErrorCode::Unavailable,
                crate::tr!("payment-unavailable"),
            ));
        };
        let account = match payments
            .provider
            .connect_seller(code.trim(), redirect_uri.trim())
            .await
        {
            Ok(Some(account)) => account,
            Ok(None) | Err(super::mercadopago::ProviderError::Refused { .. }) => {
                return Ok(refuse(
                    "code",
                    UserErrorCode::InvalidToken,
                    crate::tr!("payment-code-refused"),
                ));
            }
            Err(error) => {
                tracing::warn!(%error, "could not connect a Mercado Pago account");
                return Ok(refuse(
                    "storeId",
                    UserErrorCode::Unavailable,
                    crate::tr!("payment-unavailable"),
                ));
            }
        };
        let collector = super::mercadopago::id_text(&account.user_id);
        let taken = sqlx::query_scalar!(
            r#"INSERT INTO store_payment_accounts
                   (store_id, provider, collector_id, access_token, refresh_token)
               VALUES ($1, 'MERCADOPAGO', $2, $3, $4)
               ON CONFLICT (store_id) DO UPDATE
                   SET provider = 'MERCADOPAGO', collector_id = EXCLUDED.collector_id,
                       access_token = EXCLUDED.access_token,
                       refresh_token = EXCLUDED.refresh_token, connected_at = now()
               RETURNING store_id"#,
            store.id.0,
            collector,
            account.access_token,
            account.refresh_token
        )
        .fetch_one(rc.db.executor())
        .await;
        match taken {
            Ok(_) => Ok(PaymentAccountPayload {
                connected: true,
                user_errors: Vec::new(),
            }),
            // One provider account collects for one store.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(refuse(
                "code",
                UserErrorCode::Taken,
                crate::tr!("payment-account-taken"),
            )),
            Err(e) => Err(ApiError::from(e).into()),
        }
    }
}
