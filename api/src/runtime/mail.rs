//! Mail: an outbox in PostgreSQL and a sender that delivers it over SMTP with lettre.
//!
//! Key rule: a mail is written to `mail_outbox` in the same transaction as the change it
//! tells of (a token, an email change, an order's news), so a mail is never sent for a change that rolled
//! back and never lost for one that committed. The sender claims due rows with
//! `FOR UPDATE SKIP LOCKED`, so any number of processes share one outbox; delivery is at
//! least once. A sent mail keeps its subject for the record; its body, which may hold a
//! live link, is wiped. Account mails are queued written (plain text, in the request's
//! language); order mails name their order and are rendered when sent, in plain text and
//! HTML (`commerce::orders::mail`). A failed attempt is retried with a growing backoff
//! (30 s, 1 min, 2 min, … up to an hour), [`MAX_ATTEMPTS`] times.
//!
//! Without `TEXTISUR_SMTP_URL` (local development) mail stays queued and the server says so
//! once at start; nothing is lost, and setting the URL later sends it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt as _;
use futures::future::BoxFuture;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sqlx::PgConnection;
use tokio::sync::{Notify, broadcast};

use crate::graphql::error::ApiResult;
use crate::graphql::ids::UserId;
use crate::runtime::config::Secret;
use crate::runtime::db::Db;
use crate::runtime::events::{Envelope, Event};

/// Where mail goes and what its links point at.
#[derive(Clone, Debug)]
pub struct MailConfig {
    /// `smtp://host:port` (plain, a relay on the same network), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465`; `None` keeps mail queued.
    pub smtp_url: Option<Secret>,
    /// The sender, `TextiSur <no-responder@textisur.example>`.
    pub from: String,
    /// The web front end that opens the links in mails (`https://textisur.example`).
    pub public_url: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "TextiSur <no-responder@textisur.localhost>".to_owned(),
            public_url: "http://localhost:5173".to_owned(),
        }
    }
}

/// What each kind of mail is, for the record and the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailKind {
    VerifyEmail,
    ResetPassword,
    ConfirmEmailChange,
    EmailChanged,
    PasswordChanged,
    /// Order mails (`commerce::orders::mail`), rendered when sent.
    OrderPlaced,
    NewOrder,
    OrderPaid,
    OrderPaidSeller,
    OrderShipped,
    OrderCancelled,
    OrderRefunded,
}

impl MailKind {
    const ALL: [Self; 12] = [
        Self::VerifyEmail,
        Self::ResetPassword,
        Self::ConfirmEmailChange,
        Self::EmailChanged,
        Self::PasswordChanged,
        Self::OrderPlaced,
        Self::NewOrder,
        Self::OrderPaid,
        Self::OrderPaidSeller,
        Self::OrderShipped,
        Self::OrderCancelled,
        Self::OrderRefunded,
    ];

    /// The name the outbox and the metrics give this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::ConfirmEmailChange => "confirm_email_change",
            Self::EmailChanged => "email_changed",
            Self::PasswordChanged => "password_changed",
            Self::OrderPlaced => "order_placed",
            Self::NewOrder => "new_order",
            Self::OrderPaid => "order_paid",
            Self::OrderPaidSeller => "order_paid_seller",
            Self::OrderShipped => "order_shipped",
            Self::OrderCancelled => "order_cancelled",
            Self::OrderRefunded => "order_refunded",
        }
    }

    /// The kind an outbox row names.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// A mail to queue.
#[derive(Clone, Debug)]
pub struct OutgoingMail {
    pub kind: MailKind,
    pub user_id: Option<UserId>,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Renders a mail queued by name rather than written (order mails,
/// `commerce::orders::mail::renderer`): its kind, subject and order id become its plain text
/// and HTML parts. Given to [`Mailer::new`], so this module needs nothing of the orders.
pub type Renderer = Arc<
    dyn Fn(String, String, i64) -> BoxFuture<'static, anyhow::Result<(String, String)>>
        + Send
        + Sync,
>;

/// A mail claimed for sending.
struct Claimed {
    id: i64,
    kind: String,
    attempts: i32,
    to: String,
    subject: String,
    body: String,
    order: Option<i64>,
}

/// A mail's content: plain text (account mails), or plain text and HTML (order mails).
enum Body {
    Text(String),
    Alternative { text: String, html: String },
}

/// How long [`Mailer::in_background`] lets the answer go before its work starts.
const BACKGROUND_DELAY: Duration = Duration::from_millis(25);
/// Days a sent or given-up mail stays in the outbox.
pub const KEEP_DAYS: i32 = 30;
/// After this many failed attempts a mail is given up (and counted).
pub const MAX_ATTEMPTS: i32 = 8;
/// Mails one claim takes.
const BATCH: i64 = 128;
/// Mails sent at once (each over its own pooled SMTP connection).
const SEND_CONCURRENCY: usize = 16;
/// How often the sender looks for mail queued by other processes.
const POLL: Duration = Duration::from_secs(5);

/// The outbox's sender, and the requests' way to queue mail.
pub struct Mailer {
    db: Db,
    config: MailConfig,
    from: Mailbox,
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    renderer: Option<Renderer>,
    wake: Notify,
    /// Work a request handed to the background (see [`Mailer::in_background`]).
    background: AtomicUsize,
    background_done: Notify,
    /// One batch at a time in this process: a drain waits for the sender's batch in flight.
    sending: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("smtp", &self.transport.is_some())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `config`, rendering mails queued by name with `renderer`; refuses a
    /// sender or SMTP URL that does not parse.
    pub fn new(
        db: Db,
        config: MailConfig,
        renderer: Option<Renderer>,
    ) -> anyhow::Result<Arc<Self>> {
        let from: Mailbox = config.from.parse().context("TEXTISUR_MAIL_FROM")?;
        let transport = match &config.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&url.0)
                    .context("TEXTISUR_SMTP_URL")?
                    .timeout(Some(Duration::from_secs(20)))
                    .pool_config(PoolConfig::new().max_size(SEND_CONCURRENCY as u32))
                    .build(),
            ),
            None => None,
        };
        Ok(Arc::new(Self {
            db,
            config,
            from,
            transport,
            renderer,
            wake: Notify::new(),
            background: AtomicUsize::new(0),
            background_done: Notify::new(),
            sending: tokio::sync::Mutex::new(()),
        }))
    }

    /// Whether mail is delivered (an SMTP URL is configured).
    pub fn delivers(&self) -> bool {
        self.transport.is_some()
    }

    /// The link to `path` of the web front end with `token`: `https://…/cuenta/verificar?token=…`.
    pub fn link(&self, path: &str, token: &str) -> String {
        format!(
            "{}{path}?token={token}",
            self.config.public_url.trim_end_matches('/')
        )
    }

    /// Queues `mail` inside the caller's transaction; call [`Mailer::wake`] after commit.
    pub async fn enqueue(conn: &mut PgConnection, mail: &OutgoingMail) -> ApiResult<()> {
        sqlx::query!(
            "INSERT INTO mail_outbox (kind, user_id, recipient, subject, body)
             VALUES ($1, $2, $3, $4, $5)",
            mail.kind.as_str(),
            mail.user_id.map(|u| u.0),
            &mail.to,
            &mail.subject,
            &mail.body
        )
        .execute(conn)
        .await?;
        metrics::counter!("textisur_mail_queued_total", "kind" => mail.kind.as_str()).increment(1);
        Ok(())
    }

    /// Tells the sender of this process that mail was queued.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs `work` after the request answered, counted so [`Mailer::drain`] can wait for it.
    /// Used where the answer must not depend on what the work finds (a password reset for
    /// an address that may not exist answers in the same time either way). The work starts
    /// [`BACKGROUND_DELAY`] later, once the answer is on its way: started at once it shared
    /// the CPU with the answer's last steps, and how much work it found (a token and a mail,
    /// or nothing) showed in the answer's time.
    pub fn in_background<F>(self: &Arc<Self>, work: F)
    where
        F: Future<Output = ApiResult<()>> + Send + 'static,
    {
        self.background.fetch_add(1, Ordering::SeqCst);
        let this = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(BACKGROUND_DELAY).await;
            if let Err(error) = work.await {
                // The conversion logs the cause; the client already has its answer.
                let _ = async_graphql::Error::from(error);
            }
            this.background.fetch_sub(1, Ordering::SeqCst);
            this.background_done.notify_waiters();
        });
    }

    /// Delivers one batch of due mail; how many were delivered.
    pub async fn send_due(&self) -> anyhow::Result<usize> {
        let Some(transport) = &self.transport else {
            return Ok(0);
        };
        let _one_batch = self.sending.lock().await;
        // Claiming pushes the next attempt back first: a process that dies mid-send leaves
        // the row to be retried later, never lost. A mail about an order waits while an
        // earlier one to the same recipient about it is unsent (backing off, or being sent
        // by another process): "paid" never overtakes "placed". The check runs on the
        // batch only: written over the whole outbox, a planner without statistics (a fresh
        // database) chose a nested loop over it, and the sender fell from 311 to 75 mails a
        // second.
        let claimed = sqlx::query!(
            "WITH due AS (
                 SELECT id, order_id, recipient FROM mail_outbox
                 WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
                 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
             UPDATE mail_outbox SET attempts = attempts + 1,
                    next_attempt_at = now() + make_interval(secs => least(3600, 30 * 2 ^ attempts))
             WHERE id IN (SELECT d.id FROM due d
                          WHERE d.order_id IS NULL OR NOT EXISTS (
                              SELECT 1 FROM mail_outbox e
                              WHERE e.order_id = d.order_id AND e.recipient = d.recipient
                                AND e.id < d.id AND e.sent_at IS NULL AND e.failed_at IS NULL))
             RETURNING id, kind, recipient, subject, body, attempts, order_id",
            BATCH
        )
        .fetch_all(self.db.pool())
        .await
        .context("claim mail")?;
        // The mails of one recipient about one order (or one recipient's account mails) go
        // in order, one after another; the others go at once, over up to SEND_CONCURRENCY
        // pooled connections. Each send waits about 40 ms on the wire: lettre writes the
        // end-of-data mark apart from the message, Nagle's algorithm holds it until the
        // server ACKs the message, and the server delays that ACK (strace of
        // `examples/mail_load`). One at a time, that was 22 mails a second.
        let mut by_recipient: Vec<Vec<Claimed>> = Vec::new();
        for mail in claimed {
            let mail = Claimed {
                id: mail.id,
                kind: mail.kind,
                attempts: mail.attempts,
                to: mail.recipient,
                subject: mail.subject,
                body: mail.body,
                order: mail.order_id,
            };
            match by_recipient
                .iter_mut()
                .find(|m| m[0].to == mail.to && m[0].order == mail.order)
            {
                Some(theirs) => theirs.push(mail),
                None => by_recipient.push(vec![mail]),
            }
        }
        let sent: Vec<anyhow::Result<usize>> = futures::stream::iter(by_recipient)
            .map(|mails| async move {
                let mut sent = 0;
                for mail in mails {
                    // The rest of the group waits for this one's retry, to stay in order.
                    if !self.deliver(transport, mail).await? {
                        break;
                    }
                    sent += 1;
                }
                Ok(sent)
            })
            .buffer_unordered(SEND_CONCURRENCY)
            .collect()
            .await;
        sent.into_iter().sum()
    }

    /// Sends one claimed mail and records how it went; whether it was delivered.
    async fn deliver(
        &self,
        transport: &AsyncSmtpTransport<Tokio1Executor>,
        mail: Claimed,
    ) -> anyhow::Result<bool> {
        let Claimed {
            id,
            kind,
            attempts,
            to,
            subject,
            body,
            order,
        } = mail;
        let message = match order {
            None => self.message(&to, &subject, Body::Text(body)),
            Some(order) => self.rendered_message(&kind, order, &to, &subject).await,
        };
        let outcome = match message {
            Ok(message) => transport.send(message).await.map_err(|e| e.to_string()),
            Err(e) => Err(format!("{e:#}")),
        };
        match outcome {
            Ok(_) => {
                sqlx::query!(
                    "UPDATE mail_outbox SET sent_at = now(), body = '' WHERE id = $1",
                    id
                )
                .execute(self.db.pool())
                .await
                .context("mark mail sent")?;
                metrics::counter!("textisur_mail_sent_total", "kind" => kind).increment(1);
                Ok(true)
            }
            Err(error) => {
                let give_up = attempts >= MAX_ATTEMPTS;
                tracing::warn!(mail_id = id, %kind, attempts, give_up, %error, "mail not delivered");
                sqlx::query!(
                    "UPDATE mail_outbox SET last_error = left($2, 500),
                            failed_at = CASE WHEN $3 THEN now() END
                     WHERE id = $1",
                    id,
                    &error,
                    give_up
                )
                .execute(self.db.pool())
                .await
                .context("record mail failure")?;
                let outcome = if give_up { "given_up" } else { "retry" };
                metrics::counter!("textisur_mail_failed_total", "kind" => kind, "outcome" => outcome)
                    .increment(1);
                Ok(false)
            }
        }
    }

    fn message(&self, to: &str, subject: &str, body: Body) -> anyhow::Result<Message> {
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to.parse::<Mailbox>().context("recipient")?)
            .subject(subject);
        Ok(match body {
            Body::Text(text) => builder.header(ContentType::TEXT_PLAIN).body(text)?,
            Body::Alternative { text, html } => {
                builder.multipart(MultiPart::alternative_plain_html(text, html))?
            }
        })
    }

    /// A mail queued by name (an order mail), rendered now.
    async fn rendered_message(
        &self,
        kind: &str,
        order: i64,
        to: &str,
        subject: &str,
    ) -> anyhow::Result<Message> {
        let render = self
            .renderer
            .as_ref()
            .context("no renderer for mails queued by name")?;
        let (text, html) = render(kind.to_owned(), subject.to_owned(), order).await?;
        self.message(to, subject, Body::Alternative { text, html })
    }

    /// Waits for work handed to the background, then delivers every due mail: what a test
    /// calls instead of sleeping. Fails when mail cannot be delivered.
    pub async fn drain(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.delivers(), "no SMTP server configured");
        loop {
            let done = self.background_done.notified();
            if self.background.load(Ordering::SeqCst) == 0 {
                break;
            }
            done.await;
        }
        while self.send_due().await? > 0 {}
        let undelivered: Vec<(i64, Option<String>)> = sqlx::query!(
            "SELECT id, last_error FROM mail_outbox WHERE sent_at IS NULL ORDER BY id LIMIT 5"
        )
        .fetch_all(self.db.pool())
        .await?
        .into_iter()
        .map(|mail| (mail.id, mail.last_error))
        .collect();
        anyhow::ensure!(
            undelivered.is_empty(),
            "mail not delivered: {undelivered:?}"
        );
        Ok(())
    }

    /// Deletes mail sent or given up more than [`KEEP_DAYS`] days ago (the record of who was
    /// written to is personal data too), and account tokens used or expired more than a week
    /// ago. Returns how many rows went. The server calls it every hour.
    pub async fn sweep(&self) -> anyhow::Result<u64> {
        let mail = sqlx::query!(
            "DELETE FROM mail_outbox WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL)
                 AND created_at < now() - make_interval(days => $1)",
            KEEP_DAYS
        )
        .execute(self.db.pool())
        .await
        .context("sweep mail")?;
        let tokens = sqlx::query!(
            "DELETE FROM account_tokens WHERE (used_at IS NOT NULL OR expires_at < now())
                 AND created_at < now() - interval '7 days'"
        )
        .execute(self.db.pool())
        .await
        .context("sweep account tokens")?;
        Ok(mail.rows_affected() + tokens.rows_affected())
    }

    /// The sender: delivers when woken, when an order changed in any process (`events`),
    /// and every few seconds, until the task is aborted.
    pub async fn run(self: Arc<Self>, mut events: broadcast::Receiver<Arc<Envelope>>) {
        loop {
            match self.send_due().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(error = %format!("{error:#}"), "mail sender"),
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                () = order_changed(&mut events) => {}
            }
        }
    }
}

/// Returns when an order changed (or events were missed); never once the bus closed.
async fn order_changed(events: &mut broadcast::Receiver<Arc<Envelope>>) {
    loop {
        match events.recv().await {
            Ok(envelope) if matches!(envelope.event, Event::OrderUpdated { .. }) => return,
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}
