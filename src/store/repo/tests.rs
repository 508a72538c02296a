use super::*;
use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions, InjectedFault};
use crate::store::keys::{self, Index, Kind, SCHEMA_VERSION};
use crate::store::kv::Store;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Token {
    client_id: String,
    grant_id: String,
    account_id: String,
    scope: String,
}

impl StoredRecord for Token {
    const KIND: Kind = Kind::AccessToken;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.client_id.clone()),
            grant_id: Some(self.grant_id.clone()),
            account_id: Some(self.account_id.clone()),
            ..Links::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Code {
    grant_id: String,
}

/// A record of a kind indexed by every link (unlike tokens: grant only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Pending {
    client_id: String,
    grant_id: String,
    account_id: String,
}

impl StoredRecord for Pending {
    const KIND: Kind = Kind::Interaction;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.client_id.clone()),
            grant_id: Some(self.grant_id.clone()),
            account_id: Some(self.account_id.clone()),
            ..Links::default()
        }
    }
}

fn pending(grant: &str) -> Pending {
    Pending {
        client_id: "client-1".into(),
        grant_id: grant.into(),
        account_id: "alice".into(),
    }
}

impl StoredRecord for Code {
    const KIND: Kind = Kind::AuthorizationCode;
    fn links(&self) -> Links {
        Links {
            grant_id: Some(self.grant_id.clone()),
            ..Links::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Session {
    uid: String,
}

impl StoredRecord for Session {
    const KIND: Kind = Kind::Session;
    fn links(&self) -> Links {
        Links {
            uid: Some(self.uid.clone()),
            ..Links::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CibaRequest {
    auth_req_id: String,
    account_id: String,
}

impl StoredRecord for CibaRequest {
    const KIND: Kind = Kind::BackchannelAuthenticationRequest;
    fn links(&self) -> Links {
        Links {
            auth_req_id: Some(self.auth_req_id.clone()),
            account_id: Some(self.account_id.clone()),
            ..Links::default()
        }
    }
}

const NOW: u64 = 1_800_000_000;

/// A revocation at [`NOW`] whose marker is kept an hour.
const REVOKED: GrantRevocation = GrantRevocation {
    cause: crate::store::repo::RevocationCause::ClientRevocation,
    now: NOW,
    keep_secs: 3600,
};

fn token(grant: &str) -> Token {
    Token {
        client_id: "client-1".into(),
        grant_id: grant.into(),
        account_id: "alice".into(),
        scope: "openid accounts".into(),
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    backend: Arc<EmbeddedBackend>,
    repo: Repo,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let repo = Repo::open(Store::new(backend.clone())).await.unwrap();
    Fixture {
        _dir: dir,
        backend,
        repo,
    }
}

#[tokio::test]
async fn upsert_then_find_and_secondary_lookups() {
    let f = fixture().await;
    f.repo
        .upsert("ia-1", &pending("g-1"), Some(3600), NOW)
        .await
        .unwrap();
    f.repo
        .upsert("ia-2", &pending("g-2"), Some(3600), NOW)
        .await
        .unwrap();
    let found = f.repo.find::<Pending>("ia-1", NOW).await.unwrap().unwrap();
    assert_eq!(found.payload, pending("g-1"));
    assert_eq!(found.meta.expires_at, Some(NOW + 3600));
    assert_eq!(
        f.repo
            .find_by_client::<Pending>("client-1", NOW)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        f.repo.find_by_grant::<Pending>("g-2", NOW).await.unwrap().len(),
        1
    );
    assert_eq!(
        f.repo.find_by_user::<Pending>("alice", NOW).await.unwrap().len(),
        2
    );
    assert!(f.repo.find::<Pending>("ia-3", NOW).await.unwrap().is_none());
}

/// A revocation outbox record or its expiry entry: what revocations add
/// besides the records they delete (`outbox.rs`, tested there).
fn is_outbox_key(key: &[u8]) -> bool {
    let outbox = keys::OwnedElement::Int(Kind::RevocationNotice.code());
    match keys::unpack(key).unwrap_or_default().as_slice() {
        [kind, _] => *kind == outbox,
        [keys::OwnedElement::Int(64), _, kind, _] => *kind == outbox,
        _ => false,
    }
}

/// Every key in the store except the schema version and the revocation
/// outbox's ([`is_outbox_key`]).
async fn all_keys(repo: &Repo) -> Vec<Vec<u8>> {
    repo.store()
        .run(|tx, _| async move {
            let all = tx
                .get_range(
                    &crate::store::kv::KeyRange::new(vec![0x15], vec![0xff]),
                    Default::default(),
                )
                .await?;
            Ok(all
                .into_iter()
                .map(|(k, _)| k)
                .filter(|k| !is_outbox_key(k))
                .collect::<Vec<_>>())
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn tokens_are_indexed_by_grant_only() {
    let f = fixture().await;
    f.repo
        .upsert("at-1", &token("g-1"), Some(600), NOW)
        .await
        .unwrap();
    let id_key = Kind::AccessToken.id_key("at-1");
    let expected = vec![
        keys::record_key(Kind::AccessToken, &id_key),
        keys::expiry_key(NOW + 600, Kind::AccessToken, &id_key),
        keys::index_key(keys::Index::Grant, b"g-1", Kind::AccessToken, &id_key),
    ];
    assert_eq!(all_keys(&f.repo).await, expected);
    // The client and user are kept in the record, not indexed: a lookup
    // there is refused rather than answered with nothing.
    let found = f.repo.find::<Token>("at-1", NOW).await.unwrap().unwrap();
    assert_eq!(found.meta.client_id.as_deref(), Some("client-1"));
    let err = f.repo.find_by_client::<Token>("client-1", NOW).await.unwrap_err();
    assert!(err.to_string().contains("not indexed by client"), "{err}");
    assert!(f.repo.find_by_user::<Token>("alice", NOW).await.is_err());
    assert_eq!(f.repo.find_by_grant::<Token>("g-1", NOW).await.unwrap().len(), 1);
}

#[tokio::test]
async fn insert_new_writes_what_upsert_writes_and_is_found_swept_and_revoked() {
    let f = fixture().await;
    let fresh = FreshId::generate().unwrap();
    assert_eq!(fresh.as_str().len(), 43);
    assert_ne!(fresh, FreshId::generate().unwrap());
    assert!(
        !format!("{fresh:?}").contains(fresh.as_str()),
        "Debug shows the secret"
    );
    f.repo
        .insert_new(&fresh, &token("g-1"), Some(600), NOW)
        .await
        .unwrap();
    let inserted = f
        .repo
        .store()
        .run(|tx, _| {
            let fresh = fresh.clone();
            async move {
                let key = keys::record_key(Kind::AccessToken, &Kind::AccessToken.id_key(fresh.as_str()));
                tx.get(&key).await
            }
        })
        .await
        .unwrap()
        .unwrap();
    // Byte for byte what upsert stores for the same record, and the same
    // entries: record, expiry, grant index.
    let other = FreshId::generate().unwrap();
    f.repo
        .upsert(other.as_str(), &token("g-1"), Some(600), NOW)
        .await
        .unwrap();
    let upserted = f
        .repo
        .store()
        .run(|tx, _| {
            let other = other.clone();
            async move {
                let key = keys::record_key(Kind::AccessToken, &Kind::AccessToken.id_key(other.as_str()));
                tx.get(&key).await
            }
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(inserted, upserted);
    assert_eq!(all_keys(&f.repo).await.len(), 6);

    let found = f.repo.find::<Token>(fresh.as_str(), NOW).await.unwrap().unwrap();
    assert_eq!(
        (found.payload, found.meta.expires_at),
        (token("g-1"), Some(NOW + 600))
    );
    assert_eq!(f.repo.find_by_grant::<Token>("g-1", NOW).await.unwrap().len(), 2);
    // A retry of the same insert (after an unknown commit outcome) is
    // harmless: the same blind writes again.
    f.backend.inject_faults(&[InjectedFault::UnknownAfterApply]);
    let third = FreshId::generate().unwrap();
    f.repo
        .insert_new(&third, &token("g-2"), Some(60), NOW)
        .await
        .unwrap();
    assert_eq!(f.repo.find_by_grant::<Token>("g-2", NOW).await.unwrap().len(), 1);
    // Swept when expired, with its entries; revoked with its grant.
    let later = NOW + 60 + 2 * keys::EXPIRY_BUCKET_SECONDS;
    assert_eq!(f.repo.sweep_all_expired(later).await.unwrap(), 1);
    assert!(
        f.repo
            .find_by_grant::<Token>("g-2", NOW)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(f.repo.revoke_by_grant_id("g-1", REVOKED).await.unwrap(), 2);
    // Left: the grant's revocation marker and its expiry entry, swept once
    // the marker lapses.
    assert_eq!(all_keys(&f.repo).await.len(), 2);
    let lapsed = NOW + REVOKED.keep_secs + 2 * keys::EXPIRY_BUCKET_SECONDS;
    // The revocation's outbox record (kept twice `outbox::MAX_AGE_SECS`,
    // less than the marker) lapses by then too.
    const { assert!(REVOKED.keep_secs > 2 * super::outbox::MAX_AGE_SECS) };
    assert_eq!(f.repo.sweep_all_expired(lapsed).await.unwrap(), 2);
    assert!(all_keys(&f.repo).await.is_empty());
}

#[cfg(debug_assertions)]
#[tokio::test]
#[should_panic(expected = "insert_new found another record under a fresh id")]
async fn insert_new_over_another_record_fails_a_debug_assertion() {
    let f = fixture().await;
    let fresh = FreshId::generate().unwrap();
    // Impossible outside a test: someone else stored a record under the id.
    f.repo
        .upsert(fresh.as_str(), &token("g-other"), Some(600), NOW)
        .await
        .unwrap();
    let _ = f.repo.insert_new(&fresh, &token("g-1"), Some(600), NOW).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_inserts_never_conflict() {
    let f = fixture().await;
    let mut tasks = Vec::new();
    for task in 0..32 {
        let repo = f.repo.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..20 {
                let id = FreshId::generate().unwrap();
                repo.insert_new(&id, &token(&format!("g-{}", task % 4)), Some(600), NOW)
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(f.backend.stats().conflicts, 0);
    assert_eq!(
        f.repo.find_by_grant::<Token>("g-3", NOW).await.unwrap().len(),
        160
    );
}

#[tokio::test]
async fn upsert_replaces_old_index_entries() {
    let f = fixture().await;
    f.repo
        .upsert("at-1", &token("g-old"), Some(60), NOW)
        .await
        .unwrap();
    f.repo
        .upsert("at-1", &token("g-new"), Some(7200), NOW)
        .await
        .unwrap();
    assert!(
        f.repo
            .find_by_grant::<Token>("g-old", NOW)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        f.repo.find_by_grant::<Token>("g-new", NOW).await.unwrap().len(),
        1
    );
    // The old expiry entry went too: a sweep well after 60 s removes nothing.
    assert_eq!(f.repo.sweep_all_expired(NOW + 600).await.unwrap(), 0);
    assert!(f.repo.find::<Token>("at-1", NOW + 600).await.unwrap().is_some());
}

#[tokio::test]
async fn expired_records_are_invisible_before_the_sweep_and_gone_after() {
    let f = fixture().await;
    f.repo.upsert("at-1", &token("g-1"), Some(30), NOW).await.unwrap();
    f.repo.upsert("at-2", &token("g-1"), None, NOW).await.unwrap();
    assert!(f.repo.find::<Token>("at-1", NOW + 29).await.unwrap().is_some());
    assert!(f.repo.find::<Token>("at-1", NOW + 30).await.unwrap().is_none());
    assert_eq!(
        f.repo
            .find_by_grant::<Token>("g-1", NOW + 30)
            .await
            .unwrap()
            .len(),
        1
    );
    let later = NOW + 30 + 2 * keys::EXPIRY_BUCKET_SECONDS;
    assert_eq!(f.repo.sweep_all_expired(later).await.unwrap(), 1);
    // The record and its index entries are deleted, not only hidden.
    let raw = f
        .repo
        .store()
        .run(|tx, _| async move {
            let id_key = Kind::AccessToken.id_key("at-1");
            let grant = keys::index_key(keys::Index::Grant, b"g-1", Kind::AccessToken, &id_key);
            Ok((
                tx.get(&keys::record_key(Kind::AccessToken, &id_key)).await?,
                tx.get(&grant).await?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(raw, (None, None));
    assert!(f.repo.find::<Token>("at-2", later).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_concurrent_consumers_exactly_one_wins() {
    let f = fixture().await;
    for round in 0..5 {
        let id = format!("code-{round}");
        f.repo
            .upsert(&id, &Code { grant_id: "g".into() }, Some(60), NOW)
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let repo = f.repo.clone();
            let id = id.clone();
            tasks.push(tokio::spawn(async move {
                repo.consume::<Code>(&id, NOW + 1).await.unwrap()
            }));
        }
        let mut winners = 0;
        for task in tasks {
            match task.await.unwrap() {
                Consumed::Now(found) => {
                    winners += 1;
                    assert_eq!(found.consumed_at(), Some(NOW + 1));
                }
                Consumed::Already(found) => assert_eq!(found.consumed_at(), Some(NOW + 1)),
                Consumed::Missing => panic!("the code vanished"),
            }
        }
        assert_eq!(winners, 1, "round {round}");
    }
}

#[tokio::test]
async fn consume_wins_once_across_an_unknown_commit_outcome() {
    let f = fixture().await;
    f.repo
        .upsert("code-1", &Code { grant_id: "g".into() }, Some(60), NOW)
        .await
        .unwrap();
    // The winning commit lands but its acknowledgement is lost: the retry must
    // still report the win, not a replay.
    f.backend.inject_faults(&[InjectedFault::UnknownAfterApply]);
    assert!(matches!(
        f.repo.consume::<Code>("code-1", NOW).await.unwrap(),
        Consumed::Now(_)
    ));
    assert!(matches!(
        f.repo.consume::<Code>("code-1", NOW).await.unwrap(),
        Consumed::Already(_)
    ));
    // Expired and missing codes cannot be consumed.
    assert_eq!(
        f.repo.consume::<Code>("code-1", NOW + 60).await.unwrap(),
        Consumed::Missing
    );
    assert_eq!(
        f.repo.consume::<Code>("nope", NOW).await.unwrap(),
        Consumed::Missing
    );
}

#[tokio::test]
async fn revoke_by_grant_deletes_every_kind_of_that_grant_only() {
    let f = fixture().await;
    for i in 0..1200 {
        f.repo
            .upsert(&format!("at-{i}"), &token("g-1"), Some(3600), NOW)
            .await
            .unwrap();
    }
    f.repo
        .upsert(
            "code-1",
            &Code {
                grant_id: "g-1".into(),
            },
            Some(60),
            NOW,
        )
        .await
        .unwrap();
    f.repo
        .upsert("at-other", &token("g-2"), Some(3600), NOW)
        .await
        .unwrap();
    assert_eq!(f.repo.revoke_by_grant_id("g-1", REVOKED).await.unwrap(), 1201);
    assert!(f.repo.find::<Code>("code-1", NOW).await.unwrap().is_none());
    assert!(f.repo.find::<Token>("at-7", NOW).await.unwrap().is_none());
    assert!(f.repo.find::<Token>("at-other", NOW).await.unwrap().is_some());
    assert_eq!(f.repo.find_by_grant::<Token>("g-2", NOW).await.unwrap().len(), 1);
    assert_eq!(f.repo.revoke_by_grant_id("g-1", REVOKED).await.unwrap(), 0);
}

/// Grant Management §5.2 (merge and replace invalidate a grant's refresh
/// tokens): `ops::destroy_in_grant` deletes the records of one kind under
/// one grant, nothing of another kind or grant, writes no revocation
/// marker, and finds nothing the second time.
#[tokio::test]
async fn destroy_in_grant_deletes_one_kind_of_one_grant() {
    let f = fixture().await;
    for (id, grant) in [("at-1", "g-1"), ("at-2", "g-1"), ("at-3", "g-2")] {
        f.repo.upsert(id, &token(grant), Some(3600), NOW).await.unwrap();
    }
    f.repo
        .upsert(
            "code-1",
            &Code {
                grant_id: "g-1".into(),
            },
            Some(60),
            NOW,
        )
        .await
        .unwrap();
    let destroy = |grant: &'static str, kind: Kind| {
        f.repo
            .store()
            .run(move |tx, _| async move { ops::destroy_in_grant(&tx, grant, kind).await })
    };
    assert_eq!(destroy("g-1", Kind::AccessToken).await.unwrap(), 2);
    assert!(f.repo.find::<Token>("at-1", NOW).await.unwrap().is_none());
    assert!(f.repo.find::<Token>("at-3", NOW).await.unwrap().is_some());
    assert!(f.repo.find::<Code>("code-1", NOW).await.unwrap().is_some());
    assert!(
        f.repo
            .find_by_grant::<Token>("g-1", NOW)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        f.repo
            .find_under_live_grant::<Token>("at-3", NOW)
            .await
            .unwrap()
            .is_some()
    );
    let marked = f
        .repo
        .store()
        .run(|tx, _| async move { revoked::is_revoked(&tx, "g-1", NOW).await })
        .await
        .unwrap();
    assert!(!marked, "a partial deletion is no revocation");
    assert_eq!(destroy("g-1", Kind::AccessToken).await.unwrap(), 0);
}

/// RFC 7009 §2.1: revoke-by-grant marks the grant in its first
/// transaction. A token stored under it afterwards (by an issuance that did
/// not read the marker) is not found under a live grant; the marker is read
/// inside a transaction, lasts `keep_secs`, and marks that grant only.
#[tokio::test]
async fn revoke_by_grant_marks_the_grant_and_hides_its_late_tokens() {
    let f = fixture().await;
    f.repo
        .upsert("at-1", &token("g-1"), Some(3600), NOW)
        .await
        .unwrap();
    f.repo
        .upsert("at-2", &token("g-2"), Some(3600), NOW)
        .await
        .unwrap();
    let live = |id: &'static str| f.repo.find_under_live_grant::<Token>(id, NOW);
    assert!(live("at-1").await.unwrap().is_some());
    assert_eq!(f.repo.revoke_by_grant_id("g-1", REVOKED).await.unwrap(), 1);
    f.repo
        .upsert("at-late", &token("g-1"), Some(3600), NOW)
        .await
        .unwrap();
    assert!(live("at-late").await.unwrap().is_none());
    assert!(f.repo.find::<Token>("at-late", NOW).await.unwrap().is_some());
    assert!(live("at-2").await.unwrap().is_some());
    let marked = |grant: &'static str, now: u64| {
        f.repo
            .store()
            .run(move |tx, _| async move { revoked::is_revoked(&tx, grant, now).await })
    };
    assert!(marked("g-1", NOW).await.unwrap());
    assert!(marked("g-1", NOW + 3599).await.unwrap());
    assert!(!marked("g-1", NOW + 3600).await.unwrap());
    assert!(!marked("g-2", NOW).await.unwrap());
}

/// A client_credentials token is its own grant (records::own_grant_id): it
/// is stored as a record and its expiry entry, with no grant index entry;
/// find-by-grant of that grant id finds it, revoke-by-grant deletes it, only it.
#[tokio::test]
async fn a_token_that_is_its_own_grant_has_no_index_entry_and_is_revoked_by_it() {
    use crate::model::Binding;
    use crate::model::records::{AccessToken, own_grant_id, own_grant_key};
    let f = fixture().await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id = FreshId::generate().unwrap();
        let record = AccessToken {
            client_id: "client-1".into(),
            account_id: None,
            scopes: vec!["payments".into()],
            grant_id: own_grant_id(id.as_str()),
            binding: Binding::Mtls("thumbprint".into()),
            issued_at: NOW,
            expires_at: NOW + 600,
            authorization_details: None,
            claims: None,
        };
        assert_eq!(
            own_grant_key(&record.grant_id),
            Some(Kind::AccessToken.id_key(id.as_str()))
        );
        f.repo.insert_new(&id, &record, Some(600), NOW).await.unwrap();
        ids.push((id, record.grant_id));
    }
    // Two records and their two expiry entries; no index entries.
    let stored = all_keys(&f.repo).await;
    assert_eq!(stored.len(), 4, "{stored:?}");
    // (65, 2 = grant, ...): the grant index's subspace.
    let grant_index = &keys::index_subspace(Index::Grant, b"")[..4];
    assert!(!stored.iter().any(|k| k.starts_with(grant_index)));
    let (first, first_grant) = &ids[0];
    // Under its own grant: the token, and no record of another kind.
    let under = f
        .repo
        .find_by_grant::<AccessToken>(first_grant, NOW)
        .await
        .unwrap();
    assert_eq!(under.len(), 1);
    assert_eq!(&under[0].payload.grant_id, first_grant);
    assert!(
        f.repo
            .find_by_grant::<Code>(first_grant, NOW)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(f.repo.revoke_by_grant_id(first_grant, REVOKED).await.unwrap(), 1);
    assert!(
        f.repo
            .find::<AccessToken>(first.as_str(), NOW)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.repo
            .find::<AccessToken>(ids[1].0.as_str(), NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(all_keys(&f.repo).await.len(), 2);
    assert_eq!(f.repo.revoke_by_grant_id(first_grant, REVOKED).await.unwrap(), 0);
    // Not an own grant: a grant id without the prefix, or not a key.
    assert_eq!(own_grant_key("g-1"), None);
    assert_eq!(own_grant_key("token:c2hvcnQ"), None);
}

#[tokio::test]
async fn sessions_by_uid_and_ciba_requests_by_auth_req_id() {
    let f = fixture().await;
    f.repo
        .upsert("sid-1", &Session { uid: "uid-1".into() }, Some(600), NOW)
        .await
        .unwrap();
    let ciba = CibaRequest {
        auth_req_id: "arid-secret".into(),
        account_id: "bob".into(),
    };
    f.repo.upsert("arid-secret", &ciba, Some(120), NOW).await.unwrap();
    assert!(
        f.repo
            .find_by_uid::<Session>("uid-1", NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        f.repo
            .find_by_uid::<Session>("uid-2", NOW)
            .await
            .unwrap()
            .is_none()
    );
    let found = f
        .repo
        .find_by_auth_req_id::<CibaRequest>("arid-secret", NOW)
        .await
        .unwrap();
    assert_eq!(found.unwrap().payload, ciba);
    assert!(f.repo.destroy(Kind::Session, "sid-1").await.unwrap());
    assert!(
        f.repo
            .find_by_uid::<Session>("uid-1", NOW)
            .await
            .unwrap()
            .is_none()
    );
    assert!(!f.repo.destroy(Kind::Session, "sid-1").await.unwrap());
}

#[tokio::test]
async fn no_secret_is_stored_in_the_clear() {
    let f = fixture().await;
    let ciba = CibaRequest {
        auth_req_id: "arid-SECRET-1".into(),
        account_id: "bob".into(),
    };
    f.repo
        .upsert("arid-SECRET-1", &ciba, Some(120), NOW)
        .await
        .unwrap();
    f.repo
        .upsert("at-SECRET-2", &token("g"), Some(120), NOW)
        .await
        .unwrap();
    let keys = f
        .repo
        .store()
        .run(|tx, _| async move {
            let all = tx
                .get_range(
                    &crate::store::kv::KeyRange::new(vec![], vec![0xff]),
                    Default::default(),
                )
                .await?;
            Ok(all.into_iter().map(|(k, _)| k).collect::<Vec<_>>())
        })
        .await
        .unwrap();
    assert!(keys.len() > 4);
    for key in keys {
        assert!(!key.windows(6).any(|w| w == b"SECRET"), "{key:?}");
    }
}

async fn write_schema_version(store: &Store, version: u32) {
    store
        .run(|tx, _| async move { tx.set(&keys::schema_version_key(), &version.to_be_bytes()) })
        .await
        .unwrap();
}

#[tokio::test]
async fn schema_versions_newer_older_or_missing_are_refused_clearly() {
    let f = fixture().await;
    let store = f.repo.store().clone();
    assert!(
        Repo::open(store.clone()).await.is_ok(),
        "reopening the current version"
    );

    write_schema_version(&store, SCHEMA_VERSION + 1).await;
    let err = Repo::open(store.clone()).await.unwrap_err();
    assert_eq!(
        err,
        SchemaError::Newer {
            found: SCHEMA_VERSION + 1,
            supported: SCHEMA_VERSION
        }
    );
    assert!(err.to_string().contains("newer than this build"));

    write_schema_version(&store, 0).await;
    let err = Repo::open(store.clone()).await.unwrap_err();
    assert!(
        matches!(err, SchemaError::OlderWithoutMigration { found: 0, .. }),
        "{err}"
    );

    store
        .run(|tx, _| async move { tx.clear(&keys::schema_version_key()) })
        .await
        .unwrap();
    f.repo
        .store()
        .run(|tx, _| async move { tx.set(b"\x02stray\x00", b"") })
        .await
        .unwrap();
    assert_eq!(Repo::open(store).await.unwrap_err(), SchemaError::Unversioned);
}

#[tokio::test]
async fn version_1_stores_lose_their_token_client_and_user_entries() {
    let f = fixture().await;
    let store = f.repo.store().clone();
    // What version 1 wrote for an access token and a code: every link indexed.
    let token_key = Kind::AccessToken.id_key("at-1");
    let code_key = Kind::AuthorizationCode.id_key("code-1");
    let v1_entries = vec![
        keys::index_key(keys::Index::Client, b"client-1", Kind::AccessToken, &token_key),
        keys::index_key(keys::Index::Grant, b"g-1", Kind::AccessToken, &token_key),
        keys::index_key(keys::Index::User, b"alice", Kind::AccessToken, &token_key),
        keys::index_key(
            keys::Index::Client,
            b"client-1",
            Kind::AuthorizationCode,
            &code_key,
        ),
        keys::index_key(keys::Index::User, b"alice", Kind::AuthorizationCode, &code_key),
    ];
    let written = v1_entries.clone();
    store
        .run(|tx, _| {
            let written = written.clone();
            async move {
                for key in &written {
                    tx.set(key, b"")?;
                }
                Ok(())
            }
        })
        .await
        .unwrap();
    write_schema_version(&store, 1).await;
    let found = schema::check_or_initialise(&store).await.unwrap();
    assert_eq!(found, Some(1));
    let mut kept = v1_entries;
    kept.remove(2);
    kept.remove(0);
    kept.sort();
    assert_eq!(all_keys(&f.repo).await, kept);
    let version = store
        .run(|tx, _| async move { tx.get(&keys::schema_version_key()).await })
        .await
        .unwrap();
    assert_eq!(version, Some(SCHEMA_VERSION.to_be_bytes().to_vec()));
}

/// A pushed request as version 2 stored it (no `response_mode`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PushedV2 {
    client_id: String,
    redirect_uri: String,
}

impl StoredRecord for PushedV2 {
    const KIND: Kind = Kind::PushedAuthorizationRequest;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.client_id.clone()),
            ..Links::default()
        }
    }
}

#[tokio::test]
async fn version_2_stores_lose_their_in_flight_pushed_requests() {
    let f = fixture().await;
    let store = f.repo.store().clone();
    let kept = Token {
        client_id: "client-1".into(),
        grant_id: "g-1".into(),
        account_id: "alice".into(),
        scope: "openid".into(),
    };
    f.repo.upsert("at-1", &kept, Some(600), NOW).await.unwrap();
    let only_kept = all_keys(&f.repo).await;
    let old = PushedV2 {
        client_id: "client-1".into(),
        redirect_uri: "https://c.example/cb".into(),
    };
    f.repo.upsert("urn-1", &old, Some(60), NOW).await.unwrap();
    // `Pending` is of the interaction kind, which carries a pushed request.
    let interaction = Pending {
        client_id: "client-1".into(),
        grant_id: "g-2".into(),
        account_id: "alice".into(),
    };
    f.repo.upsert("ix-1", &interaction, Some(600), NOW).await.unwrap();
    assert!(all_keys(&f.repo).await.len() > only_kept.len());
    write_schema_version(&store, 2).await;
    assert_eq!(schema::check_or_initialise(&store).await.unwrap(), Some(2));
    // Both records, their index entries and their expiry entries are gone;
    // everything else stays (the access token rewritten: its value gained
    // the `authorization_details` byte, which this test's `Token` lacks).
    assert_eq!(all_keys(&f.repo).await, only_kept);
}

/// A grant-kind record linked to its client (as `model::records::Grant`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ClientGrant {
    client_id: String,
}

impl StoredRecord for ClientGrant {
    const KIND: Kind = Kind::Grant;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.client_id.clone()),
            ..Links::default()
        }
    }
}

/// A registration access token linked to its client (RFC 7592 §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ManagementToken {
    client_id: String,
}

impl StoredRecord for ManagementToken {
    const KIND: Kind = Kind::RegistrationAccessToken;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.client_id.clone()),
            ..Links::default()
        }
    }
}

#[tokio::test]
async fn revoke_issued_to_client_keeps_its_registration_access_token_rfc7592_s3() {
    let f = fixture().await;
    let grant = ClientGrant {
        client_id: "client-1".into(),
    };
    f.repo.upsert("g-1", &grant, None, NOW).await.unwrap();
    f.repo.upsert("at-1", &token("g-1"), Some(60), NOW).await.unwrap();
    f.repo
        .upsert("pending-1", &pending("g-2"), Some(60), NOW)
        .await
        .unwrap();
    let rat = ManagementToken {
        client_id: "client-1".into(),
    };
    f.repo.upsert("rat-1", &rat, None, NOW).await.unwrap();
    let other = ClientGrant {
        client_id: "client-2".into(),
    };
    f.repo.upsert("g-9", &other, None, NOW).await.unwrap();

    // The grant, its token and the interaction; not the management token.
    assert_eq!(
        f.repo.revoke_issued_to_client("client-1", REVOKED).await.unwrap(),
        3
    );
    assert!(f.repo.find::<ClientGrant>("g-1", NOW).await.unwrap().is_none());
    assert!(f.repo.find::<Token>("at-1", NOW).await.unwrap().is_none());
    assert!(f.repo.find::<Pending>("pending-1", NOW).await.unwrap().is_none());
    assert!(
        f.repo
            .find::<ManagementToken>("rat-1", NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(f.repo.find::<ClientGrant>("g-9", NOW).await.unwrap().is_some());
    assert_eq!(
        f.repo.revoke_issued_to_client("client-1", REVOKED).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn list_reads_every_unexpired_record_of_a_kind_across_chunks() {
    let f = fixture().await;
    for i in 0..450 {
        let grant = ClientGrant {
            client_id: format!("client-{i}"),
        };
        f.repo
            .upsert(&format!("g-{i:03}"), &grant, None, NOW)
            .await
            .unwrap();
    }
    let expiring = ClientGrant {
        client_id: "gone".into(),
    };
    f.repo
        .upsert("g-expiring", &expiring, Some(10), NOW)
        .await
        .unwrap();
    f.repo
        .upsert("at-1", &token("g-001"), Some(600), NOW)
        .await
        .unwrap();
    let listed = f.repo.list::<ClientGrant>(NOW + 60).await.unwrap();
    assert_eq!(listed.len(), 450);
    assert!(listed.iter().all(|g| g.payload.client_id != "gone"));
    assert_eq!(f.repo.list::<ClientGrant>(NOW).await.unwrap().len(), 451);
}

/// `ops::insert_unless_live`: a live record is returned and kept; an
/// expired one is replaced, its expiry entry with it, as `upsert` does.
#[tokio::test]
async fn insert_unless_live_keeps_a_live_record_and_replaces_an_expired_one() {
    use crate::model::records::SeenJti;
    let f = fixture().await;
    let insert = |marker: u128, now: u64| {
        let repo = f.repo.clone();
        async move {
            repo.store()
                .run(|tx, _| async move {
                    let seen = SeenJti { seen_at: now, marker };
                    ops::insert_unless_live(&tx, "j", &seen, Some(10), now).await
                })
                .await
                .unwrap()
        }
    };
    assert!(insert(1, 1_000).await.is_none(), "written");
    let live = insert(2, 1_005).await.expect("live");
    assert_eq!(live.payload.marker, 1);
    assert!(insert(3, 1_020).await.is_none(), "the expired one replaced");
    let stored = f.repo.find::<SeenJti>("j", 1_020).await.unwrap().unwrap();
    assert_eq!((stored.payload.marker, stored.meta.expires_at), (3, Some(1_030)));
    // One expiry entry: the replaced record's was cleared.
    let entries = f
        .repo
        .store()
        .run(|tx, _| async move {
            tx.get_range(&keys::expiry_range_before(u64::MAX), Default::default())
                .await
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
}

#[tokio::test]
async fn revoking_a_grant_appends_one_audit_record_with_its_client_and_cause() {
    use crate::store::audit::{Actor, EventType, read};
    let f = fixture().await;
    let grant = ClientGrant {
        client_id: "client-1".into(),
    };
    f.repo.upsert("g-1", &grant, None, NOW).await.unwrap();
    f.repo.upsert("at-1", &token("g-1"), Some(60), NOW).await.unwrap();
    assert_eq!(f.repo.revoke_by_grant_id("g-1", REVOKED).await.unwrap(), 2);
    // Again: the grant is gone, nothing more is recorded.
    f.repo.revoke_by_grant_id("g-1", REVOKED).await.unwrap();
    let records = read::since(f.repo.store(), 0, 0).await.unwrap();
    assert_eq!(records.len(), 1);
    let record = &records[0].record;
    assert_eq!(record.event, EventType::GrantRevoked);
    assert_eq!(record.actor, Actor::Client("client-1".into()));
    assert_eq!(record.targets[0].id, "g-1");
    assert_eq!(record.changed[0].to.as_deref(), Some("client_revocation"));
    // The token id is a secret: never in the record.
    assert!(!String::from_utf8_lossy(&records[0].bytes).contains("at-1"));
}
