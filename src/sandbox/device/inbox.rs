//! The requests waiting on the device, in memory (the device is the phone:
//! a restart of the device loses what it showed, the OP keeps the requests
//! and their state). Bounded: at most `max_pending` requests; expired ones
//! are dropped when room is needed and never listed or decided (CIBA Core
//! §7.3 `expires_in`: an expired request cannot be approved). A request
//! being decided is taken out, so two decisions of one request cannot race,
//! and put back when the OP could not be reached.

use super::notification::PendingRequest;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Why a request could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// `max_pending` live requests are held.
    Full,
}

/// The pending requests of every customer.
pub struct Inbox {
    max: usize,
    requests: Mutex<HashMap<String, Arc<PendingRequest>>>,
}

impl Inbox {
    /// An empty inbox holding at most `max` requests.
    pub fn new(max: usize) -> Self {
        Self {
            max,
            requests: Mutex::new(HashMap::new()),
        }
    }

    /// Queues `request`. The same `auth_req_id` again (the OP retrying a
    /// notification whose answer it did not see) is accepted and changes
    /// nothing.
    pub fn add(&self, request: PendingRequest, now: u64) -> Result<(), Full> {
        let Ok(mut requests) = self.requests.lock() else {
            return Err(Full::Full);
        };
        if requests.contains_key(&request.auth_req_id) {
            return Ok(());
        }
        if requests.len() >= self.max {
            requests.retain(|_, r| r.expires_at > now);
        }
        if requests.len() >= self.max {
            return Err(Full::Full);
        }
        requests.insert(request.auth_req_id.clone(), Arc::new(request));
        Ok(())
    }

    /// Queues every request of `batch`, or none when there is no room for
    /// all of them (the OP retries the batch). Requests held already (the
    /// OP retrying) change nothing.
    pub fn add_all(&self, batch: Vec<PendingRequest>, now: u64) -> Result<(), Full> {
        let Ok(mut requests) = self.requests.lock() else {
            return Err(Full::Full);
        };
        let new = batch
            .iter()
            .filter(|r| !requests.contains_key(&r.auth_req_id))
            .count();
        if requests.len() + new > self.max {
            requests.retain(|_, r| r.expires_at > now);
        }
        if requests.len() + new > self.max {
            return Err(Full::Full);
        }
        for request in batch {
            requests
                .entry(request.auth_req_id.clone())
                .or_insert_with(|| Arc::new(request));
        }
        Ok(())
    }

    /// The live requests of customer `sub`, soonest expiry first.
    pub fn of(&self, sub: &str, now: u64) -> Vec<Arc<PendingRequest>> {
        let Ok(requests) = self.requests.lock() else {
            return Vec::new();
        };
        let mut mine: Vec<_> = requests
            .values()
            .filter(|r| r.sub == sub && r.expires_at > now)
            .cloned()
            .collect();
        mine.sort_by(|a, b| (a.expires_at, &a.auth_req_id).cmp(&(b.expires_at, &b.auth_req_id)));
        mine
    }

    /// Takes out `auth_req_id` for a decision when it is `sub`'s and live;
    /// `None` otherwise (unknown, another customer's, expired: all alike,
    /// so a customer learns nothing of others' requests).
    pub fn take(&self, auth_req_id: &str, sub: &str, now: u64) -> Option<Arc<PendingRequest>> {
        let mut requests = self.requests.lock().ok()?;
        let live = requests
            .get(auth_req_id)
            .is_some_and(|r| r.sub == sub && r.expires_at > now);
        if !live {
            return None;
        }
        requests.remove(auth_req_id)
    }

    /// Puts back a request taken for a decision that did not reach the OP.
    pub fn put_back(&self, request: Arc<PendingRequest>) {
        if let Ok(mut requests) = self.requests.lock() {
            requests.insert(request.auth_req_id.clone(), request);
        }
    }

    /// Requests held (live or not yet dropped).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.requests.lock().map_or(0, |r| r.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: &str, sub: &str, expires_at: u64) -> PendingRequest {
        PendingRequest {
            auth_req_id: id.into(),
            sub: sub.into(),
            client_id: "c".into(),
            client_name: "C".into(),
            scopes: vec!["openid".into()],
            binding_message: None,
            acr_values: None,
            authorization_details: None,
            intent: None,
            expires_at,
        }
    }

    #[test]
    fn bounded_and_expired_requests_make_room() {
        let inbox = Inbox::new(2);
        inbox.add(request("a", "alice", 110), 100).unwrap();
        inbox.add(request("b", "alice", 200), 100).unwrap();
        inbox.add(request("a", "alice", 110), 100).unwrap();
        assert_eq!(inbox.add(request("c", "bob", 200), 100), Err(Full::Full));
        // At 150 `a` has expired and its place is free.
        inbox.add(request("c", "bob", 200), 150).unwrap();
        assert_eq!(inbox.len(), 2);
    }

    /// A batch goes in whole or not at all; expired requests make room.
    #[test]
    fn a_batch_is_queued_whole_or_not_at_all() {
        let inbox = Inbox::new(3);
        inbox.add(request("a", "alice", 110), 100).unwrap();
        let batch = || {
            vec![
                request("a", "alice", 110),
                request("b", "bob", 300),
                request("c", "bob", 300),
            ]
        };
        inbox.add_all(batch(), 100).unwrap();
        assert_eq!(inbox.len(), 3, "`a` again changes nothing");
        let more = || vec![request("d", "bob", 300), request("e", "bob", 300)];
        assert_eq!(inbox.add_all(more(), 100), Err(Full::Full));
        assert_eq!(inbox.len(), 3, "none of a refused batch is kept");
        // At 150 `a` has expired: room for one, not two.
        assert_eq!(inbox.add_all(more(), 150), Err(Full::Full));
        inbox.add_all(vec![request("d", "bob", 300)], 150).unwrap();
        assert_eq!(inbox.len(), 3);
    }

    #[test]
    fn a_customer_lists_and_takes_only_their_live_requests() {
        let inbox = Inbox::new(10);
        inbox.add(request("a", "alice", 300), 100).unwrap();
        inbox.add(request("b", "alice", 200), 100).unwrap();
        inbox.add(request("c", "bob", 200), 100).unwrap();
        let ids: Vec<_> = inbox
            .of("alice", 100)
            .iter()
            .map(|r| r.auth_req_id.clone())
            .collect();
        assert_eq!(ids, ["b", "a"]);
        assert_eq!(inbox.of("alice", 250).len(), 1);
        assert!(inbox.take("c", "alice", 100).is_none());
        assert!(inbox.take("b", "alice", 250).is_none(), "expired");
        let taken = inbox.take("a", "alice", 100).unwrap();
        assert!(inbox.take("a", "alice", 100).is_none(), "taken once");
        inbox.put_back(taken);
        assert!(inbox.take("a", "alice", 100).is_some());
    }
}
