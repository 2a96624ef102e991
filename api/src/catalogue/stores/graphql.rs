//! GraphQL resolvers of stores: `Query.store`, `Query.stores` and the `Store` type.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::{GeoPoint, GeoPointInput, Store, StoreCursor, StoreListing, db};
use crate::accounts::users::User;
use crate::catalogue::products::graphql::{ProductSearchConnection, Wants, listing_from_args};
use crate::catalogue::products::{ProductFilter, ProductSort};
use crate::catalogue::stores::StoreProductCountLoader;
use crate::commerce::markets::{CountryCode, CurrencyCode, Market};
use crate::commerce::orders::db::OrderOwner;
use crate::commerce::orders::graphql::OrderConnection;
use crate::commerce::shipping::ShippingOption;
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::guards::SelfOrAdmin;
use crate::graphql::ids::{NodeKind, StoreId, decode_row};
use crate::graphql::pagination::{Page, PageInfo, decode_cursor, encode_cursor, page_size};
use async_graphql::Guard;

/// The store with this id, for `node`: every store is public.
pub async fn visible_store(rc: &RequestContext, id: StoreId) -> ApiResult<Option<Store>> {
    rc.loaders.by_id::<Store>().load_one(id).await
}

/// Store root fields.
#[derive(Default)]
pub struct StoreQueries;

#[Object]
impl StoreQueries {
    /// A store by id or by slug (exactly one of them).
    async fn store(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The store's global id.")] id: Option<ID>,
        #[graphql(desc = "The store's slug.")] slug: Option<String>,
    ) -> Result<Option<Store>> {
        let rc = RequestContext::of(ctx);
        Ok(match (id, slug) {
            (Some(id), None) => {
                rc.loaders
                    .by_id::<Store>()
                    .load_one(StoreId::from_global(&id)?)
                    .await?
            }
            (None, Some(slug)) => db::by_slug(&rc.db, &slug).await?,
            _ => return Err(ApiError::bad_input(crate::tr!("lookup-id-or-slug")).into()),
        })
    }

    /// Stores by name or city, or by distance from `near` (nearest first).
    #[allow(clippy::too_many_arguments)]
    async fn stores(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Text to find in the store's name, city or region, at most 100 characters; without `near`, best matches first (by name A to Z while the search index is unavailable). Null or blank: every store, by name A to Z."
        )]
        query: Option<String>,
        #[graphql(
            desc = "Order by distance from this point, nearest first; stores without a location are left out."
        )]
        near: Option<GeoPointInput>,
        #[graphql(
            desc = "Only stores at most this many kilometres from `near` (which it requires): more than 0, at most 20,000."
        )]
        radius_km: Option<f64>,
        #[graphql(
            default = 20,
            desc = "How many stores to return: default 20, at most 100."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The `endCursor` of the previous page of the same listing; the page starts after it."
        )]
        after: Option<String>,
        #[graphql(desc = "Only the stores of this market (country). Null: every market.")]
        market: Option<Market>,
    ) -> Result<StoreSearchConnection> {
        let mut listing = store_listing(query, near, radius_km)?;
        listing.market = market;
        let first = page_size(first)?;
        let cursor: Option<StoreCursor> = after.as_deref().map(decode_cursor).transpose()?;
        let rc = RequestContext::of(ctx);
        // Text and distance searches read the index; the plain A-Z directory (and a page
        // that started there) reads PostgreSQL.
        let searchable = listing.text.is_some() || listing.near.is_some();
        let resumable = !matches!(cursor, Some(StoreCursor::Name(..)));
        if searchable && resumable && first > 0 {
            let index = rc.index_for(None).await;
            if let Some(index) = index {
                return Ok(
                    StoreSearchConnection::from_index(rc, index, &listing, first, cursor).await?,
                );
            }
        }
        let rows = if first == 0 {
            Vec::new()
        } else {
            db::list(&rc.db, &listing, cursor.as_ref(), first + 1).await?
        };
        Ok(StoreSearchConnection {
            page: Page::from_overfetch(rows, first, cursor.is_some()),
            by_distance: listing.near.is_some(),
            listing,
            total: None,
            relevance: Vec::new(),
        })
    }
}

fn store_listing(
    query: Option<String>,
    near: Option<GeoPointInput>,
    radius_km: Option<f64>,
) -> ApiResult<StoreListing> {
    let text = query.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    if text.as_ref().is_some_and(|q| q.chars().count() > 100) {
        return Err(ApiError::bad_input(crate::tr!(
            "search-query-too-long",
            max = 100
        )));
    }
    if let Some(p) = near
        && !((-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon))
    {
        return Err(ApiError::bad_input(crate::tr!("stores-near-out-of-range")));
    }
    match radius_km {
        Some(_) if near.is_none() => {
            Err(ApiError::bad_input(crate::tr!("stores-radius-needs-near")))
        }
        Some(r) if !(r > 0.0 && r <= 20_000.0) => Err(ApiError::bad_input(crate::tr!(
            "stores-radius-out-of-range"
        ))),
        _ => Ok(StoreListing {
            text,
            market: None,
            near: near.map(|p| (p.lat, p.lon)),
            radius_km,
        }),
    }
}

/// A page of a store listing.
pub struct StoreSearchConnection {
    page: Page<Store>,
    /// The filters, for `totalCount` on PostgreSQL.
    listing: StoreListing,
    /// The match count the index gave with the page.
    total: Option<u64>,
    by_distance: bool,
    /// Relevance of each row when a text search without `near` was answered by the index.
    relevance: Vec<(StoreId, f64)>,
}

impl StoreSearchConnection {
    fn cursor(&self, store: &Store) -> String {
        if let Some((_, score)) = self.relevance.iter().find(|(id, _)| *id == store.id) {
            return encode_cursor(&StoreCursor::Relevance(*score, store.id));
        }
        match (self.by_distance, store.distance_km) {
            (true, Some(d)) => encode_cursor(&StoreCursor::Distance(d, store.id)),
            _ => encode_cursor(&StoreCursor::Name(store.name.clone(), store.id)),
        }
    }

    async fn from_index(
        rc: &RequestContext,
        index: textisur_search_index::SearchIndex,
        listing: &StoreListing,
        first: usize,
        cursor: Option<StoreCursor>,
    ) -> ApiResult<Self> {
        let after = match (&cursor, listing.near.is_some()) {
            (None, _) => None,
            (Some(StoreCursor::Distance(d, id)), true) => Some((*d, id.0)),
            (Some(StoreCursor::Relevance(v, id)), false) => Some((*v, id.0)),
            _ => {
                return Err(ApiError::bad_input(crate::tr!("cursor-wrong-listing")));
            }
        };
        let query = textisur_search_index::StoreQuery {
            text: listing.text.clone(),
            market: listing.market.map(Market::code),
            near: listing.near,
            radius_km: listing.radius_km,
            after: after.map(|(value, id)| textisur_search_index::SortKey {
                value,
                id: id as u64,
            }),
            limit: first,
        };
        let page = crate::search::blocking(move || index.search_stores(&query)).await?;
        let loaded = futures::future::join_all(
            page.hits
                .iter()
                .map(|h| rc.loaders.by_id::<Store>().load_one(StoreId(h.id as i64))),
        )
        .await;
        let mut rows = Vec::with_capacity(page.hits.len());
        let mut relevance = Vec::new();
        for (hit, store) in page.hits.iter().zip(loaded) {
            let Some(mut store) = store? else { continue };
            store.distance_km = hit.distance_km;
            if listing.near.is_none() {
                relevance.push((store.id, hit.key.value));
            }
            rows.push(store);
        }
        Ok(Self {
            page: Page {
                rows,
                has_next_page: page.has_more,
                has_previous_page: cursor.is_some(),
            },
            listing: listing.clone(),
            total: Some(page.total),
            by_distance: listing.near.is_some(),
            relevance,
        })
    }
}

/// One store of a listing page.
pub struct StoreSearchEdge {
    cursor: String,
    node: Store,
}

fn round_km(distance: Option<f64>) -> Option<f64> {
    distance.map(|d| (d * 100.0).round() / 100.0)
}

/// One store of a listing page, with its cursor.
#[Object]
impl StoreSearchEdge {
    /// Opaque cursor of this store: pass it as `after`, with the same listing arguments, to
    /// continue after it.
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    /// The store.
    async fn node(&self) -> &Store {
        &self.node
    }

    /// Kilometres from the `near` point of this search to the store, 2 decimals; null
    /// without `near`.
    async fn distance_km(&self) -> Option<f64> {
        round_km(self.node.distance_km)
    }
}

/// A page of a store listing.
#[Object]
impl StoreSearchConnection {
    /// The stores of this page with their cursors.
    async fn edges(&self) -> Vec<StoreSearchEdge> {
        self.page
            .rows
            .iter()
            .map(|s| StoreSearchEdge {
                cursor: self.cursor(s),
                node: s.clone(),
            })
            .collect()
    }

    /// The stores of this page, without cursors.
    async fn nodes(&self) -> &[Store] {
        &self.page.rows
    }

    /// Whether more stores follow, and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        self.page.page_info(|s| self.cursor(s))
    }

    /// How many stores the listing matches, over every page.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        match self.total {
            Some(total) => Ok(i64::try_from(total).unwrap_or(i64::MAX)),
            None => Ok(db::count(&RequestContext::of(ctx).db, &self.listing).await?),
        }
    }
}

/// A shop on the marketplace, run by one seller, pricing in its country's currency.
#[Object]
impl Store {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        self.id.to_global()
    }

    /// URL-friendly unique name, made from the name when the store opened; it does not
    /// change when the store is renamed.
    async fn slug(&self) -> &str {
        &self.slug
    }

    /// The store's name, 2 to 120 characters.
    async fn name(&self) -> &str {
        &self.name
    }

    /// Sanitised HTML with a small set of formatting tags; empty when there is none.
    #[graphql(
        deprecation = "HTML in a String: use `descriptionHtml` to render it, or `descriptionText` for plain text. Removal not before 2027-06-06."
    )]
    async fn description(&self) -> &str {
        &self.description
    }

    /// The description as HTML to render: sanitised, formatting tags only; empty when
    /// there is none.
    async fn description_html(&self) -> crate::graphql::html::Html {
        crate::graphql::html::Html(self.description.clone())
    }

    /// The description as plain text: no tags, entities decoded, paragraphs and list items
    /// on lines of their own; empty when there is none.
    async fn description_text(&self) -> String {
        crate::graphql::plain_text::to_text(&self.description)
    }

    /// The city the store is in.
    async fn city(&self) -> &str {
        &self.city
    }

    /// The region (province, department) the store is in; null when unknown.
    async fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// ISO 3166-1 alpha-2 country code.
    async fn country_code(&self) -> &str {
        &self.country_code
    }

    /// ISO 4217 code of the currency the store prices in.
    async fn currency_code(&self) -> &str {
        &self.currency_code
    }

    /// The store's country: the market it sells in.
    async fn country(&self) -> Result<CountryCode> {
        CountryCode::parse(&self.country_code).ok_or_else(|| {
            ApiError::Internal(format!(
                "store {} has country {}",
                self.id.0, self.country_code
            ))
            .into()
        })
    }

    /// The currency the store prices in: its market's.
    async fn currency(&self) -> Result<CurrencyCode> {
        CurrencyCode::parse(&self.currency_code).ok_or_else(|| {
            ApiError::Internal(format!(
                "store {} has currency {}",
                self.id.0, self.currency_code
            ))
            .into()
        })
    }

    /// Where the store is; null when the seller gave no location.
    async fn location(&self) -> Option<GeoPoint> {
        Some(GeoPoint {
            lat: self.latitude?,
            lon: self.longitude?,
        })
    }

    /// Distance from the `near` point of the search that found this store.
    #[graphql(
        deprecation = "A distance belongs to a search, not to the store: use `StoreSearchEdge.distanceKm`. Removal not before 2027-06-06."
    )]
    async fn distance_km(&self) -> Option<f64> {
        round_km(self.distance_km)
    }

    /// Average rating of every review of the store's products, 1 to 5 with 2 decimals;
    /// null while there is none.
    async fn rating(&self) -> Option<f64> {
        self.rating.and_then(|r| r.try_into().ok())
    }

    /// Number of active products.
    async fn product_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let rc = RequestContext::of(ctx);
        // Counted in the search index, like the `products` listing beside it, so the two
        // agree; PostgreSQL counts when there is no index or it has not caught up with the
        // caller's own last write.
        if let Some(index) = rc.index_for(None).await {
            let store = u64::try_from(self.id.0).unwrap_or_default();
            match index.store_product_count(store) {
                Ok(count) => return Ok(i64::try_from(count).unwrap_or(i64::MAX)),
                Err(error) => {
                    tracing::warn!(%error, "could not count a store's products in the index")
                }
            }
        }
        let count = rc
            .loaders
            .get::<StoreProductCountLoader>()
            .load_one(self.id)
            .await?;
        Ok(count.unwrap_or(0))
    }

    /// This store's active products; same arguments as `Query.products`.
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Search text, at most 200 characters, matched against names, categories, attributes and descriptions (accents and case ignored, small typos tolerated); null or blank matches every product the filter lets through."
        )]
        query: Option<String>,
        #[graphql(
            desc = "Conditions every listed product meets; null when there are none. A `storeIds` filter without this store matches nothing."
        )]
        filter: Option<ProductFilter>,
        #[graphql(default, desc = "The order of the listing.")] sort: ProductSort,
        #[graphql(
            default = 20,
            desc = "How many products to return: default 20, at most 100."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The `endCursor` of the previous page of the same listing (same query, filter and sort); the page starts after it."
        )]
        after: Option<String>,
    ) -> Result<ProductSearchConnection> {
        let mut listing = listing_from_args(query, filter, sort, Some(self.id))?;
        // One store prices in one currency: its market's.
        listing.market = Market::of_country(&self.country_code);
        Ok(ProductSearchConnection::fetch(
            RequestContext::of(ctx),
            listing,
            first,
            after,
            Wants::of(ctx),
            None,
        )
        .await?)
    }

    /// How the store delivers: its active shipping options, priced in its currency. With
    /// `addressId` (an address of the caller's), only those that reach it (pickup always
    /// does); an address that is not the caller's reaches nothing.
    async fn shipping_options(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One of the caller's addresses (`User.addresses`).")] address_id: Option<
            ID,
        >,
    ) -> Result<Vec<ShippingOption>> {
        let rc = RequestContext::of(ctx);
        let options = crate::commerce::shipping::of_store(&rc.db, self.id).await?;
        let Some(address_id) = address_id else {
            return Ok(options);
        };
        let address = match (
            rc.viewer.user_id(),
            decode_row(&address_id, NodeKind::Address),
        ) {
            (Some(user), Some(row)) => {
                crate::commerce::addresses::owned(rc.db.executor(), user, row).await?
            }
            _ => None,
        };
        Ok(match address {
            Some(address) => options
                .into_iter()
                .filter(|o| o.reaches(Some(&address)))
                .collect(),
            None => Vec::new(),
        })
    }

    /// The seller who runs the store. Restricted: the owner and admins.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        SelfOrAdmin(self.owner_id).check(ctx).await?;
        Ok(RequestContext::of(ctx)
            .loaders
            .by_id::<User>()
            .load_one(self.owner_id)
            .await?)
    }

    /// When the store opened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// What the store's paid orders earned over a period, split between the seller and the
    /// marketplace's commission, in the store's currency: orders paid at or after `from`
    /// and before `to`. Restricted: the owner and admins.
    async fn earnings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period's start (included).")] from: DateTime<Utc>,
        #[graphql(desc = "The period's end (excluded).")] to: DateTime<Utc>,
    ) -> Result<Option<crate::commerce::ledger::Earnings>> {
        SelfOrAdmin(self.owner_id).check(ctx).await?;
        let rc = RequestContext::of(ctx);
        Ok(Some(
            crate::commerce::ledger::earnings(&rc.db, self.id, &self.currency_code, from, to)
                .await?,
        ))
    }

    /// The store's orders, newest first. Restricted: the owner and admins.
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many orders to return: default 20, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; the page starts after it.")]
        after: Option<String>,
    ) -> Result<Option<OrderConnection>> {
        SelfOrAdmin(self.owner_id).check(ctx).await?;
        let rc = RequestContext::of(ctx);
        Ok(Some(
            OrderConnection::fetch(rc, OrderOwner::Store(self.id), first, after).await?,
        ))
    }
}
