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
use crate::runtime::db::Db;
use crate::runtime::events::EventBus;
use crate::search::SearchState;

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

    /// After a successful write of searchable data: the consistency token the payload
    /// returns, remembered for the writer so their own next search includes the write.
    pub async fn after_write(&self) -> Option<String> {
        self.search
            .after_write(&self.db, self.viewer.user_id())
            .await
    }

    /// The context of the request a resolver runs in.
    pub fn of<'a>(ctx: &Context<'a>) -> &'a Self {
        ctx.data_unchecked::<Self>()
    }
}
