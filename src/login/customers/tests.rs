//! The import's two phases, the batch writer and management, against a
//! real embedded store in a temporary directory.

use super::check::{self, Checked, MAX_REPORTED};
use super::line::tests::carol;
use super::{manage, writer};
use crate::config::LoginConfig;
use crate::login::password::PasswordHasher;
use crate::login::users::Users;
use crate::model::Binding;
use crate::model::records::{Grant, RefreshToken};
use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
use crate::store::kv::Store;
use crate::store::repo::{GrantRevocation, Repo};
use serde_json::{Value, json};
use std::sync::Arc;

pub(super) const NOW: u64 = 1_800_000_000;

pub(super) struct Fixture {
    _dir: tempfile::TempDir,
    pub(super) users: Users,
}

pub(super) async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let repo = Repo::open(Store::new(backend)).await.unwrap();
    Fixture {
        _dir: dir,
        // Small argon2 parameters keep the tests fast.
        users: Users::new(repo, PasswordHasher::new(64, 1, 1, (2, 64)).unwrap()),
    }
}

pub(super) fn weak() -> LoginConfig {
    LoginConfig {
        danger_weak_password_hashing: true,
        ..LoginConfig::default()
    }
}

fn customer(i: usize) -> Value {
    json!({
        "username": format!("user{i:06}"), "sub": format!("sub-{i:06}"), "password": format!("pw-{i}"),
        "name": format!("Customer {i}"), "email": format!("user{i}@example.com")
    })
}

fn file(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn parse(text: &str) -> Result<Vec<Checked>, check::Rejected> {
    check::parse_file(text.as_bytes(), &weak()).unwrap()
}

async fn import(f: &Fixture, text: &str) -> Result<writer::Written, check::Rejected> {
    let checked = parse(text)?;
    check::against_store(f.users.repo(), &checked, NOW)
        .await
        .unwrap()?;
    Ok(writer::write(&f.users, checked, 8, NOW, |_| {}).await.unwrap())
}

#[test]
fn problems_name_their_line_and_path_and_blank_lines_count() {
    let mut bad = customer(2);
    bad["email"] = json!(7);
    let text = format!("{}\n\n{}\n{}\n", customer(1), bad, "not json");
    let rejected = parse(&text).unwrap_err();
    assert_eq!(rejected.total, 2);
    assert_eq!(
        (rejected.problems[0].line, rejected.problems[0].path.as_str()),
        (3, "email")
    );
    assert_eq!(
        (rejected.problems[1].line, rejected.problems[1].path.as_str()),
        (4, "$")
    );
    let shown = rejected.to_string();
    assert!(shown.starts_with("nothing was imported: 2 problems"), "{shown}");
    assert!(shown.contains("line 3: email:"), "{shown}");
}

#[test]
fn duplicates_within_the_file_name_the_first_line() {
    let mut same_name = customer(3);
    same_name["username"] = json!("USER000001 ");
    let mut same_sub = customer(4);
    same_sub["sub"] = json!("sub-000002");
    let rejected = parse(&file(&[customer(1), customer(2), same_name, same_sub])).unwrap_err();
    let shown: Vec<String> = rejected.problems.iter().map(ToString::to_string).collect();
    assert!(
        shown[0].starts_with("line 3: username: `user000001` is also on line 1"),
        "{shown:?}"
    );
    assert!(
        shown[1].starts_with("line 4: sub: `sub-000002` is also on line 2"),
        "{shown:?}"
    );
}

#[test]
fn the_report_is_bounded_but_counts_everything() {
    let lines: Vec<String> = (0..MAX_REPORTED + 15).map(|_| "{}".to_string()).collect();
    let rejected = parse(&lines.join("\n")).unwrap_err();
    assert_eq!(rejected.problems.len(), MAX_REPORTED);
    // `{}` lacks username, sub, name and email: four problems a line.
    assert_eq!(rejected.total, (MAX_REPORTED + 15) * 4);
    assert!(rejected.to_string().contains("... and"));
}

#[test]
fn an_overlong_line_is_skipped_without_being_held() {
    let long = format!("{{\"x\": \"{}\"}}", "a".repeat(super::line::MAX_LINE_BYTES * 3));
    let text = format!("{}\n{long}\n{}\n", customer(1), customer(2));
    let rejected = parse(&text).unwrap_err();
    assert_eq!(rejected.total, 1);
    assert_eq!(rejected.problems[0].line, 2);
    assert!(rejected.problems[0].problem.contains("longer than"));
}

#[tokio::test]
async fn conflicts_with_stored_accounts_are_found_before_writing() {
    let f = fixture().await;
    import(&f, &file(&[customer(1), customer(2)])).await.unwrap();
    // user000001 under another sub; sub-000002 under another username; a
    // new account without a password.
    let mut moved = customer(1);
    moved["sub"] = json!("sub-elsewhere");
    let mut renamed = customer(2);
    renamed["username"] = json!("someone-else");
    let mut no_password = customer(3);
    no_password.as_object_mut().unwrap().remove("password");
    let rejected = import(&f, &file(&[customer(5), moved, renamed, no_password]))
        .await
        .unwrap_err();
    let shown: Vec<String> = rejected.problems.iter().map(ToString::to_string).collect();
    assert_eq!(rejected.total, 3, "{shown:?}");
    assert!(
        shown[0].starts_with("line 2: username: `user000001` belongs to another account"),
        "{shown:?}"
    );
    assert!(
        shown[1].starts_with("line 3: sub: `sub-000002` already has the username `user000002`"),
        "{shown:?}"
    );
    assert!(shown[2].starts_with("line 4: password:"), "{shown:?}");
    // Nothing of that file was written, not even its good first line.
    let listed = manage::list(&f.users, None, 100, NOW).await.unwrap();
    assert_eq!(listed.len(), 2);
}

#[tokio::test]
async fn the_writer_batches_hashes_and_is_idempotent() {
    let f = fixture().await;
    let count = writer::BATCH_RECORDS + 7;
    // Pre-hashed lines (a PHC string made by this hasher) and a few with passwords.
    let phc = f.users.hasher().hash("brought-password").await.unwrap();
    let lines: Vec<Value> = (0..count)
        .map(|i| {
            let mut line = customer(i);
            if i % 100 != 0 {
                let o = line.as_object_mut().unwrap();
                o.remove("password");
                o.insert("password_hash".into(), json!(phc));
            }
            line
        })
        .collect();
    let mut progress = Vec::new();
    let checked = parse(&file(&lines)).unwrap();
    let written = writer::write(&f.users, checked, 4, NOW, |done| progress.push(done))
        .await
        .unwrap();
    assert_eq!((written.created, written.updated, written.batches), (count, 0, 2));
    assert_eq!(progress, [writer::BATCH_RECORDS, count]);
    // Both kinds of credential sign in.
    let by_hash = f
        .users
        .authenticate("user000001", "brought-password", NOW)
        .await
        .unwrap();
    assert_eq!(by_hash.unwrap().account_id, "sub-000001");
    let by_password = f.users.authenticate("user000100", "pw-100", NOW).await.unwrap();
    assert_eq!(by_password.unwrap().account_id, "sub-000100");
    // The same file again updates every account and creates none.
    let again = import(&f, &file(&lines)).await.unwrap();
    assert_eq!((again.created, again.updated), (0, count));
    let page = manage::list(&f.users, None, 10_000, NOW).await.unwrap();
    assert_eq!(page.len(), count);
}

#[tokio::test]
async fn a_line_without_password_keeps_the_stored_one_and_disabled_stays() {
    let f = fixture().await;
    import(&f, &file(&[customer(1)])).await.unwrap();
    manage::disable(&f.users, "user000001", revocation())
        .await
        .unwrap();
    let mut update = customer(1);
    update.as_object_mut().unwrap().remove("password");
    update["name"] = json!("Renamed Customer");
    import(&f, &file(&[update])).await.unwrap();
    let stored = f
        .users
        .find_any_by_username("user000001", NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, "Renamed Customer");
    assert!(
        stored.disabled,
        "an import that does not say keeps the account disabled"
    );
    manage::enable(&f.users, "user000001", NOW).await.unwrap();
    assert!(
        f.users
            .authenticate("user000001", "pw-1", NOW)
            .await
            .unwrap()
            .is_some()
    );
}

fn revocation() -> GrantRevocation {
    GrantRevocation {
        cause: crate::store::repo::RevocationCause::CustomerDisabled,
        now: NOW,
        keep_secs: 3600,
    }
}

pub(super) async fn grant_with_refresh_token(users: &Users, account_id: &str, grant_id: &str, token: &str) {
    let repo = users.repo();
    let grant = Grant {
        client_id: "client-1".into(),
        account_id: account_id.into(),
        scopes: vec!["openid".into()],
        created: NOW,
        authorization_details: None,
        claims: None,
    };
    repo.upsert(grant_id, &grant, None, NOW).await.unwrap();
    let refresh = RefreshToken {
        client_id: "client-1".into(),
        account_id: account_id.into(),
        scopes: vec!["openid".into()],
        grant_id: grant_id.into(),
        binding: Binding::Mtls("x5t".into()),
        issued_at: NOW,
        expires_at: NOW + 3600,
        authorization_details: None,
        claims: None,
        authentication: None,
    };
    repo.upsert(token, &refresh, Some(3600), NOW).await.unwrap();
}

#[tokio::test]
async fn disabling_revokes_every_grant_and_refuses_the_login_with_one_verification() {
    let f = fixture().await;
    import(&f, &file(&[customer(1), customer(2)])).await.unwrap();
    grant_with_refresh_token(&f.users, "sub-000001", "g-1", "rt-1").await;
    grant_with_refresh_token(&f.users, "sub-000001", "g-2", "rt-2").await;
    grant_with_refresh_token(&f.users, "sub-000002", "g-3", "rt-3").await;
    let revoked = manage::disable(&f.users, "USER000001", revocation())
        .await
        .unwrap();
    // Two grants, each with its refresh token.
    assert_eq!(revoked, Some(4));
    let repo = f.users.repo();
    for gone in ["rt-1", "rt-2"] {
        assert!(
            repo.find_under_live_grant::<RefreshToken>(gone, NOW)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert!(repo.find::<Grant>("g-1", NOW).await.unwrap().is_none());
    // Another customer's grant is untouched.
    assert!(
        repo.find_under_live_grant::<RefreshToken>("rt-3", NOW)
            .await
            .unwrap()
            .is_some()
    );
    // The right password is refused, after exactly one verification
    // (OWASP Authentication Cheat Sheet: the same work as a wrong one).
    let before = f.users.hasher().verifications();
    assert!(
        f.users
            .authenticate("user000001", "pw-1", NOW)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(f.users.hasher().verifications(), before + 1);
    // The OP's lookups find nobody; management still sees the account.
    assert!(
        f.users
            .find_by_username("user000001", NOW)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.users
            .find_by_account_id("sub-000001", NOW)
            .await
            .unwrap()
            .is_none()
    );
    let listed = manage::list(&f.users, None, 10, NOW).await.unwrap();
    assert!(listed[0].disabled && !listed[1].disabled);
    // Enabling lets them sign in; the revoked grant does not come back.
    assert!(manage::enable(&f.users, "user000001", NOW).await.unwrap());
    assert!(
        f.users
            .authenticate("user000001", "pw-1", NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(repo.find::<Grant>("g-1", NOW).await.unwrap().is_none());
    assert_eq!(
        manage::disable(&f.users, "nobody", revocation()).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn an_import_that_disables_revokes_the_grants_reported() {
    let f = fixture().await;
    import(&f, &file(&[customer(1)])).await.unwrap();
    let mut off = customer(1);
    off["disabled"] = json!(true);
    let written = import(&f, &file(&[off])).await.unwrap();
    assert_eq!(written.newly_disabled, ["sub-000001"]);
}

#[tokio::test]
async fn list_pages_and_show_redacts_the_hash() {
    let f = fixture().await;
    import(&f, &file(&[customer(1), customer(2), customer(3)]))
        .await
        .unwrap();
    let first = manage::list(&f.users, None, 2, NOW).await.unwrap();
    assert_eq!(
        first.iter().map(|r| r.username.as_str()).collect::<Vec<_>>(),
        ["user000001", "user000002"]
    );
    let next = manage::list(&f.users, Some("user000002"), 2, NOW).await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].sub, "sub-000003");
    // The full record of carol, with her claims and verified set.
    import(&f, &file(&[carol()])).await.unwrap();
    let carol = f.users.find_any_by_username("carol", NOW).await.unwrap().unwrap();
    let shown = manage::shown(&carol);
    assert_eq!(shown["password_hash"], "<redacted>");
    assert!(!shown.to_string().contains("argon2id"));
    assert_eq!(shown["address"]["locality"], "Leeds");
    assert_eq!(
        shown["verified_claims"][0]["verification"]["trust_framework"],
        "uk_tfida"
    );
    assert_eq!(shown["accounts"][0]["currency"], "GBP");
    let row = manage::list(&f.users, Some("user000003"), 5, NOW).await.unwrap();
    assert_eq!(row.len(), 0, "carol sorts before user…");
    let row = manage::list(&f.users, None, 1, NOW).await.unwrap();
    assert_eq!((row[0].username.as_str(), row[0].verified_sets), ("carol", 1));
}

#[tokio::test]
async fn set_password_replaces_the_hash() {
    let f = fixture().await;
    import(&f, &file(&[customer(1)])).await.unwrap();
    assert!(
        manage::set_password(&f.users, "user000001", "a new one", NOW)
            .await
            .unwrap()
    );
    assert!(
        f.users
            .authenticate("user000001", "pw-1", NOW)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.users
            .authenticate("user000001", "a new one", NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(!manage::set_password(&f.users, "nobody", "x", NOW).await.unwrap());
    assert!(
        manage::set_password(&f.users, "user000001", "", NOW)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn seed_users_put_their_claims_sets_and_accounts_on_the_record() {
    let f = fixture().await;
    let seed: crate::config::SeedUser = serde_json::from_value(json!({
        "username": "dora", "password": "pw-dora", "account_id": "acc-dora",
        "name": "Dora Explorer", "email": "dora@example.com",
        "claims": {"address": {"country": "GB", "locality": "York"}, "nationalities": ["GBR"]},
        "verified_claims": [super::line::tests::uk_passport_set()],
        "accounts": [{"identification": "GB33BUKB20201555555555", "currency": "GBP"}]
    }))
    .unwrap();
    f.users.seed(&[seed], NOW).await.unwrap();
    let stored = f.users.find_by_username("dora", NOW).await.unwrap().unwrap();
    let claims: Value = serde_json::from_str(stored.claims.as_deref().unwrap()).unwrap();
    assert_eq!(claims["address"]["locality"], "York");
    let sets = crate::protocol::ekyc::from_stored(stored.verified_claims.as_deref().unwrap()).unwrap();
    assert_eq!(sets[0].verification.trust_framework, "uk_tfida");
    assert_eq!(stored.accounts[0].identification, "GB33BUKB20201555555555");
}
