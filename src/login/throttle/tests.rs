//! The login throttle against a real embedded store, time moved by hand.

use super::*;
use crate::store::embedded::open_store;

const NOW: u64 = 1_000_000;

const POLICY: Policy = Policy {
    per_account: 3,
    per_address: 5,
    per_interaction: 4,
    window_secs: 600,
    lockout_secs: 300,
};

async fn repo() -> (tempfile::TempDir, Repo) {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_store(dir.path()).unwrap();
    (dir, Repo::open(store).await.unwrap())
}

fn attempt(account: &str, address: &str, interaction: &str) -> Attempt {
    Attempt {
        account: Some(account.to_string()),
        address: address.parse().unwrap(),
        interaction: (interaction.to_string(), 600),
    }
}

/// One failed attempt, as the login page runs it: admit, then failed.
async fn fail(t: &Throttle<'_>, a: &Attempt, now: u64) -> (Admission, Vec<Scope>) {
    let admission = t.admit(a, now).await.unwrap();
    let locked = match admission {
        Admission::Admitted => t.failed(a, now).await.unwrap(),
        Admission::Locked { .. } => Vec::new(),
    };
    (admission, locked)
}

/// OWASP "Account Lockout": the limit's failure locks the username for
/// `lockout_secs`, from any address and interaction; afterwards it is
/// admitted again.
#[tokio::test]
async fn failures_lock_the_username_until_the_lockout_ends() {
    let (_dir, repo) = repo().await;
    let t = Throttle::new(&repo, POLICY);
    for i in 0..2 {
        let (admission, locked) = fail(&t, &attempt("alice", "192.0.2.1", &format!("ix{i}")), NOW).await;
        assert_eq!((admission, locked), (Admission::Admitted, vec![]));
    }
    let (_, locked) = fail(&t, &attempt("alice", "192.0.2.1", "ix2"), NOW + 1).await;
    assert_eq!(locked, vec![Scope::Account]);
    // Locked: from another address and interaction too.
    let elsewhere = attempt("alice", "198.51.100.9", "ix9");
    assert_eq!(
        t.admit(&elsewhere, NOW + 2).await.unwrap(),
        Admission::Locked { retry_after: 299 }
    );
    // Another username from the same address is not locked.
    assert_eq!(
        t.admit(&attempt("bob", "192.0.2.1", "ix3"), NOW + 2)
            .await
            .unwrap(),
        Admission::Admitted
    );
    // The lock ends after lockout_secs.
    assert_eq!(
        t.admit(&elsewhere, NOW + 1 + 300).await.unwrap(),
        Admission::Admitted
    );
}

/// Admission only reads: attempts in flight are not charged, so a right
/// password costs no commit and concurrent logins of one account do not
/// contend; what bounds guesses in flight is [`AccountGate`] (below).
#[tokio::test]
async fn admission_writes_nothing_and_counts_failures_only() {
    let (_dir, repo) = repo().await;
    let t = Throttle::new(&repo, POLICY);
    for i in 0..10 {
        let a = attempt("alice", &format!("192.0.2.{i}"), &format!("ix{i}"));
        assert_eq!(t.admit(&a, NOW).await.unwrap(), Admission::Admitted);
    }
    assert_eq!(
        repo.sweep_all_expired(NOW + 100_000).await.unwrap(),
        0,
        "nothing was written"
    );
}

/// A right password clears the username's failures; the address and the
/// interaction keep theirs.
#[tokio::test]
async fn a_success_clears_the_username_only() {
    let (_dir, repo) = repo().await;
    let t = Throttle::new(&repo, POLICY);
    let a = attempt("alice", "192.0.2.1", "ix");
    fail(&t, &a, NOW).await;
    fail(&t, &a, NOW).await;
    assert_eq!(t.admit(&a, NOW).await.unwrap(), Admission::Admitted);
    t.succeeded(&a, NOW).await.unwrap();
    let count = |scope: &'static str, key: &'static str| {
        let repo = repo.clone();
        async move {
            repo.find::<LoginAttempts>(&format!("login-attempts {scope} {key}"), NOW)
                .await
                .unwrap()
                .map(|f| f.payload.count)
        }
    };
    assert_eq!(count("account", "alice").await, None);
    assert_eq!(count("address", "192.0.2.1").await, Some(2));
    assert_eq!(count("interaction", "ix").await, Some(2));
    // A success without failures before it writes nothing.
    t.succeeded(&attempt("bob", "192.0.2.1", "ix2"), NOW)
        .await
        .unwrap();
    assert_eq!(count("account", "bob").await, None);
}

/// OWASP "Protect Against Automated Attacks": a parallel burst at one
/// username runs at most `at_once` checks at a time on a node; the others
/// wait their turn (then meet the failures counted meanwhile), or give up
/// after the wait. Entries go with the last check of their username.
#[tokio::test]
async fn the_gate_lets_a_few_checks_of_one_username_run_at_once() {
    let gate = AccountGate::default();
    let wait = Duration::from_millis(200);
    let first = gate.enter("alice", 2, wait).await.unwrap();
    let second = gate.enter("alice", 2, wait).await.unwrap();
    assert!(
        gate.enter("alice", 2, wait).await.is_none(),
        "a third waits and gives up"
    );
    // Another username is not held up.
    let bob = gate.enter("bob", 2, wait).await.unwrap();
    assert_eq!(gate.usernames(), 2);
    // A waiter goes on as soon as a check ends.
    let waiter = {
        let gate = gate.clone();
        tokio::spawn(async move { gate.enter("alice", 2, Duration::from_secs(5)).await.is_some() })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(first);
    assert!(waiter.await.unwrap());
    drop((second, bob));
    assert_eq!(gate.usernames(), 0, "every entry went with its last check");
}

/// Password spraying: one address trying many usernames is locked at its
/// own limit; an interaction takes at most its cap of passwords.
#[tokio::test]
async fn an_address_and_an_interaction_have_limits_of_their_own() {
    let (_dir, repo) = repo().await;
    let t = Throttle::new(&repo, POLICY);
    let mut locked = Vec::new();
    for i in 0..5 {
        let a = attempt(&format!("user{i}"), "2001:db8:1:2::10", &format!("ix{i}"));
        locked.extend(fail(&t, &a, NOW).await.1);
    }
    assert_eq!(locked, vec![Scope::Address]);
    // Another address in the same /64 is the same subscriber.
    let same_64 = attempt("user9", "2001:db8:1:2:ffff::1", "ix9");
    assert!(matches!(
        t.admit(&same_64, NOW).await.unwrap(),
        Admission::Locked { .. }
    ));
    let other_64 = attempt("user9", "2001:db8:1:3::1", "ix9");
    assert_eq!(t.admit(&other_64, NOW).await.unwrap(), Admission::Admitted);

    let mut locked = Vec::new();
    for i in 0..4 {
        let a = attempt(&format!("name{i}"), &format!("198.51.100.{i}"), "one-ix");
        locked.extend(fail(&t, &a, NOW).await.1);
    }
    assert_eq!(locked, vec![Scope::Interaction]);
    let again = attempt("name9", "198.51.100.99", "one-ix");
    assert!(matches!(
        t.admit(&again, NOW).await.unwrap(),
        Admission::Locked { .. }
    ));
}

/// Counters are records with a lifetime: the sweeper removes them once
/// their window and lock are over.
#[tokio::test]
async fn counters_expire_and_are_swept() {
    let (_dir, repo) = repo().await;
    let t = Throttle::new(&repo, POLICY);
    let a = attempt("alice", "192.0.2.1", "ix");
    for _ in 0..3 {
        fail(&t, &a, NOW).await;
    }
    // Window 600 s, lock until NOW + 300: the account's record lives 600 s;
    // the interaction's at most its 600 s.
    assert!(repo.sweep_all_expired(NOW + 300).await.unwrap() == 0);
    let swept = repo.sweep_all_expired(NOW + 600 + 120).await.unwrap();
    assert_eq!(swept, 3);
}

#[test]
fn ipv6_addresses_count_by_their_64_and_mapped_ipv4_as_ipv4() {
    let key = |s: &str| address_key(s.parse().unwrap());
    assert_eq!(key("2001:db8:a:b:1:2:3:4"), "2001:db8:a:b::/64");
    assert_eq!(key("::ffff:192.0.2.1"), "192.0.2.1");
    assert_eq!(key("192.0.2.1"), "192.0.2.1");
}
