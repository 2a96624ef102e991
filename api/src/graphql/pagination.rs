//! Relay pagination: page sizes, opaque keyset cursors, `PageInfo`, and the one generic
//! [`Connection`] and [`Edge`] every plain list uses (`ReviewConnection`, `OrderEdge`, ...).
//!
//! Cursors carry the sort key of the last row (never an offset), so page 500 costs what
//! page 1 costs: one index range scan from the key on. The two listings with more to say
//! (`ProductSearchConnection` with facets and highlights, `StoreSearchConnection` with
//! distances) keep their own types beside their search code.
//!
//! Why not `async_graphql::connection` and its `OpaqueCursor`: its `PageInfo` would replace
//! ours (one type name, other descriptions), it encodes every edge's cursor up front where
//! ours are written only when selected, and `OpaqueCursor` decodes strings unchecked,
//! where ours refuses control characters hidden in the base64 (a NUL once reached
//! PostgreSQL and answered 500). The wire format is the same: URL-safe base64 of JSON.

use std::borrow::Cow;
use std::future::Future;

use async_graphql::{Context, Object, OutputType, Result, SimpleObject, TypeName};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::graphql::error::{ApiError, ApiResult};

/// Largest `first` a connection accepts.
pub const MAX_PAGE_SIZE: i32 = 100;
/// `first` when the client does not say.
pub const DEFAULT_PAGE_SIZE: i32 = 20;

/// Validates `first`: 0..=100, defaulting to 20.
pub fn page_size(first: Option<i32>) -> ApiResult<usize> {
    match first.unwrap_or(DEFAULT_PAGE_SIZE) {
        n if n < 0 => Err(ApiError::bad_input(crate::tr!(
            "page-size-negative",
            argument = "first"
        ))),
        n if n > MAX_PAGE_SIZE => Err(ApiError::bad_input(crate::tr!(
            "page-size-too-large",
            argument = "first",
            max = MAX_PAGE_SIZE,
        ))),
        n => Ok(n as usize),
    }
}

/// Encodes a sort key as an opaque cursor.
pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Decodes a cursor made by [`encode_cursor`] for the same key type.
///
/// A cursor is client text in disguise: the strings inside it are held to the same rule as
/// text arguments (no control characters), which the check at the edge cannot see through
/// the base64. A NUL in a store name key otherwise reached PostgreSQL and answered 500.
pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> ApiResult<K> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
        .filter(strings_are_clean)
        .and_then(|json| serde_json::from_value(json).ok())
        .ok_or_else(|| ApiError::bad_input(crate::tr!("cursor-invalid")))
}

fn strings_are_clean(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(text) => crate::graphql::text_arguments::acceptable("", text),
        Value::Array(items) => items.iter().all(strings_are_clean),
        Value::Object(fields) => fields.iter().all(|(key, value)| {
            crate::graphql::text_arguments::acceptable("", key) && strings_are_clean(value)
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Relay's `PageInfo`.
#[derive(Clone, Debug, Default, SimpleObject)]
pub struct PageInfo {
    /// Whether items follow this page: pass `endCursor` as `after` to fetch them. For a
    /// page of messages fetched backward (`last`), true when `before` was given.
    pub has_next_page: bool,
    /// Whether items come before this page: true when `after` was given. For a page of
    /// messages fetched backward (`last`), whether older messages remain (pass
    /// `startCursor` as `before` to fetch them).
    pub has_previous_page: bool,
    /// Cursor of the page's first item; null when the page is empty.
    pub start_cursor: Option<String>,
    /// Cursor of the page's last item; null when the page is empty.
    pub end_cursor: Option<String>,
}

/// One fetched page: the rows (at most `first`) and whether more follow.
///
/// Queries fetch `first + 1` rows; the extra row only tells that a next page exists.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    /// Splits `first + 1` fetched rows into a page.
    pub fn from_overfetch(mut rows: Vec<T>, first: usize, after_given: bool) -> Self {
        let has_next_page = rows.len() > first;
        rows.truncate(first);
        Self {
            rows,
            has_next_page,
            has_previous_page: after_given,
        }
    }

    /// Builds `PageInfo` given each row's cursor.
    pub fn page_info(&self, cursor: impl Fn(&T) -> String) -> PageInfo {
        PageInfo {
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            start_cursor: self.rows.first().map(&cursor),
            end_cursor: self.rows.last().map(&cursor),
        }
    }
}

/// A node of a plain list, paged by a keyset cursor: its sort key, encoded.
pub trait Paged: OutputType + Clone + 'static {
    /// The sort key a cursor carries.
    type Key: Serialize;
    /// This node's sort key.
    fn cursor_key(&self) -> Self::Key;
}

/// How a connection counts its whole list for `totalCount`: asked only when selected.
pub trait Total: Send + Sync {
    fn total(&self, ctx: &Context<'_>) -> impl Future<Output = ApiResult<i64>> + Send;
}

/// A `totalCount` known when the page was fetched.
pub struct Known(pub i64);

impl Total for Known {
    async fn total(&self, _: &Context<'_>) -> ApiResult<i64> {
        Ok(self.0)
    }
}

/// A page of a plain list (`<Node>Connection`): its rows and how to count them all.
pub struct Connection<T, C> {
    page: Page<T>,
    count: C,
}

impl<T, C> Connection<T, C> {
    pub fn new(page: Page<T>, count: C) -> Self {
        Self { page, count }
    }
}

impl<T: Paged, C: Total> TypeName for Connection<T, C> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", T::type_name()).into()
    }
}

/// A page of a list, in the order the field that returns it describes, with the cursors
/// to continue (a Relay connection).
#[Object(name_type)]
impl<T: Paged, C: Total> Connection<T, C> {
    /// The items of this page with their cursors, in the list's order.
    async fn edges(&self) -> Vec<Edge<T>> {
        self.page.rows.iter().cloned().map(Edge).collect()
    }

    /// The items of this page, without cursors, in the list's order.
    async fn nodes(&self) -> &[T] {
        &self.page.rows
    }

    /// Whether items lie after (`hasNextPage`) or before (`hasPreviousPage`) this page,
    /// and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        self.page.page_info(|row| encode_cursor(&row.cursor_key()))
    }

    /// Every item of the list, over every page.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(self.count.total(ctx).await?)
    }
}

/// One item of a page (`<Node>Edge`).
pub struct Edge<T>(T);

impl<T: Paged> TypeName for Edge<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", T::type_name()).into()
    }
}

/// One item of a page, with its cursor.
#[Object(name_type)]
impl<T: Paged> Edge<T> {
    /// Opaque cursor of this item: pass it as `after` (or, where the list takes it,
    /// `before`) to continue from it.
    async fn cursor(&self) -> String {
        encode_cursor(&self.0.cursor_key())
    }

    /// The item.
    async fn node(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_bounds() {
        assert_eq!(page_size(None).ok(), Some(20));
        assert_eq!(page_size(Some(100)).ok(), Some(100));
        assert!(page_size(Some(101)).is_err());
        assert!(page_size(Some(-1)).is_err());
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode_cursor(&(5_i64, "x"));
        assert_eq!(
            decode_cursor::<(i64, String)>(&c).ok(),
            Some((5, "x".to_owned()))
        );
        assert!(decode_cursor::<(i64, String)>("!!").is_err());
        assert!(decode_cursor::<(i64, String)>(&encode_cursor(&"other")).is_err());
    }
}
