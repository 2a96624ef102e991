//! PostgreSQL -> search index synchronisation through a transactional outbox.
//!
//! Key rule: the indexer is the only writer of the search index. It depends on
//! `search-index` and on PostgreSQL, never on the HTTP or GraphQL layers. Empty until the
//! search issue lands.
