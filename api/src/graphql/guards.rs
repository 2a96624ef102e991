//! Authorization guards. Every restricted field and mutation names one of these, and its
//! description says `Restricted:` so the authorization-matrix test can find it.
//!
//! Mutations use them as `#[graphql(guard = ...)]`. Nullable fields call `check` inside the
//! resolver instead: async-graphql 7.2 turns a failed attribute guard on a nullable field
//! into an error that nulls the parent object (async-graphql issue #1532), while an error
//! returned by the resolver nulls only the field, as the spec and API.md require.

use async_graphql::{Context, Guard, Result};

use crate::graphql::context::RequestContext;
use crate::graphql::error::ApiError;
use crate::graphql::ids::UserId;

/// Any signed-in user.
pub struct SignedIn;

impl Guard for SignedIn {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        match RequestContext::of(ctx).viewer.user_id() {
            Some(_) => Ok(()),
            None => Err(ApiError::Unauthenticated.into()),
        }
    }
}

/// Administrators only.
pub struct AdminOnly;

impl Guard for AdminOnly {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let viewer = &RequestContext::of(ctx).viewer;
        if viewer.user_id().is_none() {
            Err(ApiError::Unauthenticated.into())
        } else if viewer.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(crate::tr!("admin-only")).into())
        }
    }
}

/// The user `0` or an administrator. Anyone else, anonymous callers included, gets
/// `FORBIDDEN`: the field is private, whoever asks.
pub struct SelfOrAdmin(pub UserId);

impl Guard for SelfOrAdmin {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        if RequestContext::of(ctx).may_see_private_fields_of(self.0) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(crate::tr!("self-or-admin-only")).into())
        }
    }
}
