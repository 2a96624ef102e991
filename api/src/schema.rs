//! The GraphQL schema: root objects merged from feature slices, and the per-request context.

use std::net::IpAddr;
use std::sync::Arc;

use async_graphql::{Context, MergedObject, Schema};

use crate::accounts::Auth;
use crate::accounts::graphql::{AccountMutations, AccountQueries};
use crate::accounts::self_service::{SelfServiceMutations, SelfServiceQueries};

use crate::carts::graphql::CartMutations;
use crate::categories::graphql::CategoryQueries;
use crate::categories::mutations::CategoryMutations;
use crate::conversations::graphql::ConversationQueries;
use crate::conversations::mutations::ConversationMutations;
use crate::db::Db;
use crate::events::EventBus;
use crate::ids::UserId;
use crate::loaders::Loaders;
use crate::node::NodeQueries;
use crate::orders::graphql::{OrderMutations, OrderQueries};
use crate::products::graphql::ProductQueries;
use crate::products::mutations::ProductMutations;
use crate::reviews::mutations::ReviewMutations;
use crate::search::SearchState;
use crate::search::suggest::SearchQueries;
use crate::stores::graphql::StoreQueries;
use crate::stores::mutations::StoreMutations;
use crate::subscriptions::SubscriptionRoot;
use crate::users::graphql::UserQueries;
use crate::viewer::Viewer;

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
    ConversationQueries,
    OrderQueries,
);

/// The root mutation type.
#[derive(MergedObject, Default)]
pub struct Mutation(
    AccountMutations,
    SelfServiceMutations,
    StoreMutations,
    ProductMutations,
    CategoryMutations,
    ConversationMutations,
    ReviewMutations,
    CartMutations,
    OrderMutations,
);

/// The executable schema type.
pub type ApiSchema = Schema<Query, Mutation, SubscriptionRoot>;

/// Largest selection depth a query may have.
pub const MAX_DEPTH: usize = 12;

/// Largest selection depth of an operation that selects nothing but introspection: the
/// standard introspection query (graphql-js `getIntrospectionQuery`, which GraphiQL and code
/// generators send) nests `ofType` nine times. Introspection reads the schema in memory.
pub const INTROSPECTION_MAX_DEPTH: usize = 15;

/// Builds the schema. It holds no connections: each request brings its [`RequestContext`].
pub fn build() -> ApiSchema {
    builder().finish()
}

/// The schema for callers who may not explore it (production, non-admins): no "did you
/// mean" suggestions that would leak field names. Introspection is refused per request.
pub fn build_public() -> ApiSchema {
    builder().disable_suggestions().finish()
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

fn builder() -> async_graphql::SchemaBuilder<Query, Mutation, SubscriptionRoot> {
    // A backstop: `query_limits` holds every operation but introspection to `MAX_DEPTH`
    // before it runs.
    Schema::build(Query::default(), Mutation::default(), SubscriptionRoot)
        .limit_depth(INTROSPECTION_MAX_DEPTH)
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

/// Everything a resolver needs about the current request.
pub struct RequestContext {
    pub db: Db,
    pub loaders: Loaders,
    pub viewer: Viewer,
    pub auth: Arc<Auth>,
    pub client: ClientInfo,
    /// The search index and read-your-writes bookkeeping.
    pub search: SearchState,
    /// Events from every server process, for subscriptions.
    pub events: EventBus,
    /// Users who proved their password or refresh token in this request (register, login,
    /// refresh): their payload may show their private fields.
    signed_in_now: std::sync::Mutex<Vec<UserId>>,
}

/// Where a request comes from.
#[derive(Clone, Debug)]
pub struct ClientInfo {
    /// The client's address (behind trusted proxies, the forwarded one).
    pub ip: IpAddr,
    /// `User-Agent`, recorded with new sessions.
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// The network every per-address limit counts (cost bucket, sockets, logins): the
    /// address itself for IPv4, its /64 for IPv6, which one subscriber usually holds whole.
    pub fn network(&self) -> IpAddr {
        crate::accounts::limits::client_network(self.ip)
    }
}

impl RequestContext {
    /// A context for one request by `viewer`.
    pub fn new(
        db: &Db,
        auth: Arc<Auth>,
        viewer: Viewer,
        client: ClientInfo,
        search: SearchState,
        events: EventBus,
    ) -> Self {
        Self {
            db: db.clone(),
            loaders: Loaders::new(db),
            viewer,
            auth,
            client,
            search,
            events,
            signed_in_now: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Records that `user` just authenticated in this request.
    pub fn signed_in(&self, user: UserId) {
        if let Ok(mut users) = self.signed_in_now.lock() {
            users.push(user);
        }
    }

    /// Whether the caller may see `user`'s private fields: the user, an admin, or someone who
    /// just signed in as that user in this request.
    pub fn may_see_private_fields_of(&self, user: UserId) -> bool {
        self.viewer.is_self_or_admin(user)
            || self
                .signed_in_now
                .lock()
                .is_ok_and(|users| users.contains(&user))
    }

    /// The context of the request a resolver runs in.
    pub fn of<'a>(ctx: &Context<'a>) -> &'a Self {
        ctx.data_unchecked::<Self>()
    }
}
