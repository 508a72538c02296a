//! Request budgets: token buckets (the OP's `actors::token_bucket::TokenBucket`),
//! in this process, at two steps of `proxy::Gateway::pass`:
//!
//! 1. per transport certificate (`x5t#S256` of the verified TLS client
//!    certificate), before the token is looked up, so that a flood of
//!    garbage tokens or proofs never reaches the OP beyond the budget;
//! 2. per client (`client_id` of the token), after it, so that a client
//!    with several certificates still has one budget.
//!
//! Beyond either: 429 with `Retry-After` (RFC 6585 §4). Both keys are
//! authenticated (a certificate chaining to `client_ca`, a token the OP
//! issued), so the maps grow with the ecosystem, not with an attacker;
//! buckets idle long enough to be full again are dropped.

use crate::actors::token_bucket::TokenBucket;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sweep idle buckets when a map holds more than this many.
const SWEEP_ABOVE: usize = 10_000;

/// The gateway's budgets.
pub struct RateLimits {
    by_certificate: Buckets,
    by_client: Buckets,
}

impl RateLimits {
    /// `per_second` refill, `burst` capacity, for every certificate and
    /// every client.
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            by_certificate: Buckets::new(per_second, burst),
            by_client: Buckets::new(per_second, burst),
        }
    }

    /// Charges one request to the certificate `x5t_s256`; `Err(seconds)`
    /// to wait when over.
    pub fn take_certificate(&self, x5t_s256: &str, now: Instant) -> Result<(), u64> {
        self.by_certificate.take(x5t_s256, now)
    }

    /// Charges one request to `client_id`; `Err(seconds)` to wait when over.
    pub fn take_client(&self, client_id: &str, now: Instant) -> Result<(), u64> {
        self.by_client.take(client_id, now)
    }
}

/// Buckets by key, each with its last use.
struct Buckets {
    per_second: u32,
    burst: u32,
    /// After this long unused a bucket is full again.
    refill: Duration,
    buckets: Mutex<HashMap<String, (TokenBucket, Instant)>>,
}

impl Buckets {
    fn new(per_second: u32, burst: u32) -> Self {
        let refill = u64::from(burst.max(1)).div_ceil(u64::from(per_second.max(1))) + 1;
        Self {
            per_second,
            burst,
            refill: Duration::from_secs(refill),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn take(&self, key: &str, now: Instant) -> Result<(), u64> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() > SWEEP_ABOVE && !buckets.contains_key(key) {
            buckets.retain(|_, (_, used)| now.saturating_duration_since(*used) < self.refill);
        }
        let (bucket, used) = buckets
            .entry(key.to_string())
            .or_insert_with(|| (TokenBucket::new(self.per_second, self.burst, now), now));
        *used = now;
        bucket.take(now).map_err(|limited| limited.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_has_its_own_bucket_rfc6585_s4() {
        let limits = RateLimits::new(1, 2);
        let now = Instant::now();
        assert!(limits.take_client("a", now).is_ok());
        assert!(limits.take_client("a", now).is_ok());
        assert_eq!(limits.take_client("a", now), Err(1));
        assert!(limits.take_client("b", now).is_ok());
        assert!(limits.take_client("a", now + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn certificates_and_clients_are_budgeted_apart() {
        let limits = RateLimits::new(1, 1);
        let now = Instant::now();
        assert!(limits.take_certificate("x5t", now).is_ok());
        assert_eq!(limits.take_certificate("x5t", now), Err(1));
        assert!(limits.take_client("x5t", now).is_ok(), "another budget");
        assert!(limits.take_certificate("other", now).is_ok());
    }
}
