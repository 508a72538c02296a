//! The audit trail under a crash: a child process moves UK OBIE consents
//! through their life (created, authorised by the customer, revoked by the
//! client: the library's own `consent::create`, `decide_consent` and
//! `consent::apply`) and registers and deletes clients (the registration
//! endpoints' own transactions, `registration::audit_trail::write_registered`
//! and `write_deleted`) from many tasks, each change appending its record in
//! the same transaction; the parent kills it with SIGKILL mid-load, opens
//! the store and checks both ways: every consent's status and every
//! client's presence has exactly the records of the changes that led to it
//! (no change without its record), every record names a consent or client
//! in that state (no record without its change), every acknowledged change
//! is there, and `audit verify` finds the chains intact. Same pattern as `crash.rs`.

use super::acking_child::AckingChild;
use fiducia::consent::decision::{ConsentDecided, decide_consent};
use fiducia::consent::state::{ConsentEvent, ConsentStatus};
use fiducia::consent::{AccountAccess, Consent, ConsentKind, Lifetimes};
use fiducia::model::registered::RegisteredClient;
use fiducia::oauth::registration::audit_trail::{write_deleted, write_registered};
use fiducia::protocol::client_auth::TokenEndpointAuthMethod;
use fiducia::protocol::registration::metadata::ClientMetadata;
use fiducia::store::audit::{EventType, read, verify};
use fiducia::store::embedded::open_store;
use fiducia::store::repo::{Repo, ops};
use fiducia_hsm::JoseAlg;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

const CHILD_VAR: &str = "FIDUCIA_AUDIT_CRASH_CHILD_STORE";
const WRITERS: u64 = 16;
const NOW: u64 = 1_700_000_000;
const LIFE: Lifetimes = Lifetimes {
    awaiting_secs: 86_400,
    retention_secs: 86_400,
};

fn consent(n: u64) -> Consent {
    Consent {
        consent_id: format!("aac-{n}"),
        client_id: format!("client-{}", n % 7),
        kind: ConsentKind::AccountAccess(AccountAccess {
            permissions: vec!["ReadAccountsBasic".into()],
            expiration: None,
            transaction_from: None,
            transaction_to: None,
        }),
        status: ConsentStatus::AwaitingAuthorisation,
        created_at: NOW,
        status_updated_at: NOW,
        risk: "{}".into(),
        request_digest: vec![n as u8],
        account_id: None,
        grant_id: None,
    }
}

/// A registered client (RFC 7591 §3.2.1) as the registration endpoint
/// stores it.
fn client(n: u64) -> RegisteredClient {
    RegisteredClient {
        client_id: format!("cl-{n}"),
        metadata: ClientMetadata {
            client_name: "Fintech".into(),
            redirect_uris: vec!["https://fintech.example/cb".into()],
            token_endpoint_auth_method: TokenEndpointAuthMethod::TlsClientAuth,
            token_endpoint_auth_signing_alg: None,
            scopes: vec!["openid".into()],
            jwks_uri: None,
            jwks: None,
            tls_client_auth_subject_dn: Some("CN=sw,OU=org".into()),
            id_token_signed_response_alg: JoseAlg::Es256,
            authorization_signed_response_alg: JoseAlg::Es256,
            request_object_signing_alg: None,
            require_signed_request_object: false,
            authorization_details_types: Vec::new(),
            dpop_bound_access_tokens: false,
            tls_client_certificate_bound_access_tokens: true,
            id_token_encryption: None,
            ciba: None,
        },
        directory: "dir".into(),
        software_id: format!("sw-{n}"),
        org_id: "org".into(),
        software_statement: "ssa-secret".into(),
        issued_at: NOW,
        updated_at: NOW,
        revision: 1,
        suspended: false,
        trusted_since: 0,
        revoked_certificates: Vec::new(),
        transport_subject_dn: None,
        descriptive_metadata: None,
    }
}

/// Not a test on its own: the child process. Without the variable it does
/// nothing.
#[test]
fn audit_crash_child() {
    let Ok(dir) = std::env::var(CHILD_VAR) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let repo = Repo::open(open_store(Path::new(&dir)).unwrap().0).await.unwrap();
        let mut writers = Vec::new();
        for writer in 0..WRITERS / 2 {
            let repo = repo.clone();
            writers.push(tokio::spawn(async move {
                for n in (writer..).step_by(WRITERS as usize / 2).take(100_000) {
                    let record = &client(n);
                    let token = &format!("rat-secret-{n}");
                    repo.store()
                        .run(|tx, _| async move { write_registered(&tx, record, token, NOW).await })
                        .await
                        .unwrap();
                    println!("ack registered {n}");
                    if n % 2 == 0 {
                        let deleted = repo
                            .store()
                            .run(|tx, _| async move { write_deleted(&tx, record, NOW).await })
                            .await
                            .unwrap();
                        assert!(deleted);
                        println!("ack deleted {n}");
                    }
                }
            }));
        }
        for writer in 0..WRITERS {
            let repo = repo.clone();
            writers.push(tokio::spawn(async move {
                for n in (writer..).step_by(WRITERS as usize).take(100_000) {
                    let c = consent(n);
                    fiducia::consent::create(&repo, &c.consent_id, &c, LIFE, NOW)
                        .await
                        .unwrap();
                    println!("ack created {n}");
                    let (id, client) = (c.consent_id.as_str(), c.client_id.as_str());
                    let decided = repo
                        .store()
                        .run(|tx, _| async move {
                            let decided = ConsentDecided {
                                approve: true,
                                account_id: "acct-1",
                                grant_id: "grant-1",
                                debtor: None,
                                app: None,
                            };
                            decide_consent(&tx, id, client, decided, (NOW, LIFE)).await
                        })
                        .await
                        .unwrap();
                    assert!(decided);
                    println!("ack authorised {n}");
                    fiducia::consent::apply(&repo, id, client, ConsentEvent::Revoke, (NOW, LIFE), |_| {})
                        .await
                        .unwrap();
                    println!("ack revoked {n}");
                }
            }));
        }
        for writer in writers {
            writer.await.unwrap();
        }
    });
}

/// Runs the child until it acknowledged `enough` changes, kills it with
/// SIGKILL, and returns the acknowledged (step, n) pairs.
fn run_child_and_kill(dir: &Path, enough: usize) -> BTreeSet<(String, u64)> {
    let mut child = AckingChild::spawn(
        "it::store::audit_crash::audit_crash_child",
        CHILD_VAR,
        dir,
        |rest| {
            let (step, n) = rest.split_once(' ').unwrap();
            (step.to_string(), n.parse::<u64>().unwrap())
        },
    );
    let started = Instant::now();
    while child.acknowledged() < enough {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the child is too slow"
        );
        assert!(!child.exited(), "the child exited early");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_leaves_no_consent_change_without_its_record_nor_a_record_without_its_change() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let acknowledged = tokio::task::block_in_place(|| run_child_and_kill(&store_dir, 1500));
    let repo = Repo::open(open_store(&store_dir).unwrap().0).await.unwrap();

    let consents = repo
        .store()
        .run(|tx, _| async move { ops::all_of_kind::<Consent>(&tx, NOW).await })
        .await
        .unwrap();
    let status: BTreeMap<String, ConsentStatus> = consents
        .into_iter()
        .map(|f| (f.payload.consent_id.clone(), f.payload.status))
        .collect();
    let clients: BTreeSet<String> = repo
        .store()
        .run(|tx, _| async move { ops::all_of_kind::<RegisteredClient>(&tx, NOW).await })
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.payload.client_id)
        .collect();
    let mut recorded: BTreeMap<String, Vec<EventType>> = BTreeMap::new();
    for stored in read::since(repo.store(), 0, 0).await.unwrap() {
        let target = stored.record.targets[0].id.clone();
        recorded.entry(target).or_default().push(stored.record.event);
    }
    for events in recorded.values_mut() {
        events.sort_by_key(|e| e.as_str());
    }
    let expected = |s: ConsentStatus| {
        let mut events = match s {
            ConsentStatus::AwaitingAuthorisation => vec![EventType::ConsentCreated],
            ConsentStatus::Authorised => vec![EventType::ConsentCreated, EventType::ConsentAuthorised],
            ConsentStatus::Revoked => vec![
                EventType::ConsentCreated,
                EventType::ConsentAuthorised,
                EventType::ConsentRevoked,
            ],
            other => panic!("no step of the child makes a consent {other}"),
        };
        events.sort_by_key(|e| e.as_str());
        events
    };
    // Registrations: a stored client has its registration record only; a
    // client with a deletion record is gone and was registered before.
    let (registrations, consent_records): (BTreeMap<_, _>, BTreeMap<_, _>) =
        recorded.into_iter().partition(|(id, _)| id.starts_with("cl-"));
    let recorded = consent_records;
    for (id, events) in &registrations {
        let expected: &[EventType] = if clients.contains(id) {
            &[EventType::ClientRegistered]
        } else {
            &[EventType::ClientDeleted, EventType::ClientRegistered]
        };
        assert_eq!(events.as_slice(), expected, "client {id}");
    }
    for id in &clients {
        assert!(registrations.contains_key(id), "client {id} without its record");
    }
    // Every change has its records, and nothing more.
    for (id, s) in &status {
        assert_eq!(recorded.get(id), Some(&expected(*s)), "consent {id} is {s}");
    }
    // Every record is of a change that is there.
    let orphans: Vec<_> = recorded.keys().filter(|id| !status.contains_key(*id)).collect();
    assert!(orphans.is_empty(), "records without their change: {orphans:?}");
    // Every acknowledged change survived.
    for (step, n) in &acknowledged {
        let client = format!("cl-{n}");
        match step.as_str() {
            "registered" => {
                assert!(
                    registrations.contains_key(&client),
                    "acknowledged registration {n} lost"
                );
                continue;
            }
            "deleted" => {
                assert!(!clients.contains(&client), "acknowledged deletion {n} lost");
                continue;
            }
            _ => {}
        }
        let s = status.get(&format!("aac-{n}")).copied();
        let reached = match step.as_str() {
            "created" => s.is_some(),
            "authorised" => matches!(s, Some(ConsentStatus::Authorised | ConsentStatus::Revoked)),
            _ => s == Some(ConsentStatus::Revoked),
        };
        assert!(reached, "acknowledged {step} {n} but the consent is {s:?}");
    }
    let report = verify::verify(repo.store(), &[]).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.findings);
    let total: usize = recorded
        .values()
        .chain(registrations.values())
        .map(Vec::len)
        .sum();
    assert_eq!(report.records as usize, total);
    // Nothing secret: the registration access tokens and the statement.
    let exported: Vec<u8> = read::since(repo.store(), 0, 0)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|r| r.bytes)
        .collect();
    let exported = String::from_utf8(exported).unwrap();
    assert!(!exported.contains("rat-secret") && !exported.contains("ssa-secret"));
    eprintln!(
        "audit crash test: {} acknowledged, {} consents, {} clients, {} records after SIGKILL",
        acknowledged.len(),
        status.len(),
        clients.len(),
        report.records
    );
}
