//! Room for one more browser session in a sandbox service's in-memory
//! table (the customer device's, the login app's): at most `max`, the
//! expired ones dropped first, then the oldest.

use std::collections::HashMap;

/// Makes `sessions` hold fewer than `max`: the expired (`expires_at` past
/// `now`) go first; if it is still full, the one `started` earliest.
pub fn make_room<V>(
    sessions: &mut HashMap<String, V>,
    max: usize,
    now: u64,
    expires_at: impl Fn(&V) -> u64,
    started: impl Fn(&V) -> u64,
) {
    if sessions.len() >= max {
        sessions.retain(|_, s| expires_at(s) > now);
    }
    if sessions.len() >= max
        && let Some(oldest) = sessions
            .iter()
            .min_by_key(|(_, s)| started(s))
            .map(|(id, _)| id.clone())
    {
        sessions.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expired_go_first_then_the_oldest() {
        // (started, expires_at)
        let mut table: HashMap<String, (u64, u64)> = [
            ("a".into(), (1, 100)),
            ("b".into(), (2, 5)),
            ("c".into(), (3, 100)),
        ]
        .into();
        make_room(&mut table, 3, 10, |s| s.1, |s| s.0);
        assert!(!table.contains_key("b") && table.len() == 2);
        make_room(&mut table, 2, 10, |s| s.1, |s| s.0);
        assert_eq!(table.keys().collect::<Vec<_>>(), vec!["c"]);
        make_room(&mut table, 5, 10, |s| s.1, |s| s.0);
        assert_eq!(table.len(), 1);
    }
}
