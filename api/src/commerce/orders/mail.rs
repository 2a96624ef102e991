//! Order mails: what buyers and sellers are told when an order is placed, paid, shipped,
//! cancelled or refunded, in Spanish, as plain text and HTML.
//!
//! Key rule: the news is queued in `mail_outbox` in the transaction of the change it tells
//! of ([`queue`]), so no mail goes out for a change that rolled back and none is lost for one
//! that committed; the outbox's sender (`runtime::mail`) delivers it, retrying with backoff,
//! while checkout never waits for a mail server. The row names only the order and the news;
//! the mail is rendered from the order when it is sent ([`render`]), through the askama
//! templates in `api/templates/mail/`.
//!
//! The buyer's "order placed" mail carries the payment link, which checkout makes with the
//! provider after its commit. So that mail is queued held back by [`LINK_GRACE`], and checkout
//! releases it ([`release_placed`]) once the link exists; a process that dies in between
//! leaves it to go out after the grace, with the order page's link instead (where the buyer
//! can pay too).

use std::time::Duration;

use anyhow::Context as _;
use askama::Template;
use rust_decimal::Decimal;

use super::{ChangeReason, OrderStatus};
use crate::catalogue::products::ProductUnit;
use crate::commerce::money::display as money;
use crate::graphql::error::ApiResult;
use crate::graphql::ids::{OrderId, UserId};
use crate::runtime::db::Db;
use crate::runtime::mail::{MailKind, Renderer};

/// How long the buyer's "order placed" mail waits for checkout's payment link.
pub const LINK_GRACE: Duration = Duration::from_secs(30);
/// Where the web front end shows a buyer's order (`/cuenta/pedidos/TS-1001`).
pub const BUYER_ORDER_PATH: &str = "/cuenta/pedidos";
/// Where the web front end shows a store's order to its seller.
pub const SELLER_ORDER_PATH: &str = "/tienda/pedidos";

/// What happened to an order, as one party is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderNews {
    /// To the buyer: the order is placed; pay it (with the link) before its deadline.
    Placed,
    /// To the seller: a buyer placed an order with the store.
    NewOrder,
    /// To the buyer: the payment was approved.
    Paid,
    /// To the seller: the order is paid; prepare it.
    PaidForSeller,
    /// To the buyer: the store shipped the order.
    Shipped,
    /// To the buyer: the order was cancelled (by someone, or because its payment did not
    /// arrive in time); a paid one will be refunded.
    Cancelled,
    /// To the buyer: the payment came back.
    Refunded,
}

impl OrderNews {
    /// Every kind of news, for the template tests.
    pub const ALL: [Self; 7] = [
        Self::Placed,
        Self::NewOrder,
        Self::Paid,
        Self::PaidForSeller,
        Self::Shipped,
        Self::Cancelled,
        Self::Refunded,
    ];

    /// The news a move to `to` gives.
    pub fn of_move(to: OrderStatus) -> &'static [Self] {
        match to {
            OrderStatus::Paid => &[Self::Paid, Self::PaidForSeller],
            OrderStatus::Shipped => &[Self::Shipped],
            OrderStatus::Cancelled => &[Self::Cancelled],
            OrderStatus::Pending | OrderStatus::Delivered => &[],
        }
    }

    /// The outbox's kind of this news.
    pub fn kind(self) -> MailKind {
        match self {
            Self::Placed => MailKind::OrderPlaced,
            Self::NewOrder => MailKind::NewOrder,
            Self::Paid => MailKind::OrderPaid,
            Self::PaidForSeller => MailKind::OrderPaidSeller,
            Self::Shipped => MailKind::OrderShipped,
            Self::Cancelled => MailKind::OrderCancelled,
            Self::Refunded => MailKind::OrderRefunded,
        }
    }

    /// The news an outbox kind names; `None` for a mail that is not about an order.
    pub fn of_kind(kind: MailKind) -> Option<Self> {
        Self::ALL.into_iter().find(|news| news.kind() == kind)
    }

    /// Whether the store's seller is told (otherwise the buyer).
    pub fn to_seller(self) -> bool {
        matches!(self, Self::NewOrder | Self::PaidForSeller)
    }

    /// The subject line, which names the order.
    pub fn subject(self, number: &str, store: &str) -> String {
        match self {
            Self::Placed => format!("Recibimos tu pedido {number} en {store}"),
            Self::NewOrder => format!("Nuevo pedido {number} en {store}"),
            Self::Paid => format!("Pago aprobado: pedido {number}"),
            Self::PaidForSeller => format!("El pedido {number} está pagado: ya puedes prepararlo"),
            Self::Shipped => format!("Tu pedido {number} está en camino"),
            Self::Cancelled => format!("Tu pedido {number} fue cancelado"),
            Self::Refunded => format!("Te devolvimos el pago del pedido {number}"),
        }
    }
}

/// Queues `news` about `order` for its buyer and seller, inside the caller's transaction.
/// A party whose account was deleted is told nothing. The buyer's [`OrderNews::Placed`] is
/// held back by [`LINK_GRACE`] (see the module's notes).
pub async fn queue(
    conn: &mut sqlx::PgConnection,
    order: OrderId,
    news: &[OrderNews],
) -> ApiResult<()> {
    if news.is_empty() {
        return Ok(());
    }
    let parties = sqlx::query!(
        r#"SELECT o.number, s.name AS store_name,
                  b.id AS "buyer_id: UserId", b.email AS buyer_email,
                  b.deleted_at IS NOT NULL AS "buyer_gone!",
                  w.id AS "seller_id: UserId", w.email AS seller_email,
                  w.deleted_at IS NOT NULL AS "seller_gone!"
           FROM orders o
           JOIN users b ON b.id = o.buyer_id
           JOIN stores s ON s.id = o.store_id
           JOIN users w ON w.id = s.owner_id
           WHERE o.id = $1"#,
        order.0
    )
    .fetch_one(&mut *conn)
    .await?;
    for &item in news {
        let (user, email, gone) = if item.to_seller() {
            (
                parties.seller_id,
                &parties.seller_email,
                parties.seller_gone,
            )
        } else {
            (parties.buyer_id, &parties.buyer_email, parties.buyer_gone)
        };
        if gone {
            continue;
        }
        let hold = if item == OrderNews::Placed {
            LINK_GRACE.as_secs_f64()
        } else {
            0.0
        };
        let kind = item.kind().as_str();
        sqlx::query!(
            "INSERT INTO mail_outbox (kind, user_id, recipient, subject, body, order_id,
                                      next_attempt_at)
             VALUES ($1, $2, $3, $4, '', $5, now() + make_interval(secs => $6))",
            kind,
            user.0,
            email,
            item.subject(&parties.number, &parties.store_name),
            order.0,
            hold
        )
        .execute(&mut *conn)
        .await?;
        metrics::counter!("textisur_mail_queued_total", "kind" => kind).increment(1);
    }
    Ok(())
}

/// Lets the "order placed" mails of `orders` go now: checkout made their payment links (or
/// tried to; without one the mail links the order page).
pub async fn release_placed(db: &Db, orders: &[OrderId]) -> ApiResult<()> {
    let ids: Vec<i64> = orders.iter().map(|o| o.0).collect();
    sqlx::query!(
        "UPDATE mail_outbox SET next_attempt_at = now()
         WHERE order_id = ANY($1) AND kind = $2 AND sent_at IS NULL AND attempts = 0",
        &ids,
        MailKind::OrderPlaced.as_str()
    )
    .execute(db.executor())
    .await?;
    Ok(())
}

/// A line of the order, as the mail shows it.
#[derive(Debug)]
pub struct LineView {
    pub name: String,
    /// `2`, `1,5 m`, `0,75 kg`.
    pub quantity: String,
    pub total: String,
}

/// What the templates show of an order.
#[derive(Debug)]
pub struct OrderView {
    pub number: String,
    pub store: String,
    /// The recipient's name.
    pub name: String,
    pub lines: Vec<LineView>,
    /// `ARS 12.500,00`, `CLP 9.990`.
    pub total: String,
    /// The order's page on the web front end, for the recipient.
    pub order_url: String,
    /// The provider's checkout page, while the order waits for its payment.
    pub payment_url: Option<String>,
    /// Still waiting for its payment: the "placed" mail asks for it only then.
    pub pending: bool,
    /// While PENDING, when the payment must arrive by (`07/12/2026 18:30 UTC`).
    pub pay_before: Option<String>,
    /// Cancelled because the payment did not arrive in time.
    pub expired: bool,
    /// Cancelled after it was paid: the payment is (being) given back.
    pub refund: bool,
}

#[derive(Template)]
#[template(path = "mail/order.txt")]
struct OrderText<'a> {
    news: OrderNews,
    order: &'a OrderView,
}

#[derive(Template)]
#[template(path = "mail/order.html")]
struct OrderHtml<'a> {
    news: OrderNews,
    order: &'a OrderView,
    subject: &'a str,
}

/// The plain text and HTML parts of `news` about `order`.
pub fn render_view(
    news: OrderNews,
    order: &OrderView,
    subject: &str,
) -> anyhow::Result<(String, String)> {
    let text = OrderText { news, order }
        .render()
        .context("render the text part")?;
    let html = OrderHtml {
        news,
        order,
        subject,
    }
    .render()
    .context("render the HTML part")?;
    Ok((text, html))
}

/// The outbox's renderer of order mails: a queued row's kind, subject and order become
/// the plain text and HTML parts, from the order as it is now. `public_url` is the web
/// front end the links point at.
pub fn renderer(db: Db, public_url: String) -> Renderer {
    std::sync::Arc::new(move |kind: String, subject: String, order: i64| {
        let (db, public_url) = (db.clone(), public_url.clone());
        Box::pin(async move {
            let news = MailKind::parse(&kind)
                .and_then(OrderNews::of_kind)
                .with_context(|| format!("no order mail of kind {kind}"))?;
            let view = load_view(&db, news, OrderId(order), &public_url).await?;
            render_view(news, &view, &subject)
        })
    })
}

async fn load_view(
    db: &Db,
    news: OrderNews,
    order: OrderId,
    public_url: &str,
) -> anyhow::Result<OrderView> {
    let row = sqlx::query!(
        r#"SELECT o.number, o.status AS "status: OrderStatus", o.total, o.currency_code,
                  o.payment_due_at, s.name AS store_name, b.name AS buyer_name,
                  w.name AS seller_name,
                  p.init_point AS "init_point?",
                  coalesce(p.status IN ('REFUND_PENDING', 'REFUNDED'), false) AS "refund!",
                  (SELECT h.reason FROM order_status_history h
                   WHERE h.order_id = o.id AND h.status = 'CANCELLED'
                   ORDER BY h.id DESC LIMIT 1) AS "cancel_reason?: ChangeReason"
           FROM orders o
           JOIN stores s ON s.id = o.store_id
           JOIN users b ON b.id = o.buyer_id
           JOIN users w ON w.id = s.owner_id
           LEFT JOIN payments p ON p.order_id = o.id
           WHERE o.id = $1"#,
        order.0
    )
    .fetch_one(db.pool())
    .await
    .context("read the order")?;
    let lines = sqlx::query!(
        r#"SELECT product_name, unit AS "unit: ProductUnit", quantity, line_total
           FROM order_lines WHERE order_id = $1 ORDER BY product_id"#,
        order.0
    )
    .fetch_all(db.pool())
    .await
    .context("read the order's lines")?;
    let currency = row.currency_code.trim();
    let (name, path) = if news.to_seller() {
        (row.seller_name, SELLER_ORDER_PATH)
    } else {
        (row.buyer_name, BUYER_ORDER_PATH)
    };
    let pending = row.status == OrderStatus::Pending;
    Ok(OrderView {
        number: row.number.clone(),
        store: row.store_name,
        name,
        lines: lines
            .into_iter()
            .map(|l| LineView {
                name: l.product_name,
                quantity: quantity(l.quantity, l.unit),
                total: money(l.line_total, currency),
            })
            .collect(),
        total: money(row.total, currency),
        order_url: format!("{}{path}/{}", public_url.trim_end_matches('/'), row.number),
        pending,
        payment_url: row.init_point.filter(|_| pending),
        pay_before: row
            .payment_due_at
            .filter(|_| pending)
            .map(|at| at.format("%d/%m/%Y %H:%M UTC").to_string()),
        expired: row.cancel_reason == Some(ChangeReason::PaymentExpired),
        refund: row.refund,
    })
}

/// A line's quantity with its unit: `2`, `1,5 m`, `0,75 kg`.
fn quantity(quantity: Decimal, unit: ProductUnit) -> String {
    let number = quantity.normalize().to_string().replace('.', ",");
    match unit {
        ProductUnit::Piece => number,
        ProductUnit::Metre => format!("{number} m"),
        ProductUnit::Kilogram => format!("{number} kg"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> OrderView {
        OrderView {
            number: "TS-1001".into(),
            store: "Telas <Norte> & Co".into(),
            name: "Ana".into(),
            lines: vec![LineView {
                name: "Lino crudo".into(),
                quantity: quantity(Decimal::new(15, 1), ProductUnit::Metre),
                total: money(Decimal::new(1_875_000, 2), "ARS"),
            }],
            total: money(Decimal::new(1_875_000, 2), "ARS"),
            order_url: "https://textisur.example/cuenta/pedidos/TS-1001".into(),
            pending: true,
            payment_url: Some("https://pago.example/checkout?pref=1".into()),
            pay_before: Some("07/12/2026 18:30 UTC".into()),
            expired: false,
            refund: false,
        }
    }

    #[test]
    fn quantities_carry_their_unit() {
        assert_eq!(quantity(Decimal::new(2, 0), ProductUnit::Piece), "2");
        assert_eq!(quantity(Decimal::new(1500, 3), ProductUnit::Metre), "1,5 m");
        assert_eq!(
            quantity(Decimal::new(75, 2), ProductUnit::Kilogram),
            "0,75 kg"
        );
    }

    #[test]
    fn every_news_renders_both_parts_naming_the_order() {
        let order = view();
        for news in OrderNews::ALL {
            let subject = news.subject(&order.number, &order.store);
            assert!(subject.contains("TS-1001"), "{news:?}: {subject}");
            let (text, html) = render_view(news, &order, &subject).expect("renders");
            for part in [&text, &html] {
                assert!(part.contains("TS-1001"), "{news:?}: {part}");
                assert!(part.contains("ARS 18.750,00"), "{news:?}: {part}");
                assert!(part.contains("Lino crudo"), "{news:?}: {part}");
            }
            // Only the HTML part escapes; the store's name is text in both.
            assert!(text.contains("Telas <Norte> & Co"), "{news:?}: {text}");
            assert!(
                html.contains("Norte") && !html.contains("<Norte>"),
                "{news:?}: {html}"
            );
            let pays = news == OrderNews::Placed;
            assert_eq!(
                text.contains("https://pago.example/checkout?pref=1"),
                pays,
                "{news:?}: {text}"
            );
        }
    }

    #[test]
    fn a_placed_mail_sent_late_asks_for_no_payment_once_the_order_moved_on() {
        let mut order = view();
        order.pending = false;
        order.payment_url = None;
        order.pay_before = None;
        let (text, html) = render_view(OrderNews::Placed, &order, "s").expect("renders");
        for part in [&text, &html] {
            assert!(
                !part.contains("Paga") && !part.contains("pagarlo"),
                "{part}"
            );
            assert!(part.contains("TS-1001"), "{part}");
        }
    }

    #[test]
    fn a_cancelled_order_says_why_and_whether_money_comes_back() {
        let mut order = view();
        order.payment_url = None;
        order.expired = true;
        let (text, _) = render_view(OrderNews::Cancelled, &order, "s").expect("renders");
        assert!(text.contains("no recibimos el pago a tiempo"), "{text}");
        assert!(!text.contains("devolvemos"), "{text}");
        order.expired = false;
        order.refund = true;
        let (text, _) = render_view(OrderNews::Cancelled, &order, "s").expect("renders");
        assert!(text.contains("Te devolvemos el pago"), "{text}");
    }
}
