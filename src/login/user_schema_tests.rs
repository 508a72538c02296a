//! Schema 13 → 14 (`store/repo/schema.rs` `add_second_factor`): a stored customer
//! account reads back with no TOTP factor and everything else unchanged.

use crate::login::user::{NewUser, UserRecord};
use crate::store::codec;
use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
use crate::store::keys::{self, Kind};
use crate::store::kv::Store;
use crate::store::record::{RecordMeta, StoredRecord};
use crate::store::repo::Repo;
use std::sync::Arc;

#[tokio::test]
async fn a_version_13_account_reads_back_without_a_factor() {
    let user = NewUser {
        username: "alice".into(),
        account_id: "acc-alice".into(),
        name: "Alice".into(),
        email: "alice@example.com".into(),
        ..NewUser::default()
    }
    .into_record("alice".into(), "$argon2id$v=19$hash".into(), 7);
    let meta = RecordMeta {
        expires_at: None,
        consumed: None,
        client_id: None,
        grant_id: None,
        account_id: user.links().account_id,
        uid: None,
        auth_req_hash: None,
    };
    // Schema 13 had no `totp`: the value without its trailing `None` byte.
    let mut value = codec::encode(&(meta, &user)).unwrap();
    assert_eq!(value.pop(), Some(0));
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let store = Store::new(backend);
    Repo::open(store.clone()).await.unwrap();
    let key = keys::record_key(Kind::User, &Kind::User.id_key("alice"));
    store
        .run(|tx, _| {
            let (key, value) = (key.clone(), value.clone());
            async move {
                tx.set(&key, &value)?;
                tx.set(&keys::schema_version_key(), &13u32.to_be_bytes())
            }
        })
        .await
        .unwrap();
    let repo = Repo::open(store).await.unwrap();
    let found: UserRecord = repo.find("alice", 8).await.unwrap().unwrap().payload;
    assert_eq!(found.totp, None);
    assert_eq!(found, user);
}
