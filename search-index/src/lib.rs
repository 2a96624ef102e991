//! The tantivy side of TextiSur search: document schema, Spanish analysis and query building.
//!
//! Key rule: this is the only crate that names tantivy, and it knows nothing of PostgreSQL,
//! HTTP or GraphQL. Until the search issue lands, the API lists the catalogue from
//! PostgreSQL and this crate is empty on purpose.
