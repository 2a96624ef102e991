//! Connection options shared by the primary's pool and the standbys'.

use sqlx::postgres::{PgConnectOptions, PgSslMode};

/// TLS to a server on the same machine only burns CPU (it cost a third of the API's CPU
/// under load): off for a loopback host, unless the URL names an `sslmode`.
pub(super) fn local_options(url: &str, options: PgConnectOptions) -> PgConnectOptions {
    if !url.contains("sslmode=") && is_loopback(options.get_host()) {
        options.ssl_mode(PgSslMode::Disable)
    } else {
        options
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.starts_with('/')
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
