//! The category tree.

pub mod graphql;
pub mod mutations;

use std::collections::HashMap;

use crate::graphql::loaders::BatchLoad;

use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids::CategoryId;
use crate::runtime::db::Db;

/// Most categories the tree may hold: `createCategory` refuses more, and the listing reads
/// no more, so `categories` and `children` have a size the query cost can count on.
pub const MAX_CATEGORIES: usize = 200;

/// A category row.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Category {
    pub id: CategoryId,
    pub parent_id: Option<CategoryId>,
    pub slug: String,
    pub name: String,
    pub position: i32,
}

impl crate::runtime::row_cache::Cached for Category {
    const KIND: crate::runtime::row_cache::Kind = crate::runtime::row_cache::Kind::Category;
    type Id = CategoryId;
    fn number(id: CategoryId) -> i64 {
        id.0
    }
    fn heap_bytes(&self) -> usize {
        crate::runtime::row_cache::heap_of([&self.slug, &self.name])
    }
}

impl crate::graphql::loaders::LoadById for Category {
    const FROM_STANDBY: bool = true;
    const NAME: &'static str = "category";
    type Id = CategoryId;

    fn id(&self) -> CategoryId {
        self.id
    }

    crate::graphql::loaders::kept_between_requests!();

    /// Loads the categories and their ancestors in one statement: the loader keeps every
    /// row it gets, so a `parent` asked next (a product page's breadcrumb) is already there.
    async fn load(db: &Db, ids: &[CategoryId]) -> ApiResult<Vec<Self>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        // Columns of a recursive query carry no NOT NULL: `!` and `?` say what `categories`
        // says.
        Ok(sqlx::query_as!(
            Category,
            r#"WITH RECURSIVE up AS (
                   SELECT id, parent_id, slug, name, position FROM categories WHERE id = ANY($1)
                   UNION
                   SELECT c.id, c.parent_id, c.slug, c.name, c.position
                   FROM categories c JOIN up ON c.id = up.parent_id
               )
               SELECT id AS "id!: CategoryId", parent_id AS "parent_id?: CategoryId",
                      slug AS "slug!", name AS "name!", position AS "position!"
               FROM up"#,
            &ids
        )
        .fetch_all(db.executor())
        .await?)
    }
}

/// Every category, parents before children, siblings by position.
pub async fn all(db: &Db) -> ApiResult<Vec<Category>> {
    Ok(sqlx::query_as!(
        Category,
        r#"WITH RECURSIVE tree AS (
               SELECT c.*, ARRAY[c.position, c.id::int] AS path FROM categories c WHERE parent_id IS NULL
               UNION ALL
               SELECT c.*, tree.path || ARRAY[c.position, c.id::int] FROM categories c
               JOIN tree ON c.parent_id = tree.id
           )
           SELECT id AS "id!: CategoryId", parent_id AS "parent_id?: CategoryId",
                  slug AS "slug!", name AS "name!", position AS "position!"
           FROM tree ORDER BY path LIMIT $1"#,
        MAX_CATEGORIES as i64
    )
    .fetch_all(db.executor())
    .await?)
}

/// Loads the children of many categories at once.
pub struct CategoryChildrenLoader {
    db: Db,
}

impl BatchLoad for CategoryChildrenLoader {
    const NAME: &'static str = "category_children";

    fn build(db: &Db) -> Self {
        Self { db: db.clone() }
    }
    type Key = CategoryId;
    type Value = Vec<Category>;

    async fn load(
        &self,
        parents: &[CategoryId],
    ) -> Result<HashMap<CategoryId, Vec<Category>>, ApiError> {
        let ids: Vec<i64> = parents.iter().map(|id| id.0).collect();
        let rows = sqlx::query_as!(
            Category,
            r#"SELECT id AS "id: CategoryId", parent_id AS "parent_id: CategoryId", slug, name,
                      position
               FROM categories WHERE parent_id = ANY($1) ORDER BY position, id"#,
            &ids
        )
        .fetch_all(self.db.executor())
        .await?;
        let mut children: HashMap<CategoryId, Vec<Category>> =
            parents.iter().map(|p| (*p, Vec::new())).collect();
        for row in rows {
            if let Some(parent) = row.parent_id {
                children.entry(parent).or_default().push(row);
            }
        }
        Ok(children)
    }
}
