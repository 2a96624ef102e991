//! SQL of accounts: users' credentials, sessions (refresh-token families) and their tokens.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::tokens::{REFRESH_TTL, new_refresh_token};
use crate::accounts::users::{User, UserRole, query_users};
use crate::graphql::error::ApiResult;
use crate::graphql::ids::UserId;
use crate::runtime::db::Db;
use crate::runtime::events::{self, Event};

/// What login needs to know about an email.
#[derive(Debug, sqlx::FromRow)]
pub struct Credentials {
    pub id: UserId,
    pub password_hash: Option<String>,
    pub suspended_at: Option<DateTime<Utc>>,
}

/// The credentials of the user with this (normalised) email.
pub async fn credentials(db: &Db, email: &str) -> ApiResult<Option<Credentials>> {
    Ok(sqlx::query_as!(
        Credentials,
        r#"SELECT id AS "id: UserId", password_hash, suspended_at FROM users WHERE email = $1"#,
        email
    )
    .fetch_optional(db.executor())
    .await?)
}

/// Opens a session for `user`: a new family and its first refresh token.
pub async fn start_session(
    db: &Db,
    user: UserId,
    user_agent: Option<&str>,
) -> ApiResult<(Uuid, String)> {
    let family = Uuid::new_v4();
    let (token, hash) = new_refresh_token();
    let mut tx = db.begin().await?;
    let user_agent = user_agent.map(|ua| ua.chars().take(200).collect::<String>());
    sqlx::query!(
        "INSERT INTO refresh_token_families (id, user_id, user_agent) VALUES ($1, $2, $3)",
        family,
        user.0,
        user_agent
    )
    .execute(&mut *tx)
    .await?;
    insert_refresh_token(&mut tx, family, &hash).await?;
    tx.commit().await?;
    Ok((family, token))
}

/// What presenting a refresh token did.
#[derive(Debug)]
pub enum Rotation {
    /// The token was current: here is its successor.
    Rotated {
        user: UserId,
        family: Uuid,
        token: String,
    },
    /// The token had already been rotated: the whole family is now revoked.
    Reused { user: UserId, family: Uuid },
    /// Unknown, expired, revoked, or the user is suspended.
    Refused,
}

struct PresentedToken {
    id: i64,
    family_id: Uuid,
    user_id: UserId,
    expired: bool,
    rotated: bool,
    family_revoked: bool,
    suspended: bool,
}

/// Rotates a refresh token; a second use of one token revokes its family.
pub async fn rotate(db: &Db, hash: &[u8]) -> ApiResult<Rotation> {
    let mut tx = db.begin().await?;
    // Row locks serialise two presentations of the same token: the second one sees it rotated.
    let presented = sqlx::query_as!(
        PresentedToken,
        r#"SELECT t.id, t.family_id, f.user_id AS "user_id: UserId",
                t.expires_at <= now() AS "expired!",
                t.rotated_at IS NOT NULL AS "rotated!",
                f.revoked_at IS NOT NULL AS "family_revoked!",
                u.suspended_at IS NOT NULL AS "suspended!"
         FROM refresh_tokens t
         JOIN refresh_token_families f ON f.id = t.family_id
         JOIN users u ON u.id = f.user_id
         WHERE t.token_hash = $1
         FOR UPDATE OF t, f"#,
        hash
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(t) = presented else {
        return Ok(Rotation::Refused);
    };
    if t.family_revoked || t.suspended || t.expired {
        return Ok(Rotation::Refused);
    }
    if t.rotated {
        revoke_family_in(&mut tx, t.family_id, "refresh token reused").await?;
        sessions_ended(&mut tx, t.user_id, Some(t.family_id)).await?;
        tx.commit().await?;
        return Ok(Rotation::Reused {
            user: t.user_id,
            family: t.family_id,
        });
    }
    let (token, new_hash) = new_refresh_token();
    sqlx::query!(
        "UPDATE refresh_tokens SET rotated_at = now() WHERE id = $1",
        t.id
    )
    .execute(&mut *tx)
    .await?;
    insert_refresh_token(&mut tx, t.family_id, &new_hash).await?;
    sqlx::query!(
        "UPDATE refresh_token_families SET last_used_at = now() WHERE id = $1",
        t.family_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Rotation::Rotated {
        user: t.user_id,
        family: t.family_id,
        token,
    })
}

/// The next refresh token of `family`, valid for [`REFRESH_TTL`].
async fn insert_refresh_token(
    tx: &mut sqlx::PgConnection,
    family: Uuid,
    hash: &[u8],
) -> ApiResult<()> {
    sqlx::query!(
        "INSERT INTO refresh_tokens (family_id, token_hash, expires_at)
         VALUES ($1, $2, now() + make_interval(secs => $3))",
        family,
        hash,
        REFRESH_TTL.num_seconds() as f64
    )
    .execute(tx)
    .await?;
    Ok(())
}

async fn revoke_family_in(
    tx: &mut sqlx::PgConnection,
    family: Uuid,
    reason: &str,
) -> ApiResult<()> {
    sqlx::query!(
        "UPDATE refresh_token_families SET revoked_at = now(), revoke_reason = $2
         WHERE id = $1 AND revoked_at IS NULL",
        family,
        reason
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Tells every server process, when the caller's transaction commits, that sessions of
/// `user` ended (one, or all of them when `session` is `None`): their sockets close.
pub async fn sessions_ended(
    tx: &mut sqlx::PgConnection,
    user: UserId,
    session: Option<Uuid>,
) -> ApiResult<()> {
    let event = Event::SessionsEnded {
        user_id: user,
        session,
    };
    events::notify(tx, &event).await?;
    Ok(())
}

/// Revokes the session a refresh token belongs to; returns it, `None` when the token is
/// unknown.
pub async fn logout(db: &Db, hash: &[u8]) -> ApiResult<Option<Uuid>> {
    let mut tx = db.begin().await?;
    let revoked = sqlx::query!(
        r#"UPDATE refresh_token_families f SET revoked_at = COALESCE(f.revoked_at, now()),
                revoke_reason = COALESCE(f.revoke_reason, 'logout')
         FROM refresh_tokens t WHERE t.family_id = f.id AND t.token_hash = $1
         RETURNING f.id, f.user_id AS "user_id: UserId""#,
        hash
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|row| (row.id, row.user_id));
    if let Some((family, user)) = revoked {
        sessions_ended(&mut tx, user, Some(family)).await?;
    }
    tx.commit().await?;
    Ok(revoked.map(|(family, _)| family))
}

/// Revokes one of `user`'s sessions (any user's when `user` is `None`); false when not found.
pub async fn revoke_session(db: &Db, family: Uuid, user: Option<UserId>) -> ApiResult<bool> {
    let mut tx = db.begin().await?;
    let owner = sqlx::query_scalar!(
        r#"UPDATE refresh_token_families SET revoked_at = now(), revoke_reason = 'revoked'
         WHERE id = $1 AND ($2::bigint IS NULL OR user_id = $2) AND revoked_at IS NULL
         RETURNING user_id AS "user_id: UserId""#,
        family,
        user.map(|u| u.0)
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(owner) = owner {
        sessions_ended(&mut tx, owner, Some(family)).await?;
    }
    tx.commit().await?;
    Ok(owner.is_some())
}

/// A live session of a user.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: Uuid,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
}

/// The sessions of `user` that are not revoked, most recently used first.
pub async fn sessions(db: &Db, user: UserId) -> ApiResult<Vec<Session>> {
    Ok(sqlx::query_as!(
        Session,
        "SELECT id, user_agent, created_at, last_used_at FROM refresh_token_families
         WHERE user_id = $1 AND revoked_at IS NULL ORDER BY last_used_at DESC LIMIT 100",
        user.0
    )
    .fetch_all(db.executor())
    .await?)
}

/// A live session by UUID, with its user.
pub async fn session(db: &Db, session: Uuid) -> ApiResult<Option<(UserId, Session)>> {
    let row = sqlx::query!(
        r#"SELECT user_id AS "user_id: UserId", id, user_agent, created_at, last_used_at
         FROM refresh_token_families WHERE id = $1 AND revoked_at IS NULL"#,
        session
    )
    .fetch_optional(db.executor())
    .await?;
    Ok(row.map(|r| {
        let session = Session {
            id: r.id,
            user_agent: r.user_agent,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        };
        (r.user_id, session)
    }))
}

/// The role of an access token's user, if the user exists, is not suspended and the session
/// is live: one statement per authenticated request, so revocations act at once.
pub async fn live_role(db: &Db, user: UserId, family: Uuid) -> ApiResult<Option<UserRole>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT u.role AS "role: UserRole" FROM users u
         JOIN refresh_token_families f ON f.id = $2 AND f.user_id = u.id
         WHERE u.id = $1 AND u.suspended_at IS NULL AND f.revoked_at IS NULL"#,
        user.0,
        family
    )
    .fetch_optional(db.executor())
    .await?)
}

/// Sets a user's role; their open sockets, opened under the old one, close.
pub async fn set_role(db: &Db, user: UserId, role: UserRole) -> ApiResult<Option<User>> {
    let mut tx = db.begin().await?;
    let updated = query_users!(
        "UPDATE users SET role = $2, updated_at = now() WHERE id = $1 RETURNING",
        "",
        user.0,
        role as UserRole
    )
    .fetch_optional(&mut *tx)
    .await?;
    if updated.is_some() {
        sessions_ended(&mut tx, user, None).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

/// Suspends a user and revokes every session, or lifts the suspension.
pub async fn set_suspended(db: &Db, user: UserId, suspended: bool) -> ApiResult<Option<User>> {
    let mut tx = db.begin().await?;
    let updated = query_users!(
        "UPDATE users SET suspended_at = CASE WHEN $2 THEN COALESCE(suspended_at, now()) END,
         updated_at = now() WHERE id = $1 RETURNING",
        "",
        user.0,
        suspended
    )
    .fetch_optional(&mut *tx)
    .await?;
    if suspended && updated.is_some() {
        sqlx::query!(
            "UPDATE refresh_token_families SET revoked_at = now(), revoke_reason = 'suspended'
             WHERE user_id = $1 AND revoked_at IS NULL",
            user.0
        )
        .execute(&mut *tx)
        .await?;
        sessions_ended(&mut tx, user, None).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

/// The `ILIKE` pattern of a user search: `text` anywhere, matched literally.
fn user_pattern(text: Option<&str>) -> Option<String> {
    text.map(|t| {
        format!(
            "%{}%",
            t.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    })
}

/// How many users have `text` in their name or email (every user without text).
pub async fn count_users(db: &Db, text: Option<&str>) -> ApiResult<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM users
         WHERE ($1::text IS NULL OR email ILIKE $1 OR name ILIKE $1)"#,
        user_pattern(text)
    )
    .fetch_one(db.executor())
    .await?)
}

/// Users whose name or email contains `text`, by id, after `after`.
pub async fn search_users(
    db: &Db,
    text: Option<&str>,
    after: Option<UserId>,
    limit: usize,
) -> ApiResult<Vec<User>> {
    Ok(query_users!(
        "SELECT",
        "FROM users
         WHERE ($1::text IS NULL OR email ILIKE $1 OR name ILIKE $1)
           AND ($2::bigint IS NULL OR id > $2)
         ORDER BY id LIMIT $3",
        user_pattern(text),
        after.map(|a| a.0),
        limit as i64
    )
    .fetch_all(db.executor())
    .await?)
}
