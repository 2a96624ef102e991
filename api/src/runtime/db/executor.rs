//! What [`Db::executor`](super::Db::executor) hands out: the pool, wrapped so that every
//! statement gets a span, a latency sample and honest accounting of the wait for a
//! connection.
//!
//! The metrics, and what they measure:
//! - `textisur_db_query_duration_seconds`: from the moment a statement has its connection
//!   to its last row (pool wait excluded), for every statement run through
//!   [`Db::executor`](super::Db::executor). Statements inside a transaction run on the
//!   transaction's connection and are not sampled one by one.
//! - `textisur_db_pool_acquire_duration_seconds{kind}`: the wait for a pooled connection,
//!   for statements (`kind="statement"`) and transactions (`kind="transaction"`, through
//!   [`Db::begin`](super::Db::begin); this one includes the `BEGIN` round trip).
//! - `textisur_db_pool_waiters`: acquisitions in progress right now, the same two kinds. An
//!   acquisition served at once from an idle connection is in progress for microseconds, so
//!   a value above zero at scrape time means callers queue for connections.
//! - `textisur_db_pool_acquire_timeouts_total`: acquisitions that gave up after the acquire
//!   timeout (the pool was exhausted or PostgreSQL unreachable).
//!
//! The indexer, the event listener and migrations use the pool directly and are not counted.

use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use futures::SinkExt;
use futures::channel::mpsc;
use futures::future::BoxFuture;
use futures::stream::{BoxStream, Stream, StreamExt};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgQueryResult, PgRow, PgStatement, PgTypeInfo};
use sqlx::{Describe, Either, Execute, Executor, PgPool, Postgres, SqlStr, Transaction};
use tracing::{Instrument, Span};

const QUERY_DURATION: &str = "textisur_db_query_duration_seconds";
const ACQUIRE_DURATION: &str = "textisur_db_pool_acquire_duration_seconds";
const WAITERS: &str = "textisur_db_pool_waiters";
const ACQUIRE_TIMEOUTS: &str = "textisur_db_pool_acquire_timeouts_total";

/// Registers the pool-wait series at zero, so they exist before the first wait.
pub(crate) fn register_metrics() {
    metrics::gauge!(WAITERS).increment(0.0);
    metrics::counter!(ACQUIRE_TIMEOUTS).increment(0);
}

/// One statement's executor: the pool and the place in our code that runs the statement.
#[derive(Clone, Copy, Debug)]
pub struct StatementExecutor<'p> {
    pool: &'p PgPool,
    caller: &'static Location<'static>,
}

impl<'p> StatementExecutor<'p> {
    pub(super) fn new(pool: &'p PgPool, caller: &'static Location<'static>) -> Self {
        Self { pool, caller }
    }

    fn span(&self, call: &'static str) -> Span {
        tracing::info_span!(
            "db.statement",
            otel.kind = "client",
            db.system.name = "postgresql",
            db.call = call,
            code.file.path = self.caller.file(),
            code.line.number = self.caller.line(),
        )
    }
}

/// Counts an acquisition as in progress until dropped (also when its future is dropped).
struct Waiting;

impl Waiting {
    fn start() -> Self {
        metrics::gauge!(WAITERS).increment(1.0);
        Waiting
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        metrics::gauge!(WAITERS).decrement(1.0);
    }
}

fn acquired<T>(kind: &'static str, started: Instant, result: &Result<T, sqlx::Error>) {
    metrics::histogram!(ACQUIRE_DURATION, "kind" => kind).record(started.elapsed().as_secs_f64());
    if matches!(result, Err(sqlx::Error::PoolTimedOut)) {
        metrics::counter!(ACQUIRE_TIMEOUTS).increment(1);
    }
}

async fn acquire(pool: &PgPool) -> Result<PoolConnection<Postgres>, sqlx::Error> {
    let waiting = Waiting::start();
    let started = Instant::now();
    let result = pool.acquire().await;
    drop(waiting);
    acquired("statement", started, &result);
    result
}

/// Starts a transaction on a pooled connection, accounted like a statement's acquisition.
pub(super) async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let waiting = Waiting::start();
    let started = Instant::now();
    let result = pool.begin().await;
    drop(waiting);
    acquired("transaction", started, &result);
    result
}

/// Records a statement's duration when dropped, however it ended.
struct Timing(Instant);

impl Drop for Timing {
    fn drop(&mut self) {
        metrics::histogram!(QUERY_DURATION).record(self.0.elapsed().as_secs_f64());
    }
}

impl<'p> Executor<'p> for StatementExecutor<'p> {
    type Database = Postgres;

    fn execute<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<PgQueryResult, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        let span = self.span("execute");
        let pool = self.pool;
        Box::pin(
            async move {
                let mut connection = acquire(pool).await?;
                let _timing = Timing(Instant::now());
                connection.execute(query).await
            }
            .instrument(span),
        )
    }

    fn fetch_all<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Vec<PgRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        let span = self.span("fetch_all");
        let pool = self.pool;
        Box::pin(
            async move {
                let mut connection = acquire(pool).await?;
                let _timing = Timing(Instant::now());
                connection.fetch_all(query).await
            }
            .instrument(span),
        )
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<PgRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        let span = self.span("fetch_optional");
        let pool = self.pool;
        Box::pin(
            async move {
                let mut connection = acquire(pool).await?;
                let _timing = Timing(Instant::now());
                connection.fetch_optional(query).await
            }
            .instrument(span),
        )
    }

    /// What `query(..).fetch_all(..)` and most of sqlx's helpers come through. A stream keeps
    /// its connection between polls, so a future that owns the connection (and the pool wait
    /// and timing, like the calls above) feeds the rows through a channel to the stream
    /// returned, which drives it: no task is spawned.
    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<PgQueryResult, PgRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        let span = self.span("fetch_many");
        let pool = self.pool;
        let (mut rows, received) = mpsc::channel(0);
        let producer = async move {
            let mut connection = match acquire(pool).await {
                Ok(connection) => connection,
                Err(error) => {
                    let _ = rows.send(Err(error)).await;
                    return;
                }
            };
            let _timing = Timing(Instant::now());
            let mut results = connection.fetch_many(query);
            while let Some(result) = results.next().await {
                if rows.send(result).await.is_err() {
                    // The caller dropped the stream: stop reading.
                    return;
                }
            }
        };
        Box::pin(ProducedStream {
            producer: Some(Box::pin(producer)),
            received,
            span,
        })
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [PgTypeInfo],
    ) -> BoxFuture<'e, Result<PgStatement, sqlx::Error>>
    where
        'p: 'e,
    {
        self.pool.prepare_with(sql, parameters)
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<Postgres>, sqlx::Error>>
    where
        'p: 'e,
    {
        self.pool.describe(sql)
    }
}

/// The rows a producer future sends, polled inside the statement's span.
struct ProducedStream<'e, T> {
    producer: Option<BoxFuture<'e, ()>>,
    received: mpsc::Receiver<T>,
    span: Span,
}

impl<T> Stream for ProducedStream<'_, T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let _entered = this.span.enter();
        // Let the producer move first (it may be waiting to hand over a row); once it is
        // done its sender is dropped and the channel ends after the last row.
        if let Some(producer) = &mut this.producer
            && producer.as_mut().poll(cx).is_ready()
        {
            this.producer = None;
        }
        this.received.poll_next_unpin(cx)
    }
}
