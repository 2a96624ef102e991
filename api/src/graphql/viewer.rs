//! Who is asking: the identity every authorization decision reads.
//!
//! Until accounts land every request is anonymous; the checks below are already the ones
//! the fields use, so adding authentication only changes how a `Viewer` is built.

use crate::accounts::users::UserRole;
use crate::graphql::ids::UserId;

/// The caller of one request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Viewer {
    #[default]
    Anonymous,
    User {
        id: UserId,
        role: UserRole,
        /// The session (refresh-token family) the access token belongs to.
        session: uuid::Uuid,
    },
}

impl Viewer {
    /// The caller's user id, when signed in.
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Self::Anonymous => None,
            Self::User { id, .. } => Some(*id),
        }
    }

    /// Whether the caller is an administrator.
    pub fn is_admin(&self) -> bool {
        matches!(
            self,
            Self::User {
                role: UserRole::Admin,
                ..
            }
        )
    }

    /// Whether the caller is `user` or an administrator.
    pub fn is_self_or_admin(&self, user: UserId) -> bool {
        self.is_admin() || self.user_id() == Some(user)
    }
}
