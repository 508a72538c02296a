//! The acknowledged access tokens of a run, kept for `--verify`: the token
//! strings only (the owning client is the scenario's), at most `cap` of
//! them; past it the rest are counted, not kept, and the verification
//! fails with a message saying so (`--verify-max`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// `--verify-max` default: about 100 MB of opaque tokens at most.
pub const DEFAULT_MAX: usize = 1_000_000;

/// The kept tokens.
#[derive(Debug)]
pub struct Kept {
    cap: usize,
    tokens: Mutex<Vec<String>>,
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
    pub fn keep(&self, token: String) {
        match self.tokens.lock() {
            Ok(mut tokens) if tokens.len() < self.cap => tokens.push(token),
            _ => {
                self.over.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The kept tokens (emptying the list) and how many were not kept.
    pub fn take(&self) -> (Vec<String>, u64) {
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
            kept.keep(t.into());
        }
        assert_eq!(kept.take(), (vec!["a".to_string(), "b".to_string()], 2));
        // Taken once: the list is empty, the count stays.
        assert_eq!(kept.take(), (vec![], 2));
    }

    #[test]
    fn concurrent_workers_keep_every_token_under_the_cap() {
        let kept = std::sync::Arc::new(Kept::new(1000));
        let threads: Vec<_> = (0..4)
            .map(|w| {
                let kept = kept.clone();
                std::thread::spawn(move || (0..100).for_each(|i| kept.keep(format!("{w}-{i}"))))
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let (mut tokens, over) = kept.take();
        tokens.sort();
        tokens.dedup();
        assert_eq!((tokens.len(), over), (400, 0));
    }
}
