//! GraphQL of accounts: `register`, `login`, `refreshSession`, `logout`, sessions, and the
//! admin tools (user search, role changes, suspension).

use async_graphql::{Context, Guard, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::sessions::{AuthPayload, issue, open_session, throttled};
use super::tokens::refresh_token_hash;
use super::{db, normalize_email, passwords};
use crate::accounts::users::{User, UserRole};
use crate::graphql::context::RequestContext;
use crate::graphql::error::ApiResult;
use crate::graphql::guards::{AdminOnly, SignedIn};
use crate::graphql::ids::UserId;
use crate::graphql::pagination::{Connection, Page, Paged, Total, decode_cursor, page_size};
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// `register`'s input.
#[derive(InputObject)]
pub struct RegisterInput {
    /// The address to sign in with and to receive mail at: a valid address with a top-level
    /// domain, at most 254 characters, used by no other account. Stored trimmed and
    /// lower-cased; a verification link (valid 48 hours) is mailed to it.
    pub email: String,
    /// 10 to 128 characters, not one of the most common passwords, not containing the email
    /// address or the name, and not one character repeated.
    pub password: String,
    /// The name other people see (on reviews and messages): 1 to 120 characters after
    /// trimming.
    pub name: String,
}

/// `login`'s input.
#[derive(InputObject)]
pub struct LoginInput {
    /// The account's email address; case and surrounding spaces do not matter.
    pub email: String,
    /// The account's password.
    pub password: String,
}

/// Result of `logout` and `revokeSession`.
#[derive(SimpleObject, Default)]
pub struct LogoutPayload {
    /// True when the session is ended (also when it had ended before, for `logout`).
    pub ok: bool,
    /// Why nothing was ended; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of the admin mutations on users.
#[derive(SimpleObject, Default)]
pub struct UserPayload {
    /// The user after the change; null when there are user errors.
    pub user: Option<User>,
    /// Why nothing changed; empty on success.
    pub user_errors: Vec<UserError>,
}

/// A signed-in device or browser (one refresh-token family). Visible to its user and admins.
#[derive(SimpleObject)]
pub struct Session {
    /// Opaque global id: pass it to `revokeSession` to end the session, or to `node`.
    #[graphql(owned)]
    pub id: ID,
    /// The `User-Agent` header of the client that signed in; null when it sent none.
    pub user_agent: Option<String>,
    /// When the session started (the sign-in).
    pub created_at: DateTime<Utc>,
    /// When the session last traded its refresh token for new tokens (`refreshSession`);
    /// the sign-in time until it first does.
    pub last_used_at: DateTime<Utc>,
    /// Whether this is the session of the current request.
    pub current: bool,
}

/// Account mutations.
#[derive(Default)]
pub struct AccountMutations;

#[Object]
impl AccountMutations {
    /// Creates a buyer account and signs it in; a link to verify the address is mailed to
    /// it. Rate limited per client.
    /// User errors: INVALID, REQUIRED, TOO_SHORT, TOO_LONG, TAKEN.
    async fn register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account's email address, password and name.")]
        input: RegisterInput,
    ) -> Result<AuthPayload> {
        let rc = RequestContext::of(ctx);
        rc.auth
            .limits
            .registration(rc.client.ip)
            .await
            .map_err(throttled)?;
        let mut errors = Vec::new();
        let email = normalize_email(&input.email);
        if email.is_none() {
            errors.push(UserError::at(
                &["input", "email"],
                UserErrorCode::Invalid,
                crate::tr!("account-email-invalid"),
            ));
        }
        let name = input.name.trim();
        match name.chars().count() {
            0 => errors.push(UserError::at(
                &["input", "name"],
                UserErrorCode::Required,
                crate::tr!("account-name-required"),
            )),
            n if n > 120 => errors.push(UserError::at(
                &["input", "name"],
                UserErrorCode::TooLong,
                crate::tr!("account-name-too-long", max = 120),
            )),
            _ => {}
        }
        if let Some(problem) = passwords::policy_violation(&input.password, &input.email, name) {
            errors.push(problem.user_error(&["input", "password"]));
        }
        let Some(email) = email.filter(|_| errors.is_empty()) else {
            return Ok(AuthPayload {
                user_errors: errors,
                ..AuthPayload::default()
            });
        };
        let hash = passwords::hash(&input.password).await?;
        match super::self_service::register(rc, &email, name, &hash).await? {
            Some(user) => Ok(open_session(rc, user).await?),
            None => Ok(AuthPayload::error(UserError::at(
                &["input", "email"],
                UserErrorCode::Taken,
                crate::tr!("account-email-taken"),
            ))),
        }
    }

    /// Signs in with email and password. Rate limited per email address and per client.
    /// User errors: INVALID_CREDENTIALS, SUSPENDED.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email address and password.")] input: LoginInput,
    ) -> Result<AuthPayload> {
        let rc = RequestContext::of(ctx);
        let email = input.email.trim().to_lowercase();
        rc.auth
            .limits
            .login_attempt(&email, rc.client.ip)
            .await
            .map_err(throttled)?;
        let wrong = || {
            AuthPayload::error(UserError::general(
                UserErrorCode::InvalidCredentials,
                UserErrorCode::InvalidCredentials.message(),
            ))
        };
        if input.password.chars().count() > passwords::MAX_LENGTH {
            return Ok(wrong());
        }
        let credentials = db::credentials(&rc.db, &email).await?;
        let stored = credentials.as_ref().and_then(|c| c.password_hash.clone());
        // Unknown emails are verified against a dummy hash: both failures cost the same.
        if !passwords::verify(&input.password, stored).await {
            tracing::info!(client_ip = %rc.client.ip, "login failed");
            return Ok(wrong());
        }
        let Some(credentials) = credentials else {
            return Ok(wrong());
        };
        if credentials.suspended_at.is_some() {
            return Ok(AuthPayload::error(UserError::general(
                UserErrorCode::Suspended,
                UserErrorCode::Suspended.message(),
            )));
        }
        let user = rc.loaders.by_id::<User>().load_one(credentials.id).await?;
        let Some(user) = user else { return Ok(wrong()) };
        Ok(open_session(rc, user).await?)
    }

    /// Trades a refresh token for new tokens. The old refresh token stops working; using it
    /// again ends the whole session.
    /// User errors: INVALID_TOKEN.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The session's latest refresh token, as the last `register`, `login`, `refreshSession` or password change returned it. An unknown, expired or used one, or one of an ended session or a suspended account, is `INVALID_TOKEN`."
        )]
        refresh_token: String,
    ) -> Result<AuthPayload> {
        let rc = RequestContext::of(ctx);
        let invalid = || {
            AuthPayload::error(UserError::at(
                &["refreshToken"],
                UserErrorCode::InvalidToken,
                crate::tr!("refresh-token-invalid"),
            ))
        };
        match db::rotate(&rc.db, &refresh_token_hash(&refresh_token)).await? {
            db::Rotation::Rotated {
                user,
                family,
                token,
            } => match rc.loaders.by_id::<User>().load_one(user).await? {
                Some(user) => Ok(issue(rc, user, family, token)),
                None => Ok(invalid()),
            },
            db::Rotation::Reused { user, family } => {
                rc.auth.sessions.forget_session(family);
                tracing::warn!(
                    security_event = "refresh_token_reuse",
                    user_id = user.0,
                    session = %family,
                    client_ip = %rc.client.ip,
                    "refresh token reused: session revoked"
                );
                Ok(invalid())
            }
            db::Rotation::Refused => Ok(invalid()),
        }
    }

    /// Ends the session a refresh token belongs to: its access and refresh tokens stop
    /// working.
    /// User errors: INVALID_TOKEN.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A refresh token of the session to end (the latest, or any earlier one of the same session)."
        )]
        refresh_token: String,
    ) -> Result<LogoutPayload> {
        let rc = RequestContext::of(ctx);
        if let Some(family) = db::logout(&rc.db, &refresh_token_hash(&refresh_token)).await? {
            rc.auth.sessions.forget_session(family);
            Ok(LogoutPayload {
                ok: true,
                user_errors: Vec::new(),
            })
        } else {
            let error = UserError::at(
                &["refreshToken"],
                UserErrorCode::InvalidToken,
                crate::tr!("refresh-token-invalid"),
            );
            Ok(LogoutPayload {
                ok: false,
                user_errors: vec![error],
            })
        }
    }

    /// Ends one of the caller's sessions (any user's for admins).
    /// User errors: NOT_FOUND.
    /// Restricted: signed in.
    #[graphql(guard = "SignedIn")]
    async fn revoke_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The `Session.id` of a session still open; another user's session is `NOT_FOUND` unless the caller is an admin."
        )]
        id: ID,
    ) -> Result<LogoutPayload> {
        let rc = RequestContext::of(ctx);
        let not_found = || {
            let error = UserError::at(
                &["id"],
                UserErrorCode::NotFound,
                crate::tr!("session-not-found"),
            );
            LogoutPayload {
                ok: false,
                user_errors: vec![error],
            }
        };
        let Some(family) = session_uuid(&id) else {
            return Ok(not_found());
        };
        let owner = if rc.viewer.is_admin() {
            None
        } else {
            rc.viewer.user_id()
        };
        if db::revoke_session(&rc.db, family, owner).await? {
            rc.auth.sessions.forget_session(family);
            Ok(LogoutPayload {
                ok: true,
                user_errors: Vec::new(),
            })
        } else {
            Ok(not_found())
        }
    }

    /// Changes a user's role; it applies from the user's next request.
    /// User errors: NOT_FOUND.
    /// Restricted: admins.
    #[graphql(guard = "AdminOnly")]
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's global id.")] user_id: ID,
        #[graphql(desc = "The role to give.")] role: UserRole,
    ) -> Result<UserPayload> {
        let rc = RequestContext::of(ctx);
        let Some(id) = crate::accounts::users::resolve(&rc.db, &user_id).await? else {
            return Ok(user_not_found());
        };
        let changed = db::set_role(&rc.db, id, role).await?;
        rc.auth.sessions.forget_user(id);
        Ok(match changed {
            Some(user) => UserPayload {
                user: Some(user),
                user_errors: Vec::new(),
            },
            None => user_not_found(),
        })
    }

    /// Suspends a user: every session ends at once, and signing in is refused until
    /// `unsuspendUser`. Admins cannot suspend themselves (`INVALID`).
    /// User errors: INVALID, NOT_FOUND.
    /// Restricted: admins.
    #[graphql(guard = "AdminOnly")]
    async fn suspend_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's global id.")] user_id: ID,
    ) -> Result<UserPayload> {
        set_suspended(ctx, user_id, true).await
    }

    /// Lifts a suspension (nothing changes for a user who is not suspended).
    /// User errors: NOT_FOUND.
    /// Restricted: admins.
    #[graphql(guard = "AdminOnly")]
    async fn unsuspend_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's global id.")] user_id: ID,
    ) -> Result<UserPayload> {
        set_suspended(ctx, user_id, false).await
    }
}

fn user_not_found() -> UserPayload {
    UserPayload {
        user: None,
        user_errors: vec![UserError::at(
            &["userId"],
            UserErrorCode::NotFound,
            crate::tr!("user-not-found"),
        )],
    }
}

async fn set_suspended(ctx: &Context<'_>, user_id: ID, suspended: bool) -> Result<UserPayload> {
    let rc = RequestContext::of(ctx);
    let Some(id) = crate::accounts::users::resolve(&rc.db, &user_id).await? else {
        return Ok(user_not_found());
    };
    if suspended && rc.viewer.user_id() == Some(id) {
        let error = UserError::at(
            &["userId"],
            UserErrorCode::Invalid,
            crate::tr!("admin-cannot-suspend-self"),
        );
        return Ok(UserPayload {
            user: None,
            user_errors: vec![error],
        });
    }
    let changed = db::set_suspended(&rc.db, id, suspended).await?;
    rc.auth.sessions.forget_user(id);
    Ok(match changed {
        Some(user) => {
            tracing::info!(
                security_event = "user_suspension",
                user_id = id.0,
                suspended,
                "user suspension changed"
            );
            UserPayload {
                user: Some(user),
                user_errors: Vec::new(),
            }
        }
        None => user_not_found(),
    })
}

/// Admin queries on accounts.
#[derive(Default)]
pub struct AccountQueries;

#[Object]
impl AccountQueries {
    /// Users whose name or email contains `query`, by id. Restricted: admins.
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Text the name or the email address contains, ignoring case; null or blank lists every user."
        )]
        query: Option<String>,
        #[graphql(
            default = 20,
            desc = "How many users to return: default 20, at most 100."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; the page starts after it.")]
        after: Option<String>,
    ) -> Result<Option<UserConnection>> {
        AdminOnly.check(ctx).await?;
        let rc = RequestContext::of(ctx);
        let first = page_size(first)?;
        let cursor: Option<UserId> = after.as_deref().map(decode_cursor).transpose()?;
        let text = query.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let rows = db::search_users(&rc.db, text, cursor, first + 1).await?;
        let page = Page::from_overfetch(rows, first, cursor.is_some());
        Ok(Some(Connection::new(
            page,
            UsersMatching(text.map(str::to_owned)),
        )))
    }
}

/// A page of users, oldest account first.
pub type UserConnection = Connection<User, UsersMatching>;

/// `totalCount` of a page of users: how many match the search, over every page.
pub struct UsersMatching(Option<String>);

impl Total for UsersMatching {
    async fn total(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        db::count_users(&RequestContext::of(ctx).db, self.0.as_deref()).await
    }
}

impl Paged for User {
    type Key = UserId;

    /// The keyset position of this user in an oldest-first list: its id.
    fn cursor_key(&self) -> UserId {
        self.id
    }
}

/// The UUID a session id names: its global id, or (as `Session.id` was before it became a
/// node) the bare UUID, which `revokeSession` still takes.
fn session_uuid(id: &ID) -> Option<Uuid> {
    match crate::graphql::ids::decode(id) {
        Ok(crate::graphql::ids::GlobalRef::Session(uuid)) => Some(uuid),
        _ => Uuid::parse_str(id.as_str()).ok(),
    }
}

fn session_node(rc: &RequestContext, s: db::Session) -> Session {
    let current = match rc.viewer {
        crate::graphql::viewer::Viewer::User { session, .. } => Some(session),
        crate::graphql::viewer::Viewer::Anonymous => None,
    };
    Session {
        id: crate::graphql::ids::session_id(s.id),
        user_agent: s.user_agent,
        created_at: s.created_at,
        last_used_at: s.last_used_at,
        current: Some(s.id) == current,
    }
}

/// The sessions field of `User`, kept with the rest of accounts.
pub async fn sessions_of(ctx: &Context<'_>, user: UserId) -> Result<Vec<Session>> {
    let rc = RequestContext::of(ctx);
    Ok(db::sessions(&rc.db, user)
        .await?
        .into_iter()
        .map(|s| session_node(rc, s))
        .collect())
}

/// A live session by UUID, for `node`: only its user and admins see it.
pub async fn visible_session(rc: &RequestContext, session: Uuid) -> ApiResult<Option<Session>> {
    let Some(viewer) = rc.viewer.user_id() else {
        return Ok(None);
    };
    let Some((owner, row)) = db::session(&rc.db, session).await? else {
        return Ok(None);
    };
    Ok((owner == viewer || rc.viewer.is_admin()).then(|| session_node(rc, row)))
}
