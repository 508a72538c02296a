//! The store's two configuration generations, read together: the client
//! documents' (`actors/managed_snapshot.rs`) and the section documents'
//! (`keys.rs` `config_section_generation_key`). Each node's poll
//! (`managed_clients/watch.rs`) reads both in one small transaction.

use crate::store::keys;
use crate::store::kv::{KvError, Transaction};
use crate::store::repo::Repo;

/// Both generations at one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Generations {
    /// The client documents' generation.
    pub clients: u64,
    /// The section documents' generation.
    pub sections: u64,
}

/// Both generations now (one transaction, two point reads).
pub async fn read(repo: &Repo) -> Result<Generations, KvError> {
    repo.store()
        .run(|tx, _| async move {
            Ok(Generations {
                clients: crate::actors::managed_snapshot::read_generation(&tx).await?,
                sections: read_sections(&tx).await?,
            })
        })
        .await
}

/// The section generation as `tx` reads it (0 before the first change).
pub async fn read_sections(tx: &Transaction) -> Result<u64, KvError> {
    Ok(match tx.get(&keys::config_section_generation_key()).await? {
        None => 0,
        Some(bytes) => u64::from_be_bytes(
            <[u8; 8]>::try_from(bytes.as_slice())
                .map_err(|_| KvError::Corrupt("config section generation is not 8 bytes".into()))?,
        ),
    })
}
