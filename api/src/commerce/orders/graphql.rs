//! GraphQL of orders: the `Order` type, `order(id)`, order pages, checkout and status moves.
//!
//! An order is visible to its buyer, the seller of its store and admins; to anyone else it
//! is `null` with a `FORBIDDEN` error, as API.md asks of fields a caller may not see.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::checkout::{self, DeliveryChoice};
use super::db::{self, ChangeRefused, OrderCursor, OrderOwner};
use super::{
    Actor, ChangeReason, Order, OrderLine, OrderStatus, Party, StatusChange, next_statuses,
};
use crate::accounts::users::{User, UserRole};
use crate::catalogue::products::{Money, Product, ProductUnit};
use crate::catalogue::stores::Store;
use crate::commerce::addresses::Address;
use crate::commerce::orders::db::OrderHistoryLoader;
use crate::commerce::orders::db::OrderLinesLoader;
use crate::commerce::shipping::ShippingKind;
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::guards::SignedIn;
use crate::graphql::ids::{NodeKind, OrderId, StoreId, decode_row};
use crate::graphql::pagination::{Connection, Page, Paged, Total, decode_cursor, page_size};
use crate::graphql::user_errors::{UserError, UserErrorCode};
use crate::graphql::viewer::Viewer;

/// The actor a signed-in viewer is; `None` for anonymous callers.
fn actor(viewer: &Viewer) -> Option<Actor> {
    match *viewer {
        Viewer::User { id, role, .. } => Some(Actor::User { id, role }),
        Viewer::Anonymous => None,
    }
}

/// How the caller relates to `order`, if at all.
async fn party(rc: &RequestContext, order: &Order) -> ApiResult<Option<Party>> {
    let Some(actor) = actor(&rc.viewer) else {
        return Ok(None);
    };
    let Some(store) = rc.loaders.by_id::<Store>().load_one(order.store_id).await? else {
        return Ok(None);
    };
    Ok(actor.party(order, store.owner_id))
}

/// The order if the caller may see it: `None` when there is none, `FORBIDDEN` when it is
/// someone else's.
pub async fn visible_order(rc: &RequestContext, id: OrderId) -> ApiResult<Option<Order>> {
    let Some(order) = rc.loaders.by_id::<Order>().load_one(id).await? else {
        return Ok(None);
    };
    match party(rc, &order).await? {
        Some(_) => Ok(Some(order)),
        None => Err(ApiError::Forbidden(crate::tr!("order-forbidden"))),
    }
}

/// What a buyer bought from one store at checkout: its lines, total and status. Visible
/// to its buyer, the store's seller and admins.
#[Object]
impl Order {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        self.id.to_global()
    }

    /// The number shown to people (`TS-100001`).
    async fn number(&self) -> &str {
        &self.number
    }

    /// Where the order stands now.
    async fn status(&self) -> OrderStatus {
        self.status
    }

    /// The statuses the caller may move this order to now.
    async fn next_statuses(&self, ctx: &Context<'_>) -> Result<Vec<OrderStatus>> {
        let rc = RequestContext::of(ctx);
        Ok(match party(rc, self).await? {
            Some(party) => next_statuses(party, self.status),
            None => Vec::new(),
        })
    }

    /// Who bought it (anonymised if they deleted their account).
    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .by_id::<User>()
            .load_one(self.buyer_id)
            .await?)
    }

    /// The store it was bought from.
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .by_id::<Store>()
            .load_one(self.store_id)
            .await?)
    }

    /// What was bought, one line per product, in product id order.
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<OrderLine>> {
        let rc = RequestContext::of(ctx);
        let lines = rc
            .loaders
            .get::<OrderLinesLoader>()
            .load_one(self.id)
            .await?;
        Ok(lines.unwrap_or_default())
    }

    /// What the buyer pays, in the store's currency: `subtotal` plus `shipping`'s price,
    /// taxes included.
    async fn total(&self) -> Money {
        Money::in_currency(self.total, &self.currency_code)
    }

    /// The sum of the line totals.
    async fn subtotal(&self) -> Money {
        Money::in_currency(self.subtotal, &self.currency_code)
    }

    /// The value-added tax `total` includes (IVA 21 % in Argentina, 19 % in Chile, 22 % in
    /// Uruguay, 10 % in Paraguay, IGV 18 % in Peru), rounded by the currency's rules; null
    /// for orders placed before it was recorded.
    async fn tax_included(&self) -> Option<Money> {
        self.tax_included
            .map(|amount| Money::in_currency(amount, &self.currency_code))
    }

    /// How the order is delivered, as chosen at checkout (a copy: later changes to the
    /// option or the address do not show here); null when the store offered no option and
    /// delivery is arranged with it.
    async fn shipping(&self) -> Option<OrderShipping> {
        let kind = ShippingKind::parse(self.shipping_kind.as_deref()?)?;
        let delivery = self.delivery_address.as_ref().map(|d| (*d.0).clone());
        Some(OrderShipping {
            kind,
            name: self.shipping_name.clone().unwrap_or_default(),
            price: Money::in_currency(self.shipping_price, &self.currency_code),
            estimated_days: self.shipping_max_days.unwrap_or_default(),
            address: delivery.as_ref().and_then(|d| d.address.clone()),
            pickup_address: delivery.as_ref().and_then(|d| d.pickup_address.clone()),
            pickup_hours: delivery.and_then(|d| d.pickup_hours),
        })
    }

    /// Every status the order went through, oldest first, with who moved it and when.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<StatusChange>> {
        let rc = RequestContext::of(ctx);
        let history = rc
            .loaders
            .get::<OrderHistoryLoader>()
            .load_one(self.id)
            .await?;
        Ok(history.unwrap_or_default())
    }

    /// How the order is paid online: the provider's link and reference, and where the
    /// payment stands; null when its store takes no online payment (an admin confirms the
    /// payment by hand) or no link could be made yet (`payOrder` makes it).
    async fn payment(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::commerce::payments::Payment>> {
        Ok(
            crate::commerce::payments::order_payment(&RequestContext::of(ctx).loaders, self.id)
                .await?,
        )
    }

    /// While the order is PENDING: when it is cancelled, and its stock put back, unless it
    /// is paid by then. Null once it left PENDING, and for orders placed without a
    /// deadline.
    async fn payment_due_at(&self) -> Option<DateTime<Utc>> {
        self.payment_due_at
            .filter(|_| self.status == OrderStatus::Pending)
    }

    /// When the order was placed (at checkout).
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// When the status last changed (the checkout time until then).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

/// One product of an order, as it was bought: a copy that later changes to the product do
/// not touch.
#[Object]
impl OrderLine {
    /// The product as it is now (null if it no longer exists).
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .by_id::<Product>()
            .load_one(self.product_id)
            .await?)
    }

    /// The product's name when it was bought.
    async fn product_name(&self) -> &str {
        &self.product_name
    }

    /// The variant bought, as it is now (null if the caller may no longer see it).
    async fn variant(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::catalogue::variants::graphql::ProductVariant>> {
        Ok(crate::catalogue::variants::graphql::visible_variant(
            RequestContext::of(ctx),
            self.variant_id,
        )
        .await?)
    }

    /// The variant's SKU (or its product's) when it was bought.
    async fn sku(&self) -> Option<&str> {
        self.sku.as_deref()
    }

    /// The variant's option values when it was bought (`Talle: M`); empty for a product
    /// without options.
    async fn options(&self) -> Vec<crate::catalogue::variants::graphql::SelectedOption> {
        self.options
            .iter()
            .map(|o| crate::catalogue::variants::graphql::SelectedOption {
                name: o.name.clone(),
                value: o.value.clone(),
            })
            .collect()
    }

    /// The unit the product was sold in when it was bought.
    async fn unit(&self) -> ProductUnit {
        self.unit
    }

    /// How much was bought, in `unit` (pieces, metres or kilograms).
    async fn quantity(&self) -> Decimal {
        self.quantity.normalize()
    }

    /// The price paid per unit.
    async fn unit_price(&self, ctx: &Context<'_>) -> Result<Money> {
        Ok(money(ctx, self.order_id, self.unit_price).await?)
    }

    /// `quantity` times `unitPrice`, rounded to 2 decimals (halves away from zero), in the
    /// store's currency.
    async fn line_total(&self, ctx: &Context<'_>) -> Result<Money> {
        Ok(money(ctx, self.order_id, self.line_total).await?)
    }
}

async fn money(ctx: &Context<'_>, order: OrderId, amount: Decimal) -> ApiResult<Money> {
    let rc = RequestContext::of(ctx);
    let currency_code = match rc.loaders.by_id::<Order>().load_one(order).await? {
        Some(order) => order.currency_code,
        None => return Err(ApiError::Internal("order line without its order".into())),
    };
    Ok(Money {
        amount,
        currency_code,
    })
}

/// One step of an order's history.
#[Object(name = "OrderStatusChange")]
impl StatusChange {
    /// The status the order entered (PENDING for the first step, at checkout).
    async fn status(&self) -> OrderStatus {
        self.status
    }

    /// When the order entered it.
    async fn at(&self) -> DateTime<Utc> {
        self.changed_at
    }

    /// Why, when the mover alone does not say it: `PAYMENT_EXPIRED` for an order the
    /// marketplace cancelled because its payment did not arrive in time. Null otherwise.
    async fn reason(&self) -> Option<ChangeReason> {
        self.reason
    }

    /// Who made the change; null when the marketplace did (a payment confirmation, or an
    /// administrator, whom only administrators see named).
    async fn by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(user) = self.changed_by else {
            return Ok(None);
        };
        let request = RequestContext::of(ctx);
        let Some(user) = request.loaders.by_id::<User>().load_one(user).await? else {
            return Ok(None);
        };
        // Admins confirm payments now that sellers may not: naming them would hand every
        // buyer and seller an administrator's id to aim at.
        if user.role == UserRole::Admin && !request.viewer.is_self_or_admin(user.id) {
            return Ok(None);
        }
        Ok(Some(user))
    }
}

/// A page of orders, newest first.
pub type OrderConnection = Connection<Order, OrderOwner>;

impl OrderConnection {
    /// Fetches a page of `owner`'s orders.
    pub async fn fetch(
        rc: &RequestContext,
        owner: OrderOwner,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Self> {
        let first = page_size(first)?;
        let cursor: Option<OrderCursor> = after.as_deref().map(decode_cursor).transpose()?;
        let rows = db::page(&rc.db, owner, first, cursor).await?;
        for order in &rows {
            rc.loaders
                .by_id::<Order>()
                .feed_one(order.id, order.clone())
                .await;
        }
        let page = Page::from_overfetch(rows, first, cursor.is_some());
        Ok(Connection::new(page, owner))
    }
}

impl Paged for Order {
    type Key = OrderCursor;

    /// The keyset position of this order in a newest-first page.
    fn cursor_key(&self) -> OrderCursor {
        (self.created_at, self.id)
    }
}

/// `totalCount`: every order of the list (the buyer's, or the store's), in any status.
impl Total for OrderOwner {
    async fn total(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        db::count(&RequestContext::of(ctx).db, *self).await
    }
}

/// Order root fields.
#[derive(Default)]
pub struct OrderQueries;

#[Object]
impl OrderQueries {
    /// An order. Restricted: its buyer, its store's seller and admins.
    async fn order(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The order's global id; null comes back when there is no such order or the id is not an order's."
        )]
        id: ID,
    ) -> Result<Option<Order>> {
        let rc = RequestContext::of(ctx);
        let Ok(id) = OrderId::from_global(&id) else {
            return Ok(None);
        };
        Ok(visible_order(rc, id).await?)
    }
}

/// Result of `checkout`: one order per store of the cart.
#[derive(SimpleObject, Default)]
pub struct CheckoutPayload {
    /// The orders placed, one per store, in store id order; empty when there are user
    /// errors.
    pub orders: Vec<Order>,
    /// How to pay, when the checkout made one order and its store takes online payments:
    /// the link the buyer pays the order at. A checkout of several stores makes one order
    /// (and one payment) per store, each in its order's `payment`; this is then null.
    pub payment: Option<crate::commerce::payments::Payment>,
    /// The caller's cart after checkout: emptied of what was ordered (same `id`, so client
    /// caches update the cart they show). Null when there are user errors.
    pub cart: Option<crate::commerce::carts::graphql::Cart>,
    /// Why nothing was ordered: several may come at once, one per cart line that cannot be
    /// bought as it is; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of the order status mutations.
#[derive(SimpleObject, Default)]
pub struct OrderPayload {
    /// The order in its new status; null when there are user errors.
    pub order: Option<Order>,
    /// Why the status did not change; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Checkout and order status mutations.
#[derive(Default)]
pub struct OrderMutations;

async fn change(rc: &RequestContext, order_id: &ID, to: OrderStatus) -> Result<OrderPayload> {
    let not_found = || OrderPayload {
        order: None,
        user_errors: vec![UserError::at(
            &["orderId"],
            UserErrorCode::NotFound,
            crate::tr!("order-not-found"),
        )],
    };
    let (Some(actor), Ok(id)) = (actor(&rc.viewer), OrderId::from_global(order_id)) else {
        return Ok(not_found());
    };
    match db::change_status(&rc.db, id, to, actor, rc.commerce.orders.commission_percent).await? {
        Ok(order) => {
            // A paid order cancelled owes its payment back: issued now, after the move
            // committed; when the provider does not take it, the payment shows
            // REFUND_PENDING and the worker retries.
            if to == OrderStatus::Cancelled
                && let Some(payments) = &rc.commerce.payments
            {
                payments.refund(&rc.db, order.id).await?;
            }
            Ok(OrderPayload {
                order: Some(order),
                user_errors: Vec::new(),
            })
        }
        Err(ChangeRefused::NotFound) => Ok(not_found()),
        Err(ChangeRefused::Forbidden) => Err(ApiError::Forbidden(crate::tr!(
            "order-move-forbidden",
            status = status_name(to)
        ))
        .into()),
        Err(ChangeRefused::InvalidTransition(from)) => Ok(OrderPayload {
            order: None,
            user_errors: vec![UserError::at(
                &["status"],
                UserErrorCode::InvalidTransition,
                crate::tr!(
                    "order-invalid-transition",
                    from = status_name(from),
                    to = status_name(to),
                ),
            )],
        }),
    }
}

fn status_name(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Pending => "PENDING",
        OrderStatus::Paid => "PAID",
        OrderStatus::Shipped => "SHIPPED",
        OrderStatus::Delivered => "DELIVERED",
        OrderStatus::Cancelled => "CANCELLED",
    }
}

/// How an order is delivered: a copy of the option and the address at checkout.
#[derive(SimpleObject, Clone, Debug)]
pub struct OrderShipping {
    /// Pickup, local delivery or courier.
    pub kind: ShippingKind,
    /// The option's name at checkout.
    pub name: String,
    /// What delivery costs (included in `Order.total`).
    pub price: Money,
    /// Working days until delivery, at most, as estimated at checkout.
    pub estimated_days: i32,
    /// Where it goes: the buyer's address as it was at checkout; null for pickup.
    pub address: Option<Address>,
    /// Pickup: where to pick it up.
    pub pickup_address: Option<String>,
    /// Pickup: when.
    pub pickup_hours: Option<String>,
}

/// Most entries of checkout's `delivery`.
const MAX_DELIVERIES: usize = 20;

/// How one store of the cart delivers.
#[derive(InputObject, Debug)]
pub struct CheckoutDeliveryInput {
    /// The store (of a product in the cart).
    pub store_id: ID,
    /// One of the store's active shipping options (`Store.shippingOptions`).
    pub shipping_option_id: ID,
    /// One of the caller's addresses (`User.addresses`) the option reaches; not needed
    /// for pickup.
    pub address_id: Option<ID>,
}

#[Object]
impl OrderMutations {
    /// Turns the caller's cart into one order per store, taking the stock. Retry-safe: the
    /// same key returns the same orders; a different cart under a used key is a user error.
    /// A line from a store the caller runs is refused (`OWN_STORE`), and so is one the
    /// product's current status, minimum, step or stock no longer allows.
    /// Each order must be paid before its `paymentDueAt`, or the marketplace cancels it and
    /// puts its stock back; a buyer may hold only a few unpaid orders at once (5 by default),
    /// and a checkout that would make more is `LIMIT_REACHED`.
    /// User errors: INVALID, OUT_OF_RANGE, NOT_MULTIPLE, UNAVAILABLE, INSUFFICIENT_STOCK, CART_EMPTY, IDEMPOTENCY_KEY_REUSED, OWN_STORE, LIMIT_REACHED.
    /// Restricted: signed-in users.
    #[graphql(guard = "SignedIn")]
    async fn checkout(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A key the client makes up per checkout attempt and reuses on retries (a UUID, say): 8 to 128 characters, no control characters."
        )]
        idempotency_key: String,
        #[graphql(
            desc = "How each store of the cart delivers: one entry per store that offers shipping options (`Store.shippingOptions`); a store without options needs none. At most 20."
        )]
        delivery: Option<Vec<CheckoutDeliveryInput>>,
    ) -> Result<CheckoutPayload> {
        let rc = RequestContext::of(ctx);
        let buyer = rc.viewer.user_id().ok_or(ApiError::Unauthenticated)?;
        let delivery = delivery.unwrap_or_default();
        if delivery.len() > MAX_DELIVERIES {
            return Err(ApiError::bad_input(crate::tr!(
                "checkout-delivery-too-many",
                max = MAX_DELIVERIES
            ))
            .into());
        }
        let delivery: Vec<DeliveryChoice> = delivery
            .iter()
            .enumerate()
            .map(|(index, d)| DeliveryChoice {
                // An id of the wrong kind names nothing: the checks below say so.
                store: StoreId::from_global(&d.store_id).unwrap_or(StoreId(0)),
                option: decode_row(&d.shipping_option_id, NodeKind::ShippingOption).unwrap_or(0),
                address: d
                    .address_id
                    .as_ref()
                    .map(|a| decode_row(a, NodeKind::Address).unwrap_or(0)),
                index,
            })
            .collect();
        Ok(
            match checkout::checkout(
                &rc.db,
                buyer,
                &idempotency_key,
                &rc.commerce.orders,
                &delivery,
            )
            .await?
            {
                Ok(orders) => {
                    // After the orders committed: the provider is never waited on inside
                    // checkout's transaction, and an order whose link could not be made
                    // gets it from `payOrder`.
                    let mut payments = Vec::with_capacity(orders.len());
                    if let Some(provider) = &rc.commerce.payments {
                        for order in &orders {
                            payments.push(
                                provider
                                    .for_order(&rc.db, order, rc.commerce.orders.commission_percent)
                                    .await?,
                            );
                        }
                    }
                    // The buyer's "order placed" mails waited for these links.
                    let ids: Vec<_> = orders.iter().map(|o| o.id).collect();
                    super::mail::release_placed(&rc.db, &ids).await?;
                    rc.auth.mailer.wake();
                    let payment = match payments.as_slice() {
                        [Some(only)] if orders.len() == 1 => Some(only.clone().into()),
                        _ => None,
                    };
                    CheckoutPayload {
                        orders,
                        payment,
                        cart: Some(crate::commerce::carts::graphql::Cart::load(rc, buyer).await?),
                        user_errors: Vec::new(),
                    }
                }
                Err(user_errors) => CheckoutPayload {
                    orders: Vec::new(),
                    payment: None,
                    cart: None,
                    user_errors,
                },
            },
        )
    }

    /// Moves an order along PENDING -> PAID -> SHIPPED -> DELIVERED, or to CANCELLED from
    /// PENDING or PAID (which puts its stock back). A move that does not exist from the
    /// current status is `INVALID_TRANSITION`; one that exists but is not the caller's to
    /// make is a `FORBIDDEN` error.
    /// User errors: NOT_FOUND, INVALID_TRANSITION.
    /// Restricted: only the payment flow and admins mark an order PAID (the history records
    /// which admin); the store's seller (and admins) ship and deliver it; the buyer may
    /// only cancel a pending order.
    #[graphql(guard = "SignedIn")]
    async fn update_order_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's global id.")] order_id: ID,
        #[graphql(desc = "The status to move the order to.")] status: OrderStatus,
    ) -> Result<OrderPayload> {
        change(RequestContext::of(ctx), &order_id, status).await
    }

    /// Cancels an order and puts its stock back; shipped, delivered and cancelled orders
    /// cannot be (`INVALID_TRANSITION`).
    /// User errors: NOT_FOUND, INVALID_TRANSITION.
    /// Restricted: the buyer while it is pending; the store's seller while it is pending or
    /// paid; admins.
    #[graphql(guard = "SignedIn")]
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's global id.")] order_id: ID,
    ) -> Result<OrderPayload> {
        change(RequestContext::of(ctx), &order_id, OrderStatus::Cancelled).await
    }
}
