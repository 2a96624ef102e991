//! The TextiSur GraphQL API: an axum server in front of an async-graphql schema that
//! resolves the marketplace's catalogue from PostgreSQL through per-request dataloaders.
//!
//! Key rule: resolvers stay thin (validate, call a `db` module or a loader, wrap); SQL lives
//! in each feature's `db.rs`, and every client-facing error goes through [`error::ApiError`].

pub mod accounts;
pub mod carts;
pub mod categories;
pub mod config;
pub mod context;
pub mod conversations;
pub mod cost_limits;
pub mod db;
pub mod error;
pub mod events;
pub mod guards;
pub mod html;
pub mod http;
pub mod i18n;
pub mod ids;
pub mod indexing;
pub mod loaders;
pub mod mail;
pub mod node;
pub mod observability;
pub mod operation;
pub mod orders;
pub mod pagination;
pub mod plain_text;
pub mod products;
pub mod query_limits;
pub mod reviews;
pub mod row_cache;
pub mod schema;
pub mod search;
pub mod seed;
pub mod server;
pub mod shutdown;
pub mod stores;
pub mod subscriptions;
pub mod telemetry;
pub mod text_arguments;
pub mod user_errors;
pub mod users;
pub mod viewer;

pub use config::Cli;
pub use server::{RunningServer, ServerConfig};
