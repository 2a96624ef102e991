//! The per-request context every resolver reads: who asks, from where, and the request's
//! own loaders and handles on shared state. It imports no feature's resolvers, so every
//! feature may import it.

use std::net::IpAddr;
use std::sync::Arc;

use async_graphql::Context;

use crate::accounts::Auth;
use crate::graphql::ids::UserId;
use crate::graphql::loaders::Loaders;
use crate::graphql::viewer::Viewer;
use crate::runtime::db::{ConsistencyToken, Db};
use crate::runtime::events::EventBus;
use crate::search::SearchState;
use textisur_search_index::SearchIndex;

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
    /// The writes this request must see: the `Consistency-Token` header, and the viewer's
    /// own last write through this process.
    pub consistency: Option<ConsistencyToken>,
    /// How orders wait for their payment (checkout's deadline and unpaid-order limit), and
    /// the payment provider.
    pub commerce: crate::commerce::Commerce,
    /// Where product images are stored and served from (`None`: uploads are off).
    pub media: Option<Arc<crate::catalogue::media::MediaStore>>,
    /// Users who proved their password or refresh token in this request (register, login,
    /// refresh): their payload may show their private fields.
    signed_in_now: std::sync::Mutex<Vec<UserId>>,
    /// The token of this request's catalogue writes, once a resolver took one: the
    /// response's `extensions.consistencyToken`.
    written: Arc<std::sync::Mutex<Option<ConsistencyToken>>>,
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
        consistency: Option<ConsistencyToken>,
    ) -> Self {
        Self {
            db: db.clone(),
            loaders: Loaders::new(db),
            viewer,
            auth,
            client,
            search,
            events,
            consistency,
            commerce: crate::commerce::Commerce::default(),
            media: None,
            signed_in_now: std::sync::Mutex::new(Vec::new()),
            written: Arc::default(),
        }
    }

    /// This context with the server's buying side.
    pub fn with_commerce(mut self, commerce: crate::commerce::Commerce) -> Self {
        self.commerce = commerce;
        self
    }

    /// This context with the server's media store.
    pub fn with_media(mut self, media: Option<Arc<crate::catalogue::media::MediaStore>>) -> Self {
        self.media = media;
        self
    }

    /// Where the token of this request's writes will be, read once the request ran.
    pub fn written(&self) -> Arc<std::sync::Mutex<Option<ConsistencyToken>>> {
        Arc::clone(&self.written)
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

    /// After a successful write of searchable data: the consistency token the payload
    /// returns, remembered for the writer so their own next search includes the write.
    ///
    /// Only writes of catalogue rows (the rows queries may read from a standby or the
    /// index) take one: a token from every mutation would tell a caller whether it wrote
    /// anything (its `xmax` moves), and so whether `requestPasswordReset`'s address has an
    /// account.
    pub async fn after_write(&self) -> Option<String> {
        let token = self
            .search
            .after_write(&self.db, self.viewer.user_id())
            .await?;
        if let Ok(mut written) = self.written.lock() {
            *written = ConsistencyToken::latest(*written, Some(token));
        }
        Some(token.to_string())
    }

    /// The search index a listing reads, after waiting (bounded) for the writes this
    /// request must see and for the listing's own `consistencyToken`; `None`: PostgreSQL
    /// answers. The listing's token also binds the standby its rows are hydrated from.
    pub async fn index_for(&self, token: Option<ConsistencyToken>) -> Option<SearchIndex> {
        if let Some(token) = token {
            self.db.require(token);
        }
        let bound = ConsistencyToken::latest(self.consistency, token);
        self.search.index_for(bound.map(|t| t.xid)).await
    }

    /// The context of the request a resolver runs in.
    pub fn of<'a>(ctx: &Context<'a>) -> &'a Self {
        ctx.data_unchecked::<Self>()
    }
}
