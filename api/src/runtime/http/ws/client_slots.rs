//! The cap on open WebSockets per client address: each socket holds a slot of its address
//! for as long as it is open, so one client cannot hold the process's file descriptors and
//! memory with idle sockets.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Open sockets per client address.
#[derive(Debug, Default)]
pub struct ClientSlots {
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl ClientSlots {
    /// A slot for one more socket of `client`, or `None` when it already holds `max`.
    pub fn take(self: &Arc<Self>, client: IpAddr, max: usize) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let held = open.entry(client).or_insert(0);
        if *held >= max {
            return None;
        }
        *held += 1;
        Some(Slot {
            slots: Arc::clone(self),
            client,
        })
    }

    /// Sockets `client` holds open now.
    pub fn held(&self, client: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(&client).copied().unwrap_or(0)
    }
}

/// One open socket's place in its address's count, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<ClientSlots>,
    client: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .slots
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(held) = open.get_mut(&self.client) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                // Addresses with no socket are forgotten: the map stays as small as what is open.
                open.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_at_most_max_and_gets_slots_back() {
        let slots = Arc::new(ClientSlots::default());
        let ana: IpAddr = [203, 0, 113, 1].into();
        let bea: IpAddr = [203, 0, 113, 2].into();
        let first = slots.take(ana, 2).expect("first");
        let _second = slots.take(ana, 2).expect("second");
        assert!(slots.take(ana, 2).is_none(), "a third is refused");
        assert!(slots.take(bea, 2).is_some(), "another address is not");
        drop(first);
        assert_eq!(slots.held(ana), 1);
        assert!(
            slots.take(ana, 2).is_some(),
            "a closed socket frees its slot"
        );
        assert_eq!(slots.held(bea), 0, "a dropped slot is forgotten");
    }
}
