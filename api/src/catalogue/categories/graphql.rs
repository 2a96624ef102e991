//! GraphQL resolvers of categories.

use async_graphql::{Context, ID, Object, Result};

use super::Category;
use crate::catalogue::categories::CategoryChildrenLoader;
use crate::graphql::context::RequestContext;
use crate::graphql::error::ApiResult;
use crate::graphql::ids::CategoryId;

/// The category with this id, for `node`: every category is public.
pub async fn visible_category(rc: &RequestContext, id: CategoryId) -> ApiResult<Option<Category>> {
    rc.loaders.by_id::<Category>().load_one(id).await
}

/// Category root fields.
#[derive(Default)]
pub struct CategoryQueries;

#[Object]
impl CategoryQueries {
    /// Every category, parents before their children.
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let rc = RequestContext::of(ctx);
        let all = super::all(&rc.db).await?;
        for category in &all {
            rc.loaders
                .by_id::<Category>()
                .feed_one(category.id, category.clone())
                .await;
        }
        Ok(all)
    }
}

/// A node of the category tree (e.g. Telas > Lino), which files products.
#[Object]
impl Category {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        self.id.to_global()
    }

    /// URL-friendly unique name, made from the name when the category was created; it does
    /// not change when the category is renamed.
    async fn slug(&self) -> &str {
        &self.slug
    }

    /// The category's name, 2 to 80 characters.
    async fn name(&self) -> &str {
        &self.name
    }

    /// The category this one is under; null for a top-level category.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Category>> {
        match self.parent_id {
            Some(parent) => Ok(RequestContext::of(ctx)
                .loaders
                .by_id::<Category>()
                .load_one(parent)
                .await?),
            None => Ok(None),
        }
    }

    /// The categories directly under this one, by `position`, then by creation.
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let children = RequestContext::of(ctx)
            .loaders
            .get::<CategoryChildrenLoader>()
            .load_one(self.id)
            .await?;
        Ok(children.unwrap_or_default())
    }
}
