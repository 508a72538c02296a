//! Users against a real embedded store in a temporary directory.

use super::*;
use crate::config::Secret;
use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
use crate::store::kv::Store;
use std::sync::Arc;

const NOW: u64 = 1_800_000_000;

struct Fixture {
    _dir: tempfile::TempDir,
    users: Users,
}

/// Small argon2 parameters keep the tests fast (crate minimum: 8 KiB per
/// lane); production uses the `[login]` defaults.
fn hasher() -> PasswordHasher {
    PasswordHasher::new(64, 1, 1, (2, 64)).unwrap()
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let repo = Repo::open(Store::new(backend)).await.unwrap();
    Fixture {
        _dir: dir,
        users: Users::new(repo, hasher()),
    }
}

fn alice() -> NewUser {
    NewUser {
        username: "Alice".into(),
        password: Some("correct horse battery".into()),
        account_id: "acc-alice".into(),
        name: "Alice Example".into(),
        given_name: Some("Alice".into()),
        family_name: Some("Example".into()),
        email: "alice@example.com".into(),
        email_verified: true,
        phone_number: Some("+44 20 7946 0000".into()),
        phone_number_verified: false,
        birthdate: Some("1990-04-01".into()),
        ..NewUser::default()
    }
}

#[tokio::test]
async fn created_user_authenticates_by_normalized_username() {
    let f = fixture().await;
    let stored = f.users.create_or_update(alice(), NOW).await.unwrap();
    assert_eq!(stored.username, "alice");
    assert!(stored.password_hash.starts_with("$argon2id$"));
    assert!(!stored.password_hash.contains("correct horse"));
    let user = f
        .users
        .authenticate("  ALICE ", "correct horse battery", NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.account_id, "acc-alice");
    assert_eq!(user.email, "alice@example.com");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_are_both_none() {
    let f = fixture().await;
    f.users.create_or_update(alice(), NOW).await.unwrap();
    assert_eq!(f.users.authenticate("alice", "wrong", NOW).await.unwrap(), None);
    assert_eq!(f.users.authenticate("alice", "", NOW).await.unwrap(), None);
    assert_eq!(
        f.users
            .authenticate("mallory", "correct horse battery", NOW)
            .await
            .unwrap(),
        None
    );
    assert_eq!(f.users.authenticate("   ", "x", NOW).await.unwrap(), None);
}

#[tokio::test]
async fn every_attempt_runs_exactly_one_verification() {
    let f = fixture().await;
    f.users.create_or_update(alice(), NOW).await.unwrap();
    let attempts = [
        ("alice", "correct horse battery"),
        ("alice", "wrong"),
        ("mallory", "wrong"),
        ("", "wrong"),
        ("a\u{0}b", "wrong"),
    ];
    for (username, password) in attempts {
        let before = f.users.hasher().verifications();
        f.users.authenticate(username, password, NOW).await.unwrap();
        assert_eq!(f.users.hasher().verifications(), before + 1, "{username:?}");
    }
}

#[tokio::test]
async fn found_by_account_id_through_the_user_index() {
    let f = fixture().await;
    f.users.create_or_update(alice(), NOW).await.unwrap();
    let user = f
        .users
        .find_by_account_id("acc-alice", NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.username, "alice");
    assert!(
        f.users
            .find_by_account_id("acc-bob", NOW)
            .await
            .unwrap()
            .is_none()
    );
    assert!(f.users.find_by_username("ALICE", NOW).await.unwrap().is_some());
}

#[tokio::test]
async fn update_without_password_keeps_it_and_changes_claims() {
    let f = fixture().await;
    let first = f.users.create_or_update(alice(), NOW).await.unwrap();
    let update = NewUser {
        password: None,
        email: "alice@bank.example".into(),
        ..alice()
    };
    let second = f.users.create_or_update(update, NOW + 10).await.unwrap();
    assert_eq!(second.password_hash, first.password_hash);
    assert_eq!(second.updated_at, NOW + 10);
    let user = f
        .users
        .authenticate("alice", "correct horse battery", NOW + 20)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.email, "alice@bank.example");
}

#[tokio::test]
async fn new_password_replaces_the_old_one() {
    let f = fixture().await;
    f.users.create_or_update(alice(), NOW).await.unwrap();
    let update = NewUser {
        password: Some("new passphrase".into()),
        ..alice()
    };
    f.users.create_or_update(update, NOW).await.unwrap();
    assert!(
        f.users
            .authenticate("alice", "correct horse battery", NOW)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.users
            .authenticate("alice", "new passphrase", NOW)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn usernames_and_account_ids_are_one_to_one() {
    let f = fixture().await;
    f.users.create_or_update(alice(), NOW).await.unwrap();
    let thief = NewUser {
        account_id: "acc-other".into(),
        ..alice()
    };
    assert!(matches!(
        f.users.create_or_update(thief, NOW).await,
        Err(LoginError::AccountConflict(_))
    ));
    let second_name = NewUser {
        username: "alice2".into(),
        ..alice()
    };
    assert!(matches!(
        f.users.create_or_update(second_name, NOW).await,
        Err(LoginError::AccountConflict(_))
    ));
    assert!(f.users.find_by_username("alice2", NOW).await.unwrap().is_none());
}

#[tokio::test]
async fn new_account_needs_a_password_and_a_valid_id() {
    let f = fixture().await;
    let no_password = NewUser {
        password: None,
        ..alice()
    };
    assert!(matches!(
        f.users.create_or_update(no_password, NOW).await,
        Err(LoginError::MissingField("password"))
    ));
    let bad_id = NewUser {
        account_id: "has space".into(),
        ..alice()
    };
    assert!(matches!(
        f.users.create_or_update(bad_id, NOW).await,
        Err(LoginError::InvalidAccountId)
    ));
}

#[tokio::test]
async fn hash_with_old_settings_is_replaced_on_login() {
    let f = fixture().await;
    let old = Users::new(
        f.users.repo.clone(),
        PasswordHasher::new(32, 1, 1, (1, 64)).unwrap(),
    );
    let before = old.create_or_update(alice(), NOW).await.unwrap();
    assert!(before.password_hash.contains("m=32,"));
    let user = f
        .users
        .authenticate("alice", "correct horse battery", NOW)
        .await
        .unwrap()
        .unwrap();
    assert!(user.password_hash.contains("m=64,"), "{}", user.password_hash);
    let stored = f.users.find_by_username("alice", NOW).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, user.password_hash);
}

#[tokio::test]
async fn seed_users_from_config_can_log_in_and_delete_removes() {
    let f = fixture().await;
    let seed = SeedUser {
        username: "bob".into(),
        password: serde_json::from_str::<Secret>("\"hunter2!\"").unwrap(),
        account_id: "acc-bob".into(),
        name: "Bob <Builder>".into(),
        email: "bob@example.com".into(),
        email_verified: false,
        given_name: None,
        family_name: None,
        phone_number: None,
        birthdate: None,
        accounts: Vec::new(),
        claims: None,
        verified_claims: None,
        totp_secret: None,
    };
    assert_eq!(f.users.seed(&[seed.clone(), seed], NOW).await.unwrap(), 2);
    assert!(
        f.users
            .authenticate("bob", "hunter2!", NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(f.users.delete("BOB").await.unwrap());
    assert!(
        f.users
            .authenticate("bob", "hunter2!", NOW)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.users
            .find_by_account_id("acc-bob", NOW)
            .await
            .unwrap()
            .is_none()
    );
}

/// `UserRecord` as store schema 7 stored it (store/repo/migrate_v8.rs).
#[derive(serde::Serialize)]
struct UserV7 {
    account_id: String,
    username: String,
    password_hash: String,
    name: String,
    given_name: Option<String>,
    family_name: Option<String>,
    email: String,
    email_verified: bool,
    phone_number: Option<String>,
    phone_number_verified: bool,
    birthdate: Option<String>,
    updated_at: u64,
}

/// A version-7 account reads back after the schema-8 migration enabled,
/// with no other claims, no verified claims and no payment accounts.
#[tokio::test]
async fn a_version_7_account_reads_back_enabled_without_verified_claims() {
    use crate::store::codec;
    use crate::store::keys::{self, Kind};
    use crate::store::record::RecordMeta;
    let user = UserV7 {
        account_id: "acc-alice".into(),
        username: "alice".into(),
        password_hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into(),
        name: "Alice".into(),
        given_name: None,
        family_name: Some("Example".into()),
        email: "alice@example.com".into(),
        email_verified: true,
        phone_number: None,
        phone_number_verified: false,
        birthdate: Some("1990-04-01".into()),
        updated_at: 7,
    };
    let meta = RecordMeta {
        expires_at: None,
        consumed: None,
        client_id: None,
        grant_id: None,
        account_id: Some("acc-alice".into()),
        uid: None,
        auth_req_hash: None,
    };
    let key = keys::record_key(Kind::User, &Kind::User.id_key("alice"));
    let value = codec::encode(&(meta, user)).unwrap();
    let (_dir, repo) = crate::store::repo::migrate_v8::tests::open_version_7(vec![(key, value)]).await;
    let found = repo
        .find::<UserRecord>("alice", 1)
        .await
        .unwrap()
        .unwrap()
        .payload;
    assert_eq!(found.account_id, "acc-alice");
    assert_eq!(found.family_name.as_deref(), Some("Example"));
    assert_eq!(found.birthdate.as_deref(), Some("1990-04-01"));
    assert_eq!(found.updated_at, 7);
    assert_eq!(found.claims, None);
    assert_eq!(found.verified_claims, None);
    assert!(found.accounts.is_empty());
    assert!(!found.disabled);
}
