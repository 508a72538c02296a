//! The provider metadata document as a node serves it (OIDC Discovery §3,
//! RFC 8414 §2): serialized once, and again only when the configured
//! clients it describes changed (a client document written through the
//! Config API moves the registry's generation: a new profile's response
//! types, a new client's scopes). A request reads the cached bytes after
//! one atomic load and a generation compare; no lock, no store read.

use crate::actors::client_registry::ClientRegistry;
use crate::config::ValidatedConfig;
use crate::oauth::discovery::ProviderMetadata;
use crate::oauth::profile_metadata::ServedClients;
use arc_swap::ArcSwap;
use bytes::Bytes;
use std::sync::Arc;

/// The serialized document and the client generation it was built at.
struct Built {
    generation: u64,
    json: Bytes,
}

/// The node's discovery document, rebuilt when its clients change.
pub struct DiscoveryDocument {
    signing_alg: String,
    built: ArcSwap<Built>,
}

impl DiscoveryDocument {
    /// The document for `config` and the clients `registry` serves now;
    /// the OP signs with `signing_alg`.
    pub fn new(
        config: &ValidatedConfig,
        signing_alg: &str,
        registry: &ClientRegistry,
    ) -> Result<Self, serde_json::Error> {
        let generation = registry.managed_generation();
        let json = build(config, signing_alg, registry)?;
        Ok(Self {
            signing_alg: signing_alg.to_string(),
            built: ArcSwap::from_pointee(Built { generation, json }),
        })
    }

    /// The document's JSON for the clients `registry` serves now. A
    /// document that cannot be serialized again (it always can: every
    /// member is a string, bool or list of them) keeps the last one.
    pub fn json(&self, config: &ValidatedConfig, registry: &ClientRegistry) -> Bytes {
        let generation = registry.managed_generation();
        let built = self.built.load();
        if built.generation == generation {
            return built.json.clone();
        }
        match build(config, &self.signing_alg, registry) {
            Ok(json) => {
                self.built.store(Arc::new(Built {
                    generation,
                    json: json.clone(),
                }));
                json
            }
            Err(error) => {
                tracing::warn!(%error, "discovery document could not be rebuilt; serving the last one");
                built.json.clone()
            }
        }
    }
}

fn build(
    config: &ValidatedConfig,
    signing_alg: &str,
    registry: &ClientRegistry,
) -> Result<Bytes, serde_json::Error> {
    let clients = registry.configured_clients();
    let served = ServedClients::of(clients.iter().map(Arc::as_ref));
    let metadata = ProviderMetadata::for_clients(config, signing_alg, &served);
    Ok(serde_json::to_vec(&metadata)?.into())
}
