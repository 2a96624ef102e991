//! Accounts: registration, login, sessions with rotating refresh tokens, and admin tools.
//!
//! Key rule: a refresh token is usable once. Presenting a rotated token again means it was
//! stolen (or replayed), so the whole family dies and a security event is logged.

pub mod db;
pub mod graphql;
pub mod limits;
pub mod passwords;
pub mod self_service;
pub mod sessions;
pub mod tokens;
pub mod users;

use std::net::IpAddr;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use self::limits::{AuthLimitConfig, AuthLimits};
use self::tokens::{TokenError, TokenKeys};
use crate::accounts::users::UserRole;
use crate::graphql::error::ApiResult;
use crate::graphql::ids::UserId;
use crate::graphql::viewer::Viewer;
use crate::runtime::db::Db;
use uuid::Uuid;

/// Keys, limiters and the mail outbox shared by every request.
#[derive(Debug)]
pub struct Auth {
    pub keys: TokenKeys,
    pub limits: AuthLimits,
    pub sessions: LiveSessions,
    /// Where account mail (verification, reset, email change) is queued.
    pub mailer: std::sync::Arc<crate::runtime::mail::Mailer>,
}

/// How long this process trusts a session it found live without asking PostgreSQL again.
/// Revocations, suspensions and role changes take effect at once: made through this process
/// they call [`LiveSessions::forget_user`] or [`LiveSessions::forget_session`], and every
/// process hears of them through [`crate::runtime::events`] ([`LiveSessions::forget_ended`]); this
/// long bounds a notice that was lost.
pub const LIVE_SESSION_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// Sessions found live lately, with their user's role: a signed-in request's check costs a
/// statement only once per session per [`LIVE_SESSION_TTL`].
pub struct LiveSessions {
    /// The role, and when the session was found live.
    live: quick_cache::sync::Cache<(UserId, Uuid), (UserRole, std::time::Instant)>,
    ttl: std::time::Duration,
}

impl std::fmt::Debug for LiveSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveSessions")
    }
}

impl LiveSessions {
    fn new(ttl: std::time::Duration) -> Self {
        Self {
            live: quick_cache::sync::Cache::new(100_000),
            ttl,
        }
    }

    /// After a change to `user` (suspension, role): their sessions are checked again.
    pub fn forget_user(&self, user: UserId) {
        self.forget(move |(u, _)| *u == user);
    }

    /// After a session ended (logout, revocation, a reused refresh token).
    pub fn forget_session(&self, session: Uuid) {
        self.forget(move |(_, s)| *s == session);
    }

    /// After another process ended sessions (see [`crate::runtime::events::Event::SessionsEnded`]).
    pub fn forget_ended(&self, event: &crate::runtime::events::Event) {
        if let crate::runtime::events::Event::SessionsEnded { user_id, session } = event {
            match session {
                Some(session) => self.forget_session(*session),
                None => self.forget_user(*user_id),
            }
        }
    }

    /// When notices of ended sessions were missed: every session is checked again.
    pub fn forget_all(&self) {
        self.live.clear();
    }

    fn forget(&self, matches: impl Fn(&(UserId, Uuid)) -> bool) {
        self.live.retain(|key, _| !matches(key));
    }

    /// The role of `user` if `session` is live (not revoked, the user not suspended): from
    /// the cache, else from PostgreSQL. Only live sessions are cached.
    pub async fn live_role(
        &self,
        db: &Db,
        user: UserId,
        session: Uuid,
    ) -> ApiResult<Option<UserRole>> {
        if let Some((role, checked)) = self.live.get(&(user, session))
            && checked.elapsed() < self.ttl
        {
            return Ok(Some(role));
        }
        // Counted from before the read, so the bound holds whatever the read took.
        let checked = std::time::Instant::now();
        let role = db::live_role(db, user, session).await?;
        if let Some(role) = role {
            self.live.insert((user, session), (role, checked));
        }
        Ok(role)
    }
}

impl std::fmt::Debug for AuthLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthLimits")
    }
}

impl Auth {
    /// Keys from configuration, or a generated development key (with a warning).
    pub fn new(
        keys: Option<TokenKeys>,
        limits: &AuthLimitConfig,
        mailer: std::sync::Arc<crate::runtime::mail::Mailer>,
        global: std::sync::Arc<crate::runtime::global_limits::GlobalLimits>,
    ) -> Self {
        let keys = keys.unwrap_or_else(|| {
            tracing::warn!(
                "no TEXTISUR_JWT_KEYS given: signing with a random development key; \
                 tokens die with this process and other processes reject them"
            );
            TokenKeys::generate()
        });
        Self {
            keys,
            limits: AuthLimits::new(limits).shared(global),
            sessions: LiveSessions::new(LIVE_SESSION_TTL),
            mailer,
        }
    }
}

/// Why a request's credentials were refused (HTTP 401). `Display` is for logs; the client
/// reads [`AuthFailure::message`].
#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    #[error("Authorization must be `Bearer <access token>`")]
    Malformed,
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("the session has ended or the account is suspended")]
    SessionEnded,
}

impl AuthFailure {
    /// The message of the 401, in the request's language.
    pub fn message(&self) -> String {
        match self {
            Self::Malformed => crate::tr!("auth-header-malformed"),
            Self::Token(TokenError::Invalid) => crate::tr!("auth-token-invalid"),
            Self::Token(TokenError::Expired) => crate::tr!("auth-token-expired"),
            Self::SessionEnded => crate::tr!("auth-session-ended"),
        }
    }
}

/// Resolves the caller from the `Authorization` header: anonymous without one.
pub async fn authenticate(
    auth: &Auth,
    db: &Db,
    headers: &HeaderMap,
) -> ApiResult<Result<Viewer, AuthFailure>> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(Ok(Viewer::Anonymous));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Ok(Err(AuthFailure::Malformed));
    };
    let claims = match auth.keys.verify(token) {
        Ok(claims) => claims,
        Err(e) => return Ok(Err(e.into())),
    };
    let Some(user) = claims.user_id() else {
        return Ok(Err(TokenError::Invalid.into()));
    };
    Ok(match auth.sessions.live_role(db, user, claims.sid).await? {
        Some(role) => Ok(Viewer::User {
            id: user,
            role,
            session: claims.sid,
        }),
        None => Err(AuthFailure::SessionEnded),
    })
}

/// Normalises an email (trim, lower-case) and checks its syntax.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let options = email_address::Options::default()
        .with_required_tld()
        .without_display_text()
        .without_domain_literal();
    let valid = email.len() <= 254
        && email_address::EmailAddress::parse_with_options(&email, options).is_ok();
    valid.then_some(email)
}

/// The caller's address: the peer, or the `X-Forwarded-For` entry a trusted proxy added.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|ip| ip.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    // The right-most address a trusted proxy did not add is the client.
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted_proxies.contains(ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            normalize_email("  Ana.Perez@Correo.CL "),
            Some("ana.perez@correo.cl".to_owned())
        );
        assert_eq!(normalize_email("sin-arroba"), None);
        assert_eq!(normalize_email("a@b"), None);
        assert_eq!(normalize_email("Ana <ana@b.cl>"), None);
    }

    #[test]
    fn forwarded_for_counts_only_behind_trusted_proxies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.9"),
        );
        let proxy: IpAddr = [10, 0, 0, 1].into();
        assert_eq!(
            client_ip(proxy, &headers, &[proxy]),
            "203.0.113.9".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(client_ip(proxy, &headers, &[]), proxy);
    }
}
