//! What runs the schema: configuration and start-up, the HTTP layer, the database pool and
//! its executor, the row cache, telemetry and metrics, the in-process indexer, events between
//! processes, the mail outbox and the cost limiter.

pub mod config;
pub mod cost_limits;
pub mod db;
pub mod demo;
pub mod events;
pub mod global_limits;
pub mod http;
pub mod indexing;
pub mod mail;
pub mod observability;
pub mod row_cache;
pub mod server;
pub mod shutdown;
pub mod telemetry;
