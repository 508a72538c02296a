//! The acknowledged access tokens of a run, kept for `--verify`: the token
//! strings and when each expires only (the owning client is the
//! scenario's), at most `cap` of them; past it the rest are counted, not kept, and the verification
//! fails with a message saying so (`--verify-max`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A kept token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptToken {
    pub token: String,
    /// Acknowledged time + `expires_in` (RFC 6749 §5.1), when given.
    pub expires: Option<Instant>,
}

/// How close to its expiry a token is no longer checked: the OP counts
/// `exp` in whole seconds from its own clock (RFC 7662 §2.2), so a token
/// may be inactive a little before the client's reckoning.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(2);

impl KeptToken {
    /// Whether the token has (or may have) expired by `now`: then
    /// `"active": false` would be its lifetime's end, not the OP losing it,
    /// and it is counted expired instead of checked.
    pub fn expired_at(&self, now: Instant) -> bool {
        self.expires.is_some_and(|e| now + EXPIRY_MARGIN >= e)
    }
}

/// `--verify-max` default: about 100 MB of opaque tokens at most.
pub const DEFAULT_MAX: usize = 1_000_000;

/// The kept tokens.
#[derive(Debug)]
pub struct Kept {
    cap: usize,
    tokens: Mutex<Vec<KeptToken>>,
    /// Acknowledged past the cap (or while the list was unusable).
    over: AtomicU64,
}

impl Kept {
    /// Keeps at most `cap` tokens.
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            tokens: Mutex::new(Vec::new()),
            over: AtomicU64::new(0),
        }
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Keeps a token the OP acknowledged, or counts it when the cap is reached.
    pub fn keep(&self, token: String, expires: Option<Instant>) {
        match self.tokens.lock() {
            Ok(mut tokens) if tokens.len() < self.cap => tokens.push(KeptToken { token, expires }),
            _ => {
                self.over.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The kept tokens (emptying the list) and how many were not kept.
    pub fn take(&self) -> (Vec<KeptToken>, u64) {
        let tokens = match self.tokens.lock() {
            Ok(mut tokens) => std::mem::take(&mut *tokens),
            Err(_) => Vec::new(),
        };
        (tokens, self.over.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_past_the_cap_are_counted_not_kept() {
        let kept = Kept::new(2);
        for t in ["a", "b", "c", "d"] {
            kept.keep(t.into(), None);
        }
        let (tokens, over) = kept.take();
        let tokens: Vec<&str> = tokens.iter().map(|t| t.token.as_str()).collect();
        assert_eq!((tokens, over), (vec!["a", "b"], 2));
        // Taken once: the list is empty, the count stays.
        assert_eq!(kept.take(), (vec![], 2));
    }

    #[test]
    fn concurrent_workers_keep_every_token_under_the_cap() {
        let kept = std::sync::Arc::new(Kept::new(1000));
        let threads: Vec<_> = (0..4)
            .map(|w| {
                let kept = kept.clone();
                std::thread::spawn(move || (0..100).for_each(|i| kept.keep(format!("{w}-{i}"), None)))
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let (tokens, over) = kept.take();
        let mut tokens: Vec<String> = tokens.into_iter().map(|t| t.token).collect();
        tokens.sort();
        tokens.dedup();
        assert_eq!((tokens.len(), over), (400, 0));
    }

    /// RFC 6749 §5.1 `expires_in`: a token within the margin of its expiry
    /// is not checked; one without `expires_in` always is.
    #[test]
    fn a_token_near_its_expiry_counts_as_expired() {
        let now = Instant::now();
        let token = |secs: u64| KeptToken {
            token: "t".into(),
            expires: Some(now + Duration::from_secs(secs)),
        };
        assert!(!token(60).expired_at(now));
        assert!(token(60).expired_at(now + Duration::from_secs(58)));
        assert!(token(1).expired_at(now));
        let forever = KeptToken {
            token: "t".into(),
            expires: None,
        };
        assert!(!forever.expired_at(now + Duration::from_secs(86_400)));
    }
}
