//! SQL of account self-service: single-use tokens, the account row, the audit trail, the
//! export and the anonymisation of a deleted account.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;

use crate::accounts::tokens::{new_refresh_token, refresh_token_hash};
use crate::accounts::users::{User, query_users};
use crate::graphql::error::ApiResult;
use crate::graphql::ids::UserId;

/// What a mailed token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(
    type_name = "account_token_purpose",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    ChangeEmail,
}

/// Creates a token for `user` sent to `email`; earlier unused tokens of the same purpose
/// stop working (the newest mail is the one that counts). Returns the token itself, which
/// only the mail will hold.
pub async fn issue_token(
    conn: &mut PgConnection,
    user: UserId,
    purpose: Purpose,
    email: &str,
    ttl: Duration,
) -> ApiResult<String> {
    sqlx::query!(
        "DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        user.0,
        purpose as Purpose
    )
    .execute(&mut *conn)
    .await?;
    // 32 random bytes, URL-safe base64: the same shape as refresh tokens.
    let (token, hash) = new_refresh_token();
    sqlx::query!(
        "INSERT INTO account_tokens (user_id, purpose, token_hash, email, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))",
        user.0,
        purpose as Purpose,
        &hash,
        email,
        ttl.num_seconds() as f64
    )
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

/// A presented token, locked until the caller's transaction ends.
#[derive(Debug)]
pub enum Presented {
    /// Usable: mark it used in the same transaction that acts on it.
    Valid {
        id: i64,
        user: UserId,
        email: String,
    },
    Unknown,
    Used,
    Expired,
}

/// Looks a token up for `purpose` and locks it: two clicks on one link act once.
pub async fn present_token(
    conn: &mut PgConnection,
    token: &str,
    purpose: Purpose,
) -> ApiResult<Presented> {
    let row = sqlx::query!(
        r#"SELECT id, user_id AS "user_id: UserId", email, used_at IS NOT NULL AS "used!",
                expires_at <= now() AS "expired!"
         FROM account_tokens WHERE token_hash = $1 AND purpose = $2 FOR UPDATE"#,
        &refresh_token_hash(token.trim()),
        purpose as Purpose
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        None => Presented::Unknown,
        Some(row) if row.used => Presented::Used,
        Some(row) if row.expired => Presented::Expired,
        Some(row) => Presented::Valid {
            id: row.id,
            user: row.user_id,
            email: row.email,
        },
    })
}

/// Spends a token.
pub async fn use_token(conn: &mut PgConnection, id: i64) -> ApiResult<()> {
    sqlx::query!(
        "UPDATE account_tokens SET used_at = now() WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The account row as self-service needs it.
#[derive(Debug)]
pub struct Account {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub suspended_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A compile-checked statement that returns [`Account`] rows, given the SQL after the
/// column list and the arguments.
macro_rules! query_accounts {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Account,
            r#"SELECT id AS "id: UserId", email, name, password_hash, email_verified_at,
                      suspended_at, deleted_at "# + $tail
            $(, $arg)*
        )
    };
}

/// The account of `user`, locked for the caller's transaction.
pub async fn account_for_update(
    conn: &mut PgConnection,
    user: UserId,
) -> ApiResult<Option<Account>> {
    Ok(
        query_accounts!("FROM users WHERE id = $1 FOR UPDATE", user.0)
            .fetch_optional(conn)
            .await?,
    )
}

/// The live account with this (normalised) email.
pub async fn account_by_email(conn: &mut PgConnection, email: &str) -> ApiResult<Option<Account>> {
    Ok(
        query_accounts!("FROM users WHERE email = $1 AND deleted_at IS NULL", email)
            .fetch_optional(conn)
            .await?,
    )
}

/// The user row straight from PostgreSQL (not the row cache, which hears of this
/// transaction's change only after it commits).
pub async fn user(conn: &mut PgConnection, user: UserId) -> ApiResult<Option<User>> {
    Ok(query_users!("SELECT", "FROM users WHERE id = $1", user.0)
        .fetch_optional(conn)
        .await?)
}

/// Whether another account has this email.
pub async fn email_taken(
    conn: &mut PgConnection,
    email: &str,
    by_other_than: UserId,
) -> ApiResult<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE email = $1 AND id <> $2) AS "taken!""#,
        email,
        by_other_than.0
    )
    .fetch_one(conn)
    .await?)
}

pub async fn mark_verified(conn: &mut PgConnection, user: UserId) -> ApiResult<()> {
    sqlx::query!(
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, now()), updated_at = now()
         WHERE id = $1",
        user.0
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_password(conn: &mut PgConnection, user: UserId, hash: &str) -> ApiResult<()> {
    sqlx::query!(
        "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1",
        user.0,
        hash
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves the account to a new, verified address. `false` when another account took it.
pub async fn set_email(conn: &mut PgConnection, user: UserId, email: &str) -> ApiResult<bool> {
    let changed = sqlx::query!(
        "UPDATE users SET email = $2, email_verified_at = now(), updated_at = now()
         WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM users WHERE email = $2 AND id <> $1)",
        user.0,
        email
    )
    .execute(conn)
    .await?;
    Ok(changed.rows_affected() == 1)
}

/// Revokes every session of `user` (older access tokens die with them) and tells every
/// process at commit.
pub async fn end_all_sessions(
    conn: &mut PgConnection,
    user: UserId,
    reason: &str,
) -> ApiResult<()> {
    sqlx::query!(
        "UPDATE refresh_token_families SET revoked_at = now(), revoke_reason = $2
         WHERE user_id = $1 AND revoked_at IS NULL",
        user.0,
        reason
    )
    .execute(&mut *conn)
    .await?;
    crate::accounts::db::sessions_ended(conn, user, None).await
}

/// Records a self-service step (what, who, from where: never a name or an address).
pub async fn audit(
    conn: &mut PgConnection,
    user: Option<UserId>,
    action: &str,
    ip: IpAddr,
) -> ApiResult<()> {
    // Text cast to inet in SQL: sqlx's own inet type needs a feature this crate has no other
    // use for.
    sqlx::query!(
        "INSERT INTO account_audit (user_id, action, client_ip) VALUES ($1, $2, $3::text::inet)",
        user.map(|u| u.0),
        action,
        ip.to_string()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Orders still open that involve `user`: as buyer, or in a store they run.
pub async fn open_orders(conn: &mut PgConnection, user: UserId) -> ApiResult<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "open!" FROM orders o
         WHERE o.status IN ('PENDING', 'PAID', 'SHIPPED')
           AND (o.buyer_id = $1 OR o.store_id IN (SELECT id FROM stores WHERE owner_id = $1))"#,
        user.0
    )
    .fetch_one(conn)
    .await?)
}

/// The name a deleted account shows where its past remains (orders, reviews, messages).
pub const DELETED_NAME: &str = "Usuario eliminado";

/// Removes or replaces everything personal of `user`, keeping what others need:
/// - the user row stays (orders, reviews and messages point at it) with a placeholder name,
///   an address at the reserved `.invalid` domain, no password and `deleted_at` set;
/// - orders stay for the sellers' records, pointing at the anonymous row;
/// - messages the user wrote and the text of their reviews are replaced (ratings stay, so
///   stores' and products' ratings do not change);
/// - sessions, tokens, cart, checkout keys and queued or sent mail to them are deleted;
/// - the products of stores they ran are archived: nothing stays on sale without a seller.
pub async fn anonymise(conn: &mut PgConnection, user: UserId) -> ApiResult<()> {
    // Each statement on its own, each checked against the schema at compile time.
    macro_rules! for_user {
        ($($statement:literal),+ $(,)?) => {
            $(sqlx::query!($statement, user.0).execute(&mut *conn).await?;)+
        };
    }
    for_user!(
        "DELETE FROM refresh_token_families WHERE user_id = $1",
        "DELETE FROM account_tokens WHERE user_id = $1",
        "DELETE FROM cart_lines WHERE user_id = $1",
        "DELETE FROM idempotency_keys WHERE user_id = $1",
        "DELETE FROM mail_outbox WHERE user_id = $1
            OR recipient = (SELECT email FROM users WHERE id = $1)",
        "UPDATE messages SET body = '[mensaje eliminado]' WHERE sender_id = $1",
        "UPDATE reviews SET body = '' WHERE author_id = $1 AND body <> ''",
        "UPDATE products SET status = 'ARCHIVED', updated_at = now()
            WHERE status <> 'ARCHIVED' AND store_id IN (SELECT id FROM stores WHERE owner_id = $1)",
    );
    sqlx::query!(
        "UPDATE users SET name = $2, email = 'deleted-' || public_id || '@deleted.invalid',
                password_hash = NULL, email_verified_at = NULL, deleted_at = now(),
                updated_at = now()
         WHERE id = $1",
        user.0,
        DELETED_NAME
    )
    .execute(&mut *conn)
    .await?;
    crate::accounts::db::sessions_ended(conn, user, None).await
}

/// Everything held about `user`, as one JSON document (the law's right of access).
pub async fn export(conn: &mut PgConnection, user: UserId) -> ApiResult<serde_json::Value> {
    // `json`, not `jsonb`: keys stay in the order written here.
    Ok(sqlx::query_scalar!(
        r#"SELECT json_build_object(
            'exportedAt', now(),
            'profile', (SELECT json_build_object(
                'name', u.name, 'email', u.email, 'role', u.role,
                'emailVerifiedAt', u.email_verified_at, 'createdAt', u.created_at,
                'suspendedAt', u.suspended_at)
              FROM users u WHERE u.id = $1),
            'addresses', '[]'::json,
            'sessions', COALESCE((SELECT json_agg(json_build_object(
                'userAgent', f.user_agent, 'createdAt', f.created_at,
                'lastUsedAt', f.last_used_at, 'revokedAt', f.revoked_at)
              ORDER BY f.created_at)
              FROM refresh_token_families f WHERE f.user_id = $1), '[]'::json),
            'stores', COALESCE((SELECT json_agg(json_build_object(
                'slug', s.slug, 'name', s.name, 'description', s.description, 'city', s.city,
                'region', s.region, 'countryCode', s.country_code, 'createdAt', s.created_at)
              ORDER BY s.id)
              FROM stores s WHERE s.owner_id = $1), '[]'::json),
            'orders', COALESCE((SELECT json_agg(json_build_object(
                'number', o.number, 'status', o.status, 'total', o.total,
                'currencyCode', o.currency_code, 'createdAt', o.created_at,
                'store', (SELECT s.name FROM stores s WHERE s.id = o.store_id),
                'lines', (SELECT json_agg(json_build_object(
                    'productName', l.product_name, 'unit', l.unit, 'quantity', l.quantity,
                    'unitPrice', l.unit_price, 'lineTotal', l.line_total)
                  ORDER BY l.product_id)
                  FROM order_lines l WHERE l.order_id = o.id))
              ORDER BY o.id)
              FROM orders o WHERE o.buyer_id = $1), '[]'::json),
            'cart', COALESCE((SELECT json_agg(json_build_object(
                'product', p.name, 'quantity', c.quantity, 'addedAt', c.added_at)
              ORDER BY c.added_at, c.product_id)
              FROM cart_lines c JOIN products p ON p.id = c.product_id
              WHERE c.user_id = $1), '[]'::json),
            'conversations', COALESCE((SELECT json_agg(json_build_object(
                'store', (SELECT s.name FROM stores s WHERE s.id = cv.store_id),
                'createdAt', cv.created_at,
                'messages', (SELECT json_agg(json_build_object(
                    'sentByMe', m.sender_id = $1, 'body', m.body, 'createdAt', m.created_at)
                  ORDER BY m.created_at, m.id)
                  FROM messages m WHERE m.conversation_id = cv.id))
              ORDER BY cv.id)
              FROM conversations cv WHERE cv.buyer_id = $1
                 OR cv.store_id IN (SELECT id FROM stores WHERE owner_id = $1)), '[]'::json),
            'reviews', COALESCE((SELECT json_agg(json_build_object(
                'product', p.name, 'rating', r.rating, 'body', r.body, 'createdAt', r.created_at)
              ORDER BY r.id)
              FROM reviews r JOIN products p ON p.id = r.product_id
              WHERE r.author_id = $1), '[]'::json),
            'accountHistory', COALESCE((SELECT json_agg(json_build_object(
                'action', a.action, 'at', a.created_at)
              ORDER BY a.id)
              FROM account_audit a WHERE a.user_id = $1), '[]'::json)
          ) AS "export!""#,
        user.0
    )
    .fetch_one(conn)
    .await?)
}
