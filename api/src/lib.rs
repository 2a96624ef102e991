//! The TextiSur GraphQL API: an axum server in front of an async-graphql schema that
//! resolves the marketplace's catalogue from PostgreSQL through per-request dataloaders.
//!
//! Key rule: resolvers stay thin (validate, call a `db` module or a loader, wrap); SQL lives
//! in each feature's `db.rs`, and every client-facing error goes through [`graphql::error::ApiError`].

// The features.
pub mod accounts;
pub mod catalogue;
pub mod commerce;
pub mod conversations;
pub mod search;

// What the features build on.
pub mod graphql;
pub mod runtime;

pub use runtime::config::Cli;
pub use runtime::server::{RunningServer, ServerConfig};
