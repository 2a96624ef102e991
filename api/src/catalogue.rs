//! The catalogue: products, the stores that sell them, categories and reviews. Each part
//! owns its row types (`products.rs`), SQL (`products/db.rs`), resolvers
//! (`products/graphql.rs`) and mutations.

pub mod categories;
pub mod media;
pub mod products;
pub mod reviews;
pub mod stores;
pub mod variants;
