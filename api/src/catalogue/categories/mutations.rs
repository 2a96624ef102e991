//! Admin mutations on the category tree: create, rename, move.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use super::{Category, MAX_CATEGORIES};
use crate::graphql::context::RequestContext;
use crate::graphql::error::ApiError;
use crate::graphql::guards::AdminOnly;
use crate::graphql::ids::CategoryId;
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// Input of `createCategory` and `updateCategory` (absent fields keep their value on update).
#[derive(InputObject, Default)]
pub struct CategoryInput {
    /// The name, 2 to 80 characters after trimming; required by `createCategory`. The slug
    /// is made from it on creation and stays.
    pub name: Option<String>,
    /// The parent category. On update `null` makes the category top-level and leaving the
    /// field out keeps its parent; on creation `null` or absent is top-level.
    pub parent_id: MaybeUndefined<ID>,
    /// `updateCategory` only: true makes the category top-level, whatever `parentId` says.
    #[graphql(
        default,
        deprecation = "Send `parentId: null` instead; removal not before 2027-06-06."
    )]
    pub move_to_root: bool,
    /// Where the category goes among its siblings: lower first, ties by creation. Null: 0
    /// on creation, the current position on update.
    pub position: Option<i32>,
}

/// Result of the category mutations.
#[derive(SimpleObject, Default)]
pub struct CategoryPayload {
    /// The category as written; null when there are user errors.
    pub category: Option<Category>,
    /// Why nothing was written; empty on success.
    pub user_errors: Vec<UserError>,
}

fn failed(error: UserError) -> CategoryPayload {
    CategoryPayload {
        category: None,
        user_errors: vec![error],
    }
}

/// Category mutations.
#[derive(Default)]
pub struct CategoryMutations;

#[Object]
impl CategoryMutations {
    /// Adds a category, at the top level or under `parentId`. The tree holds at most 200
    /// categories (`LIMIT_REACHED`).
    /// User errors: INVALID, NOT_FOUND, LIMIT_REACHED.
    /// Restricted: admins.
    #[graphql(guard = "AdminOnly")]
    async fn create_category(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new category; `name` is required.")] input: CategoryInput,
    ) -> Result<CategoryPayload> {
        let rc = RequestContext::of(ctx);
        let name = input
            .name
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_owned();
        if !(2..=80).contains(&name.chars().count()) {
            return Ok(failed(UserError::at(
                &["input", "name"],
                UserErrorCode::Invalid,
                crate::tr!("category-name-length"),
            )));
        }
        let parent = match input.parent_id.value() {
            Some(id) => match CategoryId::from_global(id).ok() {
                Some(parent)
                    if rc
                        .loaders
                        .by_id::<Category>()
                        .load_one(parent)
                        .await?
                        .is_some() =>
                {
                    Some(parent)
                }
                _ => {
                    return Ok(failed(UserError::at(
                        &["input", "parentId"],
                        UserErrorCode::NotFound,
                        crate::tr!("category-not-found"),
                    )));
                }
            },
            None => None,
        };
        let base = slug::slugify(&name);
        let category = sqlx::query_as!(
            Category,
            r#"INSERT INTO categories (parent_id, slug, name, position)
               SELECT $1::bigint,
                      CASE WHEN NOT EXISTS (SELECT 1 FROM categories WHERE slug = $2::text) THEN $2
                           ELSE $2 || '-' || (SELECT count(*) + 1 FROM categories WHERE slug LIKE $2 || '-%') END,
                      $3::text, $4::int
               WHERE (SELECT count(*) FROM categories) < $5
               RETURNING id AS "id: CategoryId", parent_id AS "parent_id: CategoryId", slug, name,
                         position"#,
            parent.map(|p| p.0),
            &base,
            &name,
            input.position.unwrap_or(0),
            MAX_CATEGORIES as i64
        )
        .fetch_optional(rc.db.executor())
        .await
        .map_err(ApiError::from)?;
        let Some(category) = category else {
            return Ok(failed(UserError::general(
                UserErrorCode::LimitReached,
                crate::tr!("category-limit-reached", max = MAX_CATEGORIES),
            )));
        };
        // For `extensions.consistencyToken`: the payload has no token field of its own.
        rc.after_write().await;
        Ok(CategoryPayload {
            category: Some(category),
            user_errors: Vec::new(),
        })
    }

    /// Renames or moves a category (never under itself or its descendants: `INVALID`). Its
    /// products and subcategories move with it.
    /// User errors: INVALID, NOT_FOUND.
    /// Restricted: admins.
    #[graphql(guard = "AdminOnly")]
    async fn update_category(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The category's global id.")] id: ID,
        #[graphql(desc = "The fields to change; absent ones keep their value.")]
        input: CategoryInput,
    ) -> Result<CategoryPayload> {
        let rc = RequestContext::of(ctx);
        let not_found = || {
            failed(UserError::at(
                &["id"],
                UserErrorCode::NotFound,
                crate::tr!("category-not-found"),
            ))
        };
        let Ok(id) = CategoryId::from_global(&id) else {
            return Ok(not_found());
        };
        let Some(current) = rc.loaders.by_id::<Category>().load_one(id).await? else {
            return Ok(not_found());
        };
        let name = input
            .name
            .as_deref()
            .map(str::trim)
            .map(str::to_owned)
            .unwrap_or(current.name);
        if !(2..=80).contains(&name.chars().count()) {
            return Ok(failed(UserError::at(
                &["input", "name"],
                UserErrorCode::Invalid,
                crate::tr!("category-name-length"),
            )));
        }
        let parent = if input.move_to_root {
            None
        } else {
            match &input.parent_id {
                MaybeUndefined::Undefined => current.parent_id,
                MaybeUndefined::Null => None,
                MaybeUndefined::Value(raw) => {
                    let Some(parent) = CategoryId::from_global(raw).ok() else {
                        return Ok(failed(UserError::at(
                            &["input", "parentId"],
                            UserErrorCode::NotFound,
                            crate::tr!("category-not-found"),
                        )));
                    };
                    // Moving under itself or a descendant would cut the subtree off the tree.
                    let cycle = sqlx::query_scalar!(
                        r#"WITH RECURSIVE sub(id) AS (SELECT $1::bigint UNION SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id)
                           SELECT EXISTS (SELECT 1 FROM sub WHERE id = $2) AS "cycle!" FROM categories WHERE id = $2"#,
                        id.0,
                        parent.0
                    )
                    .fetch_optional(rc.db.executor())
                    .await
                    .map_err(ApiError::from)?;
                    match cycle {
                        None => {
                            return Ok(failed(UserError::at(
                                &["input", "parentId"],
                                UserErrorCode::NotFound,
                                crate::tr!("category-not-found"),
                            )));
                        }
                        Some(true) => {
                            return Ok(failed(UserError::at(
                                &["input", "parentId"],
                                UserErrorCode::Invalid,
                                crate::tr!("category-cycle"),
                            )));
                        }
                        Some(false) => Some(parent),
                    }
                }
            }
        };
        let category = sqlx::query_as!(
            Category,
            r#"UPDATE categories SET name = $2, parent_id = $3, position = $4 WHERE id = $1
               RETURNING id AS "id: CategoryId", parent_id AS "parent_id: CategoryId", slug, name,
                         position"#,
            id.0,
            &name,
            parent.map(|p| p.0),
            input.position.unwrap_or(current.position)
        )
        .fetch_optional(rc.db.executor())
        .await
        .map_err(ApiError::from)?;
        if category.is_some() {
            rc.after_write().await;
        }
        Ok(CategoryPayload {
            category,
            user_errors: Vec::new(),
        })
    }
}
