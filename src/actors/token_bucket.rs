//! A request budget: a token bucket of `burst` requests refilled at
//! `requests_per_second`; a request beyond it is refused with 429 and
//! `Retry-After` (RFC 6585 §4). Each `ClientActor` holds one for its
//! client; the API gateway keeps one per client and per certificate.

use std::time::Instant;

/// A request over the budget; retry after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited(pub u64);

/// A token bucket (`now` passed in, so it is tested without sleeping).
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(per_second: u32, burst: u32, now: Instant) -> Self {
        let capacity = f64::from(burst.max(1));
        Self {
            capacity,
            per_second: f64::from(per_second.max(1)),
            tokens: capacity,
            updated: now,
        }
    }

    /// Takes one token, or says how many seconds until one is there.
    pub fn take(&mut self, now: Instant) -> Result<(), RateLimited> {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(RateLimited(
                ((1.0 - self.tokens) / self.per_second).ceil().max(1.0) as u64,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_allows_the_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10, 3, start);
        for _ in 0..3 {
            bucket.take(start).unwrap();
        }
        assert_eq!(bucket.take(start), Err(RateLimited(1)));
        bucket.take(start + Duration::from_millis(100)).unwrap();
        assert!(bucket.take(start + Duration::from_millis(100)).is_err());
        for i in 0..3 {
            bucket
                .take(start + Duration::from_secs(10) + Duration::from_nanos(i))
                .unwrap();
        }
        assert!(
            bucket.take(start + Duration::from_secs(10)).is_err(),
            "refill stops at the burst"
        );
    }
}
