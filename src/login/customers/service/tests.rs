//! The customers service against a real embedded store: the import's
//! checks on a body, `If-Match` inside the write's transaction (RFC 9110
//! §13.1.1), revocation on disable and delete, and each write's audit
//! record naming the operator and member names only.

use super::*;
use crate::login::customers::line::tests::carol;
use crate::login::customers::tests::{NOW, fixture, grant_with_refresh_token, weak};
use crate::model::records::RefreshToken;
use crate::store::audit::read;
use serde_json::json;

const OPERATOR: &str = "ops-robot@https://iam.bank.example";

/// A weak (fast, test-only) argon2id PHC string.
fn phc() -> String {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    let params = argon2::Params::new(64, 1, 1, Some(32)).unwrap();
    let salt = SaltString::encode_b64(&[9u8; 16]).unwrap();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(b"carol-secret", &salt)
        .unwrap()
        .to_string()
}

fn carol_body() -> Value {
    let mut body = carol();
    body.as_object_mut().unwrap().remove("password");
    body["password_hash"] = json!(phc());
    body
}

/// Every audit record's JSON, oldest first.
async fn trail(users: &Users) -> Vec<Value> {
    read::page(users.repo().store(), 0, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| serde_json::from_slice(&r.bytes).unwrap())
        .collect()
}

#[tokio::test]
async fn a_customer_is_created_read_replaced_and_the_trail_names_members_only() {
    let f = fixture().await;
    let login = weak();
    let service = ManagedCustomers::new(&f.users, &login, 3600);
    let created = service.create(OPERATOR, &carol_body(), NOW).await.unwrap();
    assert_eq!(
        (created.username.as_str(), created.sub.as_str()),
        ("carol", "acc-carol-1")
    );
    assert!(created.body.get("password_hash").is_none());
    assert!(
        f.users
            .authenticate("carol", "carol-secret", NOW)
            .await
            .unwrap()
            .is_some(),
        "the brought hash is stored as given"
    );
    let read = service.get(" CAROL ", NOW).await.unwrap();
    assert_eq!(read.etag, created.etag);

    // 409: the username, or the sub under another username.
    assert!(matches!(
        service.create(OPERATOR, &carol_body(), NOW).await,
        Err(CustomerError::UsernameTaken)
    ));
    let mut same_sub = carol_body();
    same_sub["username"] = json!("carol2");
    assert!(matches!(
        service.create(OPERATOR, &same_sub, NOW).await,
        Err(CustomerError::SubTaken)
    ));

    // Replace: 412 on a stale tag, then a change of two members.
    let mut body = carol_body();
    body.as_object_mut().unwrap().remove("password_hash");
    body["name"] = json!("Carol J Jones");
    body.as_object_mut().unwrap().remove("locale");
    assert!(matches!(
        service.replace(OPERATOR, "carol", "\"u0\"", &body, NOW + 1).await,
        Err(CustomerError::PreconditionFailed)
    ));
    let replaced = service
        .replace(OPERATOR, "carol", &created.etag, &body, NOW + 1)
        .await
        .unwrap();
    assert_ne!(replaced.etag, created.etag);
    assert_eq!(replaced.body["name"], "Carol J Jones");
    assert!(replaced.body.get("locale").is_none());
    // The password was kept.
    assert!(
        f.users
            .authenticate("carol", "carol-secret", NOW + 1)
            .await
            .unwrap()
            .is_some()
    );
    // The same body again changes nothing and records nothing.
    let again = service
        .replace(OPERATOR, "carol", &replaced.etag, &body, NOW + 2)
        .await
        .unwrap();
    assert_eq!(again.etag, replaced.etag);

    let records = trail(&f.users).await;
    assert_eq!(records.len(), 2, "{records:?}");
    for record in &records {
        assert_eq!(record["event"], "config_changed");
        assert_eq!(record["actor"], json!({"type": "operator", "id": OPERATOR}));
        assert_eq!(
            record["targets"],
            json!([{"kind": "customer", "id": "acc-carol-1"}])
        );
    }
    let members = |r: &Value| -> Vec<String> {
        r["changed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["member"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(members(&records[0]).contains(&"password_hash".to_string()));
    assert_eq!(members(&records[1]), ["locale", "name"]);
    let text = serde_json::to_string(&records).unwrap();
    for secret in [phc().as_str(), "Carol J Jones", "carol@example.com"] {
        assert!(!text.contains(secret), "{secret} in the trail");
    }
}

#[tokio::test]
async fn a_clear_password_is_refused_and_no_password_means_no_sign_in() {
    let f = fixture().await;
    let login = weak();
    let service = ManagedCustomers::new(&f.users, &login, 3600);
    let refused = service.create(OPERATOR, &carol(), NOW).await.unwrap_err();
    let CustomerError::Invalid(problems) = refused else {
        panic!("{refused:?}");
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].path, "password");
    assert!(!format!("{problems:?}").contains("correct horse"));
    assert!(trail(&f.users).await.is_empty(), "nothing written");

    let mut without = carol_body();
    without.as_object_mut().unwrap().remove("password_hash");
    service.create(OPERATOR, &without, NOW).await.unwrap();
    assert!(f.users.authenticate("carol", "", NOW).await.unwrap().is_none());
}

/// Disable revokes the account's grants (their refresh tokens gone) with
/// a `customer_disabled` record by the operator; enable; delete revokes
/// again and deletes with a `config_changed` record; a stale tag is 412.
#[tokio::test]
async fn disable_enable_and_delete_revoke_and_record_in_the_change() {
    let f = fixture().await;
    let login = weak();
    let service = ManagedCustomers::new(&f.users, &login, 3600);
    let created = service.create(OPERATOR, &carol_body(), NOW).await.unwrap();
    grant_with_refresh_token(&f.users, "acc-carol-1", "grant-1", "rt-1").await;

    assert!(matches!(
        service.disable(OPERATOR, "carol", "\"u0\"", NOW + 1).await,
        Err(CustomerError::PreconditionFailed)
    ));
    let (disabled, revoked) = service
        .disable(OPERATOR, "carol", &created.etag, NOW + 1)
        .await
        .unwrap();
    assert_eq!(disabled.body["disabled"], true);
    assert_eq!(revoked.grants, 1);
    assert!(revoked.records >= 1);
    assert!(
        f.users
            .repo()
            .find::<RefreshToken>("rt-1", NOW + 1)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.users
            .authenticate("carol", "carol-secret", NOW + 1)
            .await
            .unwrap()
            .is_none()
    );

    let enabled = service
        .enable(OPERATOR, "carol", &disabled.etag, NOW + 2)
        .await
        .unwrap();
    assert_eq!(enabled.body["disabled"], false);
    assert!(matches!(
        service.delete(OPERATOR, "carol", &disabled.etag, NOW + 3).await,
        Err(CustomerError::PreconditionFailed)
    ));
    service.delete(OPERATOR, "carol", "*", NOW + 3).await.unwrap();
    assert!(matches!(
        service.get("carol", NOW + 3).await,
        Err(CustomerError::NotFound)
    ));

    let events: Vec<(String, String)> = trail(&f.users)
        .await
        .iter()
        .filter(|r| r["targets"][0]["kind"] == "customer")
        .map(|r| {
            let change = &r["changed"][r["changed"].as_array().unwrap().len() - 1];
            (
                r["event"].as_str().unwrap().to_string(),
                change["to"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("config_changed", "enabled"),
        ("customer_disabled", "disabled"),
        ("customer_enabled", "enabled"),
        ("customer_disabled", "disabled"),
        ("config_changed", "deleted"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(events, expected);
    let grant_revoked = trail(&f.users)
        .await
        .into_iter()
        .find(|r| r["event"] == "grant_revoked")
        .unwrap();
    assert_eq!(grant_revoked["actor"]["type"], "node");
    assert_eq!(grant_revoked["changed"][0]["to"], "customer_disabled");
}

#[tokio::test]
async fn a_page_is_bounded_and_names_the_next_username() {
    let f = fixture().await;
    let login = weak();
    let service = ManagedCustomers::new(&f.users, &login, 3600);
    for name in ["ann", "bob", "cy"] {
        let mut body = carol_body();
        body["username"] = json!(name);
        body["sub"] = json!(format!("acc-{name}"));
        service.create(OPERATOR, &body, NOW).await.unwrap();
    }
    let first = service.page(None, 2, NOW).await.unwrap();
    let names: Vec<&str> = first.rows.iter().map(|r| r.username.as_str()).collect();
    assert_eq!((names, first.next.as_deref()), (vec!["ann", "bob"], Some("bob")));
    let second = service.page(first.next.as_deref(), 2, NOW).await.unwrap();
    assert_eq!(second.rows.len(), 1);
    assert_eq!(second.next, None);
    assert!(matches!(
        service.page(Some(""), 2, NOW).await,
        Err(CustomerError::Invalid(_))
    ));
}

/// A replace keeps the customer's enrolled second factor (a body cannot
/// carry one: `body.rs`), so editing a profile through the Config API
/// never drops SCA for the customer.
#[tokio::test]
async fn a_replace_keeps_the_enrolled_second_factor() {
    let f = fixture().await;
    let login = weak();
    let service = ManagedCustomers::new(&f.users, &login, 3600);
    service.create(OPERATOR, &carol_body(), NOW).await.unwrap();
    let secret = crate::login::customers::manage::enrol_totp(&f.users, "carol", NOW)
        .await
        .unwrap()
        .unwrap();
    let current = service.get("carol", NOW).await.unwrap();
    let mut body = carol_body();
    body.as_object_mut().unwrap().remove("password_hash");
    body["name"] = json!("Carol J Jones");
    service
        .replace(OPERATOR, "carol", &current.etag, &body, NOW + 1)
        .await
        .unwrap();
    let stored = f.users.find_by_username("carol", NOW + 1).await.unwrap().unwrap();
    assert_eq!(stored.name, "Carol J Jones");
    assert_eq!(stored.totp.map(|t| t.secret), Some(secret));
}
