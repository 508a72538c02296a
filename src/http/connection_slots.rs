//! How many connections one peer address, and all peers together, may
//! have open on a listener. A slot is taken before the handshake and given
//! back when the connection ends; without one, the connection is refused
//! before any state is spent on it (QUIC: `CONNECTION_REFUSED`, RFC 9000
//! §20.1).
//!
//! IPv6 peers are counted by their /64 (one host usually holds a whole
//! /64, RFC 4291 §2.5.4), IPv4-mapped addresses as IPv4.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard};

/// Open connections by address, with their bounds.
#[derive(Debug)]
pub struct ConnectionSlots {
    per_address: usize,
    total: usize,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    by_address: HashMap<IpAddr, usize>,
    total: usize,
}

/// Why no slot was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoSlot {
    /// The peer's address has `per_address` connections open.
    Address,
    /// The listener has `total` connections open.
    Total,
}

impl NoSlot {
    /// Label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            NoSlot::Address => "per_address",
            NoSlot::Total => "total",
        }
    }
}

/// One open connection's slot; dropping it gives the slot back.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<ConnectionSlots>,
    address: IpAddr,
}

impl ConnectionSlots {
    /// At most `per_address` connections per address and `total` in all.
    pub fn new(per_address: usize, total: usize) -> Arc<Self> {
        Arc::new(Self {
            per_address: per_address.max(1),
            total: total.max(1),
            open: Mutex::new(Open::default()),
        })
    }

    /// A slot for a connection from `peer`, if one is free.
    pub fn take(self: &Arc<Self>, peer: IpAddr) -> Result<Slot, NoSlot> {
        let address = counted_as(peer);
        let mut open = self.lock();
        if open.total >= self.total {
            return Err(NoSlot::Total);
        }
        let count = open.by_address.entry(address).or_insert(0);
        if *count >= self.per_address {
            return Err(NoSlot::Address);
        }
        *count += 1;
        open.total += 1;
        Ok(Slot {
            slots: self.clone(),
            address,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.lock().total
    }

    fn lock(&self) -> MutexGuard<'_, Open> {
        // The counts stay consistent under a panic elsewhere: each update
        // is a few integer operations.
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.lock();
        open.total = open.total.saturating_sub(1);
        if let Some(count) = open.by_address.get_mut(&self.address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.by_address.remove(&self.address);
            }
        }
    }
}

fn counted_as(peer: IpAddr) -> IpAddr {
    match peer.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_address_and_total_bounds_and_slots_come_back() {
        let slots = ConnectionSlots::new(2, 3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let a1 = slots.take(a).unwrap();
        let _a2 = slots.take(a).unwrap();
        assert_eq!(slots.take(a).unwrap_err(), NoSlot::Address);
        let _b1 = slots.take(b).unwrap();
        assert_eq!(slots.take(b).unwrap_err(), NoSlot::Total);
        drop(a1);
        assert_eq!(slots.open(), 2);
        assert!(slots.take(a).is_ok());
    }

    #[test]
    fn ipv6_counts_by_64_and_mapped_ipv4_as_ipv4() {
        let slots = ConnectionSlots::new(1, 10);
        let _one = slots.take("2001:db8::1".parse().unwrap()).unwrap();
        assert_eq!(
            slots.take("2001:db8::2".parse().unwrap()).unwrap_err(),
            NoSlot::Address
        );
        let _v4 = slots.take("192.0.2.1".parse().unwrap()).unwrap();
        assert_eq!(
            slots.take("::ffff:192.0.2.1".parse().unwrap()).unwrap_err(),
            NoSlot::Address
        );
    }
}
