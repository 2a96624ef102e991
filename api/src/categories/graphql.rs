//! GraphQL resolvers of categories.

use async_graphql::{Context, ID, Object, Result};

use super::Category;
use crate::schema::RequestContext;

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
                .categories
                .feed_one(category.id, category.clone())
                .await;
        }
        Ok(all)
    }
}

#[Object]
impl Category {
    pub async fn id(&self) -> ID {
        self.id.to_global()
    }

    async fn slug(&self) -> &str {
        &self.slug
    }

    async fn name(&self) -> &str {
        &self.name
    }

    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Category>> {
        match self.parent_id {
            Some(parent) => Ok(RequestContext::of(ctx)
                .loaders
                .categories
                .load_one(parent)
                .await?),
            None => Ok(None),
        }
    }

    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let children = RequestContext::of(ctx)
            .loaders
            .category_children
            .load_one(self.id)
            .await?;
        Ok(children.unwrap_or_default())
    }
}
