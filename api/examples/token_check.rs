//! Measures access-token verification alone (signature, algorithm, claims), the part of
//! authentication that runs in the process: `cargo run --release -p textisur-api --example token_check`.

use std::time::Instant;

use chrono::Utc;
use textisur_api::accounts::tokens::TokenKeys;
use textisur_api::graphql::ids::UserId;

fn main() {
    let keys = TokenKeys::generate();
    let token = keys.issue(UserId(42), uuid::Uuid::new_v4(), Utc::now());
    let rounds = 200_000;
    for _ in 0..10_000 {
        assert!(keys.verify(&token).is_ok());
    }
    let started = Instant::now();
    for _ in 0..rounds {
        assert!(keys.verify(std::hint::black_box(&token)).is_ok());
    }
    let per = started.elapsed() / rounds;
    println!(
        "access token verification: {:.2} µs per token ({rounds} rounds)",
        per.as_nanos() as f64 / 1000.0
    );
}
