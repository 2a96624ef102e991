//! Every end-to-end scenario in one test binary: the whole server is linked once, not
//! once per file. Each module is one scenario family; shared set-up is the
//! `textisur-tests` library (`tests/src`).

mod account_self_service;
mod accounts;
mod apollo_client;
mod authorization_matrix;
mod brute_force;
mod catalogue_management;
mod catalogue_reads;
mod checkout;
mod client_kits;
mod conversations;
mod cost_rate_limits;
mod demo_seed;
mod deploy_files;
mod fuzz_pipeline;
mod global_limits;
mod hostile_queries;
mod http_spec;
mod input_sweep;
mod observability;
mod order_transitions;
mod pagination_props;
mod persisted_queries;
mod persisted_queries_push;
mod playground;
mod postgres_search;
mod production_mode;
mod redis_outage;
mod relevance;
mod reviews;
mod row_cache;
mod schema_file;
mod schema_gate;
mod schema_polish;
mod search;
mod search_vocabulary;
mod standby_reads;
mod statement_count;
mod subscriptions;
mod tokens;
mod trusted_operations;
mod user_privacy;
mod verified_reviews;
mod websocket_protection;
mod ws_client;
