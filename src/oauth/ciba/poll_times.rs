//! When each pending CIBA request was last polled, kept on the node
//! instead of in the store (CIBA Core §11's `slow_down` needs it, but a
//! durable write per `authorization_pending` answer was most of a poll's
//! cost: docs/PERFORMANCE.md, "CIBA").
//!
//! The store still holds what must survive and be shared: the decision,
//! the redemption, and an interval raised by `slow_down` (written when it
//! is raised, so it stays raised on every node and across restarts). What
//! lives only here is the time of the last poll on this node: a client
//! that spreads its polls over several nodes meets each node's pacing, not
//! the sum; a restart forgets it (the next poll is simply on time).
//!
//! Bounded: at most `capacity` requests (`[ciba] max_pending`); when full,
//! entries of expired requests are dropped first, and a request that still
//! finds no room is paced by the store as before (its poll is written).
//! Keyed by the SHA-256 of the `auth_req_id` (the id itself is a secret),
//! in shards so polls of different requests rarely meet on a lock.

use std::collections::HashMap;
use std::sync::Mutex;

const SHARDS: usize = 16;

/// What a node remembers of one request's polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polled {
    /// When the client last polled (Unix seconds).
    pub at: u64,
    /// The interval in force after that poll.
    pub interval: u64,
    /// When the request expires (for eviction).
    pub expires_at: u64,
}

/// The node's poll times.
#[derive(Debug)]
pub struct PollTimes {
    shards: Vec<Mutex<HashMap<[u8; 32], Polled>>>,
    per_shard: usize,
}

impl PollTimes {
    /// At most `capacity` requests remembered.
    pub fn new(capacity: u64) -> Self {
        let per_shard = usize::try_from(capacity)
            .unwrap_or(usize::MAX)
            .div_ceil(SHARDS)
            .max(1);
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard,
        }
    }

    fn shard(&self, key: &[u8; 32]) -> &Mutex<HashMap<[u8; 32], Polled>> {
        &self.shards[usize::from(key[0]) % SHARDS]
    }

    /// What this node remembers of request `key`.
    pub fn get(&self, key: &[u8; 32]) -> Option<Polled> {
        self.shard(key).lock().ok()?.get(key).copied()
    }

    /// Remembers a poll of request `key`; `false` when there was no room
    /// (then the caller writes the poll to the store).
    pub fn remember(&self, key: [u8; 32], polled: Polled, now: u64) -> bool {
        let Ok(mut shard) = self.shard(&key).lock() else {
            return false;
        };
        if shard.len() >= self.per_shard && !shard.contains_key(&key) {
            shard.retain(|_, p| p.expires_at > now);
            if shard.len() >= self.per_shard {
                return false;
            }
        }
        shard.insert(key, polled);
        true
    }

    /// Forgets request `key` (redeemed, or decided for good).
    pub fn forget(&self, key: &[u8; 32]) {
        if let Ok(mut shard) = self.shard(key).lock() {
            shard.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> [u8; 32] {
        let mut key = [0u8; 32];
        key[0] = n;
        key[1] = n;
        key
    }

    /// Remembered, read back, forgotten; bounded, expired entries make room.
    #[test]
    fn remembers_within_its_bound() {
        let times = PollTimes::new(16);
        let polled = |at, expires_at| Polled {
            at,
            interval: 5,
            expires_at,
        };
        assert!(times.remember(key(0), polled(10, 100), 10));
        assert_eq!(times.get(&key(0)), Some(polled(10, 100)));
        // One per shard: a second key of shard 0 finds no room until the first expires.
        let other = {
            let mut k = key(16);
            k[1] = 99;
            k
        };
        assert!(!times.remember(other, polled(11, 200), 11));
        assert!(
            times.remember(other, polled(101, 200), 101),
            "the first expired at 100"
        );
        assert_eq!(times.get(&key(0)), None);
        times.forget(&other);
        assert_eq!(times.get(&other), None);
    }
}
