//! Signing in: the payload of a new session and the tokens it carries, shared by the
//! account mutations and the self-service ones (password reset signs the user in).

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::db;
use super::tokens::ACCESS_TTL;
use crate::accounts::users::User;
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::user_errors::UserError;

/// Tokens of a session, or what went wrong.
#[derive(SimpleObject, Default)]
pub struct AuthPayload {
    /// JWT for `Authorization: Bearer`, valid 15 minutes.
    pub access_token: Option<String>,
    /// Single-use token for `refreshSession`, valid 7 days.
    pub refresh_token: Option<String>,
    /// When the access token expires.
    pub access_token_expires_at: Option<DateTime<Utc>>,
    /// The signed-in user (their private fields included); null when there are user errors.
    pub user: Option<User>,
    /// Why no session was opened; empty on success.
    pub user_errors: Vec<UserError>,
}

impl AuthPayload {
    pub(super) fn error(error: UserError) -> Self {
        Self {
            user_errors: vec![error],
            ..Self::default()
        }
    }
}

/// The error of a request refused by an account limit, with when to retry.
pub(super) fn throttled(wait: std::time::Duration) -> async_graphql::Error {
    metrics::counter!("textisur_rate_limit_rejections_total", "limit" => "auth").increment(1);
    ApiError::Throttled {
        retry_after_ms: wait.as_millis().max(1) as u64,
    }
    .into()
}

/// Opens a session for `user`, who just proved who they are, and issues its tokens.
pub(super) async fn open_session(rc: &RequestContext, user: User) -> ApiResult<AuthPayload> {
    let (family, refresh) =
        db::start_session(&rc.db, user.id, rc.client.user_agent.as_deref()).await?;
    Ok(issue(rc, user, family, refresh))
}

/// The payload of a session `user` signed in to: its tokens and the user.
pub(super) fn issue(rc: &RequestContext, user: User, family: Uuid, refresh: String) -> AuthPayload {
    let now = Utc::now();
    rc.signed_in(user.id);
    AuthPayload {
        access_token: Some(rc.auth.keys.issue(user.id, family, now)),
        refresh_token: Some(refresh),
        access_token_expires_at: Some(now + ACCESS_TTL),
        user: Some(user),
        user_errors: Vec::new(),
    }
}
