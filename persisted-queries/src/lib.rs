//! Automatic persisted queries and trusted documents (Redis through bb8-redis).
//!
//! Key rule: this crate knows nothing of axum; the HTTP layer asks it for a document by
//! hash. Empty until the protection issue lands.
