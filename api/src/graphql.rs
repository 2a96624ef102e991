//! The GraphQL layer every feature builds on: the schema assembled from the features
//! ([`schema`], [`node`], [`subscriptions`]), the request's context, errors and their codes,
//! guards, ids and pagination, dataloaders, and the limits and cost of a query.
//!
//! Rule: features import this layer and [`crate::runtime`], never each other's internals.
//! Only `schema`, `node` and `subscriptions` (the assembly) import features' resolvers; the
//! context names the accounts and search state it carries by their public types.

pub mod context;
pub mod error;
pub mod guards;
pub mod html;
pub mod i18n;
pub mod ids;
pub mod loaders;
pub mod node;
pub mod operation;
pub mod pagination;
pub mod plain_text;
pub mod query_limits;
pub mod schema;
pub mod subscriptions;
pub mod text_arguments;
pub mod user_errors;
pub mod viewer;
