//! Account self-service: verifying the email address, resetting a forgotten password,
//! changing the password or the address, and exporting or deleting the account.
//!
//! Key rules:
//! - Every mailed token is single-use, stored only as its SHA-256, short-lived and tied to
//!   one user and one address. A token used twice is `TOKEN_USED`, a late one
//!   `TOKEN_EXPIRED`, and an unknown one, or one presented by another signed-in user,
//!   `INVALID_TOKEN`; none of them changes anything.
//! - `requestPasswordReset` answers the same body in the same time whether or not the
//!   address has an account: it checks its input and the rate limit, answers, and looks the
//!   address up afterwards ([`Mailer::in_background`]).
//! - A new password (reset or change) ends every session, so every older access and refresh
//!   token is refused; the caller gets a fresh session.
//! - Until the address is verified a user can browse, buy and review, but cannot open a
//!   store or start a conversation with a seller (`EMAIL_NOT_VERIFIED`): both put their
//!   address in front of other people.
//! - Every step is written to `account_audit`, in the transaction of the change.

pub mod db;

use std::sync::Arc;

use async_graphql::{Context, Json, Object, Result, SimpleObject};
use chrono::Duration;

use self::db::{Presented, Purpose};
use super::sessions::{AuthPayload, open_session, throttled};
use super::{normalize_email, passwords};
use crate::accounts::users::{User, query_users};
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::guards::SignedIn;
use crate::graphql::i18n::FluentValue;
use crate::graphql::ids::UserId;
use crate::graphql::user_errors::{UserError, UserErrorCode};
use crate::runtime::mail::{MailKind, Mailer, OutgoingMail};

/// How long a verification link works.
pub const VERIFY_TTL: Duration = Duration::hours(48);
/// How long a password-reset link works.
pub const RESET_TTL: Duration = Duration::minutes(30);
/// How long an email-change link works.
pub const CHANGE_EMAIL_TTL: Duration = Duration::hours(24);

/// Paths of the web front end that open the mailed links (with `?token=`).
pub const VERIFY_PATH: &str = "/cuenta/verificar";
pub const RESET_PATH: &str = "/cuenta/restablecer";
pub const CHANGE_EMAIL_PATH: &str = "/cuenta/confirmar-correo";

/// What an account request did: `ok` when it was taken, the user when the caller may see it.
#[derive(SimpleObject, Default)]
pub struct AccountPayload {
    /// True when the request was carried out (for `requestPasswordReset`: accepted, whether
    /// or not an account has the address).
    pub ok: bool,
    /// The user after `verifyEmail` or `confirmEmailChange`; null for the other mutations
    /// and when there are user errors.
    pub user: Option<User>,
    /// Why nothing was done; empty on success.
    pub user_errors: Vec<UserError>,
}

impl AccountPayload {
    fn done(user: Option<User>) -> Self {
        Self {
            ok: true,
            user,
            user_errors: Vec::new(),
        }
    }

    fn error(error: UserError) -> Self {
        Self {
            user_errors: vec![error],
            ..Self::default()
        }
    }
}

/// A mail in the request's language: `{prefix}-subject` and `{prefix}-body` of `mail.ftl`.
fn mail(
    kind: MailKind,
    user: UserId,
    to: &str,
    prefix: &str,
    args: &[(&str, FluentValue<'_>)],
) -> OutgoingMail {
    OutgoingMail {
        kind,
        user_id: Some(user),
        to: to.to_owned(),
        subject: crate::graphql::i18n::text(&format!("{prefix}-subject"), args),
        body: crate::graphql::i18n::text(&format!("{prefix}-body"), args),
    }
}

/// Queues the verification mail of `account` (inside the caller's transaction).
async fn queue_verification(
    conn: &mut sqlx::PgConnection,
    mailer: &Mailer,
    user: UserId,
    email: &str,
    name: &str,
) -> ApiResult<()> {
    let token = db::issue_token(conn, user, Purpose::VerifyEmail, email, VERIFY_TTL).await?;
    let link = mailer.link(VERIFY_PATH, &token);
    let mail = mail(
        MailKind::VerifyEmail,
        user,
        email,
        "mail-verify",
        &[
            ("name", name.into()),
            ("link", link.into()),
            ("hours", VERIFY_TTL.num_hours().into()),
        ],
    );
    Mailer::enqueue(conn, &mail).await
}

/// Creates a buyer with an unverified address and queues the verification mail, in one
/// transaction; `None` when the email is taken.
pub async fn register(
    rc: &RequestContext,
    email: &str,
    name: &str,
    password_hash: &str,
) -> ApiResult<Option<User>> {
    let mut tx = rc.db.begin().await?;
    let user: Option<User> = query_users!(
        "INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
         ON CONFLICT (email) DO NOTHING RETURNING",
        "",
        email,
        name,
        password_hash
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(user) = user else {
        return Ok(None);
    };
    queue_verification(&mut tx, &rc.auth.mailer, user.id, email, name).await?;
    db::audit(&mut tx, Some(user.id), "registered", rc.client.ip).await?;
    tx.commit().await?;
    rc.auth.mailer.wake();
    Ok(Some(user))
}

/// The user error for a token that cannot be used.
fn token_error(presented: &Presented) -> UserError {
    let code = match presented {
        Presented::Used => UserErrorCode::TokenUsed,
        Presented::Expired => UserErrorCode::TokenExpired,
        Presented::Unknown | Presented::Valid { .. } => UserErrorCode::InvalidToken,
    };
    UserError::code_at(&["token"], code)
}

/// The signed-in caller's id (the guard already refused anonymous callers).
fn caller(rc: &RequestContext) -> Result<UserId> {
    rc.viewer
        .user_id()
        .ok_or_else(|| ApiError::Unauthenticated.into())
}

/// The signed-in caller's account, locked in a new transaction (the guard already refused
/// anonymous callers; a session whose account went is unauthenticated).
async fn locked_caller(
    rc: &RequestContext,
) -> Result<(sqlx::Transaction<'static, sqlx::Postgres>, db::Account)> {
    let user = caller(rc)?;
    let mut tx = rc.db.begin().await?;
    match db::account_for_update(&mut tx, user).await? {
        Some(account) => Ok((tx, account)),
        None => Err(ApiError::Unauthenticated.into()),
    }
}

/// Checks `password` against the caller's, counted as a login attempt (so these mutations
/// are no way around the login limits). `Err` is a user error at `path`.
async fn check_password(
    rc: &RequestContext,
    account: &db::Account,
    password: &str,
    path: &str,
) -> Result<std::result::Result<(), UserError>> {
    rc.auth
        .limits
        .login_attempt(&account.email, rc.client.ip)
        .await
        .map_err(throttled)?;
    if password.chars().count() <= passwords::MAX_LENGTH
        && passwords::verify(password, account.password_hash.clone()).await
    {
        Ok(Ok(()))
    } else {
        tracing::info!(client_ip = %rc.client.ip, user_id = account.id.0, "password check failed");
        Ok(Err(UserError::code_at(
            &[path],
            UserErrorCode::InvalidCredentials,
        )))
    }
}

/// Sets `new_password` (under the registration policy, else a user error and nothing
/// written) as the password of `account`, ends every session (every older access and refresh
/// token is refused from the commit on), tells the owner by mail, commits `tx`, and opens a
/// new session for the caller.
async fn apply_new_password(
    rc: &RequestContext,
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    account: &db::Account,
    new_password: &str,
    action: &'static str,
) -> ApiResult<AuthPayload> {
    if let Some(problem) = passwords::policy_violation(new_password, &account.email, &account.name)
    {
        // Dropping `tx` rolls back what the caller did in it (a spent reset token).
        return Ok(AuthPayload::error(problem.user_error(&["newPassword"])));
    }
    let hash = passwords::hash(new_password).await?;
    let user = account.id;
    db::set_password(&mut tx, user, &hash).await?;
    db::end_all_sessions(&mut tx, user, action).await?;
    let notice = mail(
        MailKind::PasswordChanged,
        user,
        &account.email,
        "mail-password-changed",
        &[("name", account.name.as_str().into())],
    );
    Mailer::enqueue(&mut tx, &notice).await?;
    db::audit(&mut tx, Some(user), action, rc.client.ip).await?;
    let user_row = db::user(&mut tx, user).await?;
    tx.commit().await?;
    rc.auth.sessions.forget_user(user);
    rc.auth.mailer.wake();
    match user_row {
        Some(user) => open_session(rc, user).await,
        None => Err(ApiError::Unauthenticated),
    }
}

/// Account self-service mutations.
#[derive(Default)]
pub struct SelfServiceMutations;

#[Object]
impl SelfServiceMutations {
    /// Mails a new verification link to the caller's address (earlier links stop working).
    /// Rate limited per address. An address already verified is `INVALID`.
    /// User errors: INVALID.
    /// Restricted: signed in.
    #[graphql(guard = "SignedIn")]
    async fn request_email_verification(&self, ctx: &Context<'_>) -> Result<AccountPayload> {
        let rc = RequestContext::of(ctx);
        let (mut tx, account) = locked_caller(rc).await?;
        let user = account.id;
        if account.email_verified_at.is_some() {
            return Ok(AccountPayload::error(UserError::general(
                UserErrorCode::Invalid,
                crate::tr!("email-already-verified"),
            )));
        }
        rc.auth
            .limits
            .account_mail(&account.email, rc.client.ip)
            .await
            .map_err(throttled)?;
        queue_verification(
            &mut tx,
            &rc.auth.mailer,
            user,
            &account.email,
            &account.name,
        )
        .await?;
        db::audit(&mut tx, Some(user), "verification_requested", rc.client.ip).await?;
        tx.commit().await?;
        rc.auth.mailer.wake();
        Ok(AccountPayload::done(None))
    }

    /// Verifies an email address with the token of the mailed link (valid 48 hours, once).
    /// Works signed in or not (the link may be opened on another device), but not signed in
    /// as someone else.
    /// User errors: INVALID_TOKEN, TOKEN_EXPIRED, TOKEN_USED.
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token of the mailed link (its `token` query parameter).")]
        token: String,
    ) -> Result<AccountPayload> {
        let rc = RequestContext::of(ctx);
        let mut tx = rc.db.begin().await?;
        let presented = db::present_token(&mut tx, &token, Purpose::VerifyEmail).await?;
        let Presented::Valid { id, user, email } = &presented else {
            return Ok(AccountPayload::error(token_error(&presented)));
        };
        let someone_else = rc.viewer.user_id().is_some_and(|me| me != *user);
        let account = db::account_for_update(&mut tx, *user).await?;
        // A link for an address the account no longer has verifies nothing.
        let current = account
            .as_ref()
            .is_some_and(|a| a.email == *email && a.deleted_at.is_none());
        if someone_else || !current {
            return Ok(AccountPayload::error(token_error(&Presented::Unknown)));
        }
        db::use_token(&mut tx, *id).await?;
        db::mark_verified(&mut tx, *user).await?;
        db::audit(&mut tx, Some(*user), "email_verified", rc.client.ip).await?;
        let verified = db::user(&mut tx, *user).await?;
        tx.commit().await?;
        // The link proved the mailbox is theirs: the payload may show their own fields.
        rc.signed_in(*user);
        Ok(AccountPayload::done(verified))
    }

    /// Mails a password-reset link to `email` if an account has it. The answer is the same,
    /// in the same time, whether or not one does; only a malformed address or the rate
    /// limit (per address and per client) answer otherwise.
    /// User errors: INVALID.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The account's email address; case and surrounding spaces do not matter."
        )]
        email: String,
    ) -> Result<AccountPayload> {
        let rc = RequestContext::of(ctx);
        let Some(email) = normalize_email(&email) else {
            return Ok(AccountPayload::error(UserError::at(
                &["email"],
                UserErrorCode::Invalid,
                crate::tr!("account-email-invalid"),
            )));
        };
        rc.auth
            .limits
            .account_mail(&email, rc.client.ip)
            .await
            .map_err(throttled)?;
        let pool = rc.db.clone();
        let mailer = Arc::clone(&rc.auth.mailer);
        let ip = rc.client.ip;
        let locale = crate::graphql::i18n::current();
        rc.auth
            .mailer
            .in_background(crate::graphql::i18n::scope(locale, async move {
                let mut tx = pool.begin().await?;
                let account = db::account_by_email(&mut tx, &email).await?;
                let Some(account) = account.filter(|a| a.suspended_at.is_none()) else {
                    return Ok(());
                };
                let token = db::issue_token(
                    &mut tx,
                    account.id,
                    Purpose::ResetPassword,
                    &email,
                    RESET_TTL,
                )
                .await?;
                let link = mailer.link(RESET_PATH, &token);
                let mail = mail(
                    MailKind::ResetPassword,
                    account.id,
                    &email,
                    "mail-reset",
                    &[
                        ("name", account.name.as_str().into()),
                        ("link", link.into()),
                        ("minutes", RESET_TTL.num_minutes().into()),
                    ],
                );
                Mailer::enqueue(&mut tx, &mail).await?;
                db::audit(&mut tx, Some(account.id), "password_reset_requested", ip).await?;
                tx.commit().await?;
                // No wake: the sender's next poll (seconds) sends it. Waking it now would
                // put SMTP work beside the next requests only when the address exists.
                Ok(())
            }));
        Ok(AccountPayload::done(None))
    }

    /// Sets a new password with the token of the mailed reset link (valid 30 minutes,
    /// once). Every session ends (all older access and refresh tokens are refused), the
    /// address counts as verified (the link proved it), and a new session starts. The new
    /// password follows the rules of `register`.
    /// User errors: INVALID, TOO_SHORT, TOO_LONG, INVALID_TOKEN, TOKEN_EXPIRED, TOKEN_USED.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token of the mailed reset link (its `token` query parameter).")]
        token: String,
        #[graphql(
            desc = "The new password: 10 to 128 characters, not one of the most common passwords, not containing the email address or the name, and not one character repeated."
        )]
        new_password: String,
    ) -> Result<AuthPayload> {
        let rc = RequestContext::of(ctx);
        let mut tx = rc.db.begin().await?;
        let presented = db::present_token(&mut tx, &token, Purpose::ResetPassword).await?;
        let Presented::Valid { id, user, email } = &presented else {
            return Ok(AuthPayload::error(token_error(&presented)));
        };
        let account = db::account_for_update(&mut tx, *user).await?;
        let someone_else = rc.viewer.user_id().is_some_and(|me| me != *user);
        let Some(account) = account.filter(|a| {
            a.email == *email && a.deleted_at.is_none() && a.suspended_at.is_none() && !someone_else
        }) else {
            return Ok(AuthPayload::error(token_error(&Presented::Unknown)));
        };
        db::use_token(&mut tx, *id).await?;
        db::mark_verified(&mut tx, *user).await?;
        Ok(apply_new_password(rc, tx, &account, &new_password, "password_reset").await?)
    }

    /// Changes the password; needs the current one (a wrong one counts as a failed login).
    /// Every session ends, this one too (all older access and refresh tokens are refused),
    /// and the payload carries a new one. The new password follows the rules of `register`.
    /// User errors: INVALID, TOO_SHORT, TOO_LONG, INVALID_CREDENTIALS.
    /// Restricted: signed in.
    #[graphql(guard = "SignedIn")]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The password now in use.")] current_password: String,
        #[graphql(
            desc = "The new password: 10 to 128 characters, not one of the most common passwords, not containing the email address or the name, and not one character repeated."
        )]
        new_password: String,
    ) -> Result<AuthPayload> {
        let rc = RequestContext::of(ctx);
        let (tx, account) = locked_caller(rc).await?;
        if let Err(error) =
            check_password(rc, &account, &current_password, "currentPassword").await?
        {
            return Ok(AuthPayload::error(error));
        }
        Ok(apply_new_password(rc, tx, &account, &new_password, "password_changed").await?)
    }

    /// Asks to move the account to `newEmail`; needs the password (a wrong one counts as a
    /// failed login). A link (valid 24 hours) goes to the new address, and the address
    /// changes only when it is opened (`confirmEmailChange`). `newEmail` must be a valid
    /// address, not the current one, and used by no other account.
    /// User errors: INVALID, TAKEN, INVALID_CREDENTIALS.
    /// Restricted: signed in.
    #[graphql(guard = "SignedIn")]
    async fn request_email_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's current password.")] password: String,
        #[graphql(
            desc = "The address to move to: valid, not the current one, used by no other account."
        )]
        new_email: String,
    ) -> Result<AccountPayload> {
        let rc = RequestContext::of(ctx);
        let (mut tx, account) = locked_caller(rc).await?;
        let user = account.id;
        if let Err(error) = check_password(rc, &account, &password, "password").await? {
            return Ok(AccountPayload::error(error));
        }
        let Some(new_email) = normalize_email(&new_email) else {
            return Ok(AccountPayload::error(UserError::at(
                &["newEmail"],
                UserErrorCode::Invalid,
                crate::tr!("account-email-invalid"),
            )));
        };
        if new_email == account.email {
            return Ok(AccountPayload::error(UserError::at(
                &["newEmail"],
                UserErrorCode::Invalid,
                crate::tr!("email-unchanged"),
            )));
        }
        if db::email_taken(&mut tx, &new_email, user).await? {
            return Ok(AccountPayload::error(UserError::at(
                &["newEmail"],
                UserErrorCode::Taken,
                crate::tr!("account-email-taken"),
            )));
        }
        rc.auth
            .limits
            .account_mail(&new_email, rc.client.ip)
            .await
            .map_err(throttled)?;
        let token = db::issue_token(
            &mut tx,
            user,
            Purpose::ChangeEmail,
            &new_email,
            CHANGE_EMAIL_TTL,
        )
        .await?;
        let link = rc.auth.mailer.link(CHANGE_EMAIL_PATH, &token);
        let confirm = mail(
            MailKind::ConfirmEmailChange,
            user,
            &new_email,
            "mail-change-email",
            &[
                ("name", account.name.as_str().into()),
                ("link", link.into()),
                ("hours", CHANGE_EMAIL_TTL.num_hours().into()),
            ],
        );
        Mailer::enqueue(&mut tx, &confirm).await?;
        db::audit(&mut tx, Some(user), "email_change_requested", rc.client.ip).await?;
        tx.commit().await?;
        rc.auth.mailer.wake();
        Ok(AccountPayload::done(None))
    }

    /// Moves the account to the new address with the token of the link mailed to it; the
    /// old address is told. Works signed in or not, but not signed in as someone else. An
    /// address another account took meanwhile is `TAKEN`.
    /// User errors: TAKEN, INVALID_TOKEN, TOKEN_EXPIRED, TOKEN_USED.
    async fn confirm_email_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The token of the link mailed to the new address (its `token` query parameter)."
        )]
        token: String,
    ) -> Result<AccountPayload> {
        let rc = RequestContext::of(ctx);
        let mut tx = rc.db.begin().await?;
        let presented = db::present_token(&mut tx, &token, Purpose::ChangeEmail).await?;
        let Presented::Valid { id, user, email } = &presented else {
            return Ok(AccountPayload::error(token_error(&presented)));
        };
        let someone_else = rc.viewer.user_id().is_some_and(|me| me != *user);
        let account = db::account_for_update(&mut tx, *user).await?;
        let Some(account) = account.filter(|a| a.deleted_at.is_none() && !someone_else) else {
            return Ok(AccountPayload::error(token_error(&Presented::Unknown)));
        };
        if !db::set_email(&mut tx, *user, email).await? {
            return Ok(AccountPayload::error(UserError::at(
                &["token"],
                UserErrorCode::Taken,
                crate::tr!("account-email-taken"),
            )));
        }
        db::use_token(&mut tx, *id).await?;
        let notice = mail(
            MailKind::EmailChanged,
            *user,
            &account.email,
            "mail-email-changed",
            &[("name", account.name.as_str().into())],
        );
        Mailer::enqueue(&mut tx, &notice).await?;
        db::audit(&mut tx, Some(*user), "email_changed", rc.client.ip).await?;
        let user_row = db::user(&mut tx, *user).await?;
        tx.commit().await?;
        rc.auth.mailer.wake();
        if let Some(user) = &user_row {
            rc.signed_in(user.id);
        }
        Ok(AccountPayload::done(user_row))
    }

    /// Deletes the caller's account; needs the password (a wrong one counts as a failed
    /// login). Personal data is removed or replaced and every session ends; orders stay for
    /// the sellers' records with the buyer anonymised. Refused while orders (to buy or to
    /// sell) are pending, paid or shipped (`OPEN_ORDERS`).
    /// User errors: INVALID_CREDENTIALS, OPEN_ORDERS.
    /// Restricted: signed in.
    #[graphql(guard = "SignedIn")]
    async fn delete_my_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's current password.")] password: String,
    ) -> Result<AccountPayload> {
        let rc = RequestContext::of(ctx);
        let (mut tx, account) = locked_caller(rc).await?;
        let user = account.id;
        if let Err(error) = check_password(rc, &account, &password, "password").await? {
            return Ok(AccountPayload::error(error));
        }
        let open = db::open_orders(&mut tx, user).await?;
        if open > 0 {
            return Ok(AccountPayload::error(UserError::general(
                UserErrorCode::OpenOrders,
                crate::tr!("account-open-orders", count = open),
            )));
        }
        db::anonymise(&mut tx, user).await?;
        db::audit(&mut tx, Some(user), "account_deleted", rc.client.ip).await?;
        tx.commit().await?;
        rc.auth.sessions.forget_user(user);
        tracing::info!(
            security_event = "account_deleted",
            user_id = user.0,
            "account deleted"
        );
        Ok(AccountPayload::done(None))
    }
}

/// Account self-service queries.
#[derive(Default)]
pub struct SelfServiceQueries;

#[Object]
impl SelfServiceQueries {
    /// Everything TextiSur holds about the caller, as one JSON document: profile, addresses,
    /// sessions, stores, orders, cart, conversations with their messages, reviews and the
    /// account's history. Restricted: signed in.
    #[graphql(guard = "SignedIn")]
    async fn export_my_data(&self, ctx: &Context<'_>) -> Result<Json<serde_json::Value>> {
        let rc = RequestContext::of(ctx);
        let user = caller(rc)?;
        let mut tx = rc.db.begin().await?;
        let document = db::export(&mut tx, user).await?;
        db::audit(&mut tx, Some(user), "data_exported", rc.client.ip).await?;
        tx.commit().await?;
        Ok(Json(document))
    }
}

/// `EMAIL_NOT_VERIFIED` when `user` has not verified their address yet: for the steps that
/// put it in front of other people (opening a store, writing to a seller).
pub async fn unverified(rc: &RequestContext, user: UserId) -> ApiResult<Option<UserError>> {
    let verified = sqlx::query_scalar!(
        r#"SELECT email_verified_at IS NOT NULL AS "verified!" FROM users WHERE id = $1"#,
        user.0
    )
    .fetch_optional(rc.db.executor())
    .await?;
    Ok((verified != Some(true)).then(|| {
        UserError::general(
            UserErrorCode::EmailNotVerified,
            UserErrorCode::EmailNotVerified.message(),
        )
    }))
}
