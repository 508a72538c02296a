//! Per-client request budgets: one token bucket (the OP's
//! `actors::client::TokenBucket`) per `client_id`, in this process.
//! Beyond it: 429 with `Retry-After` (RFC 6585 §4).

use crate::actors::client::TokenBucket;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Buckets by client.
pub struct RateLimits {
    per_second: u32,
    burst: u32,
    buckets: Mutex<HashMap<String, TokenBucket>>,
}

impl RateLimits {
    /// `per_second` refill, `burst` capacity, for every client.
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second,
            burst,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Charges one request to `client_id`; `Err(seconds)` to wait when over.
    pub fn take(&self, client_id: &str, now: Instant) -> Result<(), u64> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let bucket = buckets
            .entry(client_id.to_string())
            .or_insert_with(|| TokenBucket::new(self.per_second, self.burst, now));
        bucket.take(now).map_err(|limited| limited.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn each_client_has_its_own_bucket_rfc6585_s4() {
        let limits = RateLimits::new(1, 2);
        let now = Instant::now();
        assert!(limits.take("a", now).is_ok());
        assert!(limits.take("a", now).is_ok());
        assert_eq!(limits.take("a", now), Err(1));
        assert!(limits.take("b", now).is_ok());
        assert!(limits.take("a", now + Duration::from_secs(1)).is_ok());
    }
}
