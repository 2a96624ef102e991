//! The GraphQL schema: root objects merged from feature slices.

use async_graphql::{MergedObject, Schema};

use crate::accounts::graphql::{AccountMutations, AccountQueries};
use crate::accounts::self_service::{SelfServiceMutations, SelfServiceQueries};

use crate::accounts::users::graphql::UserQueries;
use crate::catalogue::categories::graphql::CategoryQueries;
use crate::catalogue::categories::mutations::CategoryMutations;
use crate::catalogue::media::graphql::MediaMutations;
use crate::catalogue::products::graphql::ProductQueries;
use crate::catalogue::products::mutations::ProductMutations;
use crate::catalogue::reviews::mutations::ReviewMutations;
use crate::catalogue::stores::graphql::StoreQueries;
use crate::catalogue::stores::mutations::StoreMutations;
use crate::commerce::addresses::graphql::AddressMutations;
use crate::commerce::carts::graphql::CartMutations;
use crate::commerce::markets::graphql::{MarketMutations, MarketQueries};
use crate::commerce::orders::graphql::{OrderMutations, OrderQueries};
use crate::commerce::payments::graphql::PaymentMutations;
use crate::commerce::shipping::graphql::ShippingMutations;
use crate::conversations::graphql::ConversationQueries;
use crate::conversations::mutations::ConversationMutations;
use crate::graphql::node::NodeQueries;
use crate::graphql::subscriptions::SubscriptionRoot;
use crate::search::suggest::SearchQueries;
use crate::search::vocabulary::{VocabularyMutations, VocabularyQueries};

/// The root query type.
#[derive(MergedObject, Default)]
pub struct Query(
    NodeQueries,
    ProductQueries,
    StoreQueries,
    CategoryQueries,
    UserQueries,
    AccountQueries,
    SelfServiceQueries,
    SearchQueries,
    VocabularyQueries,
    ConversationQueries,
    OrderQueries,
    MarketQueries,
);

/// The root mutation type.
#[derive(MergedObject, Default)]
pub struct Mutation(
    AccountMutations,
    SelfServiceMutations,
    CatalogueMutations,
    ConversationMutations,
    ReviewMutations,
    CartMutations,
    OrderMutations,
    PaymentMutations,
    VocabularyMutations,
    MarketMutations,
    AddressMutations,
    ShippingMutations,
);

/// The sellers' catalogue mutations, merged apart: a flat merge of every part nests the
/// executor's futures past the compiler's recursion limit.
#[derive(MergedObject, Default)]
pub struct CatalogueMutations(
    StoreMutations,
    ProductMutations,
    CategoryMutations,
    MediaMutations,
);

/// The executable schema type.
pub type ApiSchema = Schema<Query, Mutation, SubscriptionRoot>;

/// Builds the schema. It holds no connections: each request brings its [`RequestContext`].
pub fn build() -> ApiSchema {
    build_with_depth(crate::graphql::query_limits::MAX_DEPTH)
}

/// [`build`] for a server whose depth limit is `max_depth` (`--max-depth`).
pub fn build_with_depth(max_depth: usize) -> ApiSchema {
    builder(max_depth).finish()
}

/// The schema for callers who may not explore it (production, non-admins): no "did you
/// mean" suggestions that would leak field names. Introspection is refused per request.
pub fn build_public(max_depth: usize) -> ApiSchema {
    builder(max_depth).disable_suggestions().finish()
}

/// The description of the `Decimal` scalar, which async-graphql defines without one.
const DECIMAL_DESCRIPTION: &str = "An exact decimal number, written as a string such as `\"12.50\"`. \
     Prices and amounts are in the store's currency with at most 2 decimals; quantities are in \
     the product's unit (pieces, metres or kilograms) with at most 3 decimals. Inputs may also be \
     JSON numbers, but only a string keeps every digit.";

/// The description of `DateTime` (async-graphql's says how it is implemented).
const DATETIME_DESCRIPTION: &str = "An instant, written as an RFC 3339 string in UTC such as \
     `\"2026-12-06T14:30:00Z\"`. Inputs may carry any offset.";

/// The description of `JSON`, which only `exportMyData` returns.
const JSON_DESCRIPTION: &str = "Any JSON value (RFC 8259): a document whose shape the field's \
     description gives.";

fn builder(max_depth: usize) -> async_graphql::SchemaBuilder<Query, Mutation, SubscriptionRoot> {
    // A backstop only: `query_limits` holds every operation to `max_depth` (introspection to
    // at least `INTROSPECTION_MAX_DEPTH`) before it runs, with a typed `QUERY_TOO_COMPLEX`.
    let backstop = max_depth.max(crate::graphql::query_limits::INTROSPECTION_MAX_DEPTH);
    Schema::build(Query::default(), Mutation::default(), SubscriptionRoot)
        .limit_depth(backstop)
        .override_output_type_description::<rust_decimal::Decimal>(DECIMAL_DESCRIPTION)
        .override_output_type_description::<chrono::DateTime<chrono::Utc>>(DATETIME_DESCRIPTION)
        .override_output_type_description::<async_graphql::Json<serde_json::Value>>(
            JSON_DESCRIPTION,
        )
}

/// The generated SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    // `@specifiedBy` on the scalars that name their specification (DateTime, HTML), so code
    // generators reading the file see it too.
    build().sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}
