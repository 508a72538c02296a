//! The provider metadata document as a node serves it (OIDC Discovery §3,
//! RFC 8414 §2): serialized once, and again only when what it describes
//! changed — the configured clients (a client document written through the
//! Config API moves the registry's generation: a new profile's response
//! types, a new client's scopes) or a section managed live (the `fapi`
//! policy's PAR requirement and PKCE methods, `oauth/policies`: the
//! sections' generation). It is built from the file with every section as
//! this node runs it (`LiveSections::effective_config`). A request reads
//! the cached bytes after one atomic load and a compare of both
//! generations; no lock, no store read.

use crate::actors::client_registry::ClientRegistry;
use crate::config::ValidatedConfig;
use crate::oauth::discovery::ProviderMetadata;
use crate::oauth::live_sections::LiveSections;
use crate::oauth::profile_metadata::ServedClients;
use arc_swap::ArcSwap;
use bytes::Bytes;
use std::sync::Arc;

/// The client and section generations a document was built at.
type Generations = (u64, u64);

/// The serialized document and the generations it was built at.
struct Built {
    generations: Generations,
    json: Bytes,
}

/// The node's discovery document, rebuilt when its clients or its live
/// sections change.
pub struct DiscoveryDocument {
    signing_alg: String,
    built: ArcSwap<Built>,
}

impl DiscoveryDocument {
    /// The document for `config` with `sections` as this node runs them
    /// and the clients `registry` serves now; the OP signs with `signing_alg`.
    pub fn new(
        config: &ValidatedConfig,
        signing_alg: &str,
        registry: &ClientRegistry,
        sections: &LiveSections,
    ) -> Result<Self, serde_json::Error> {
        let generations = (registry.managed_generation(), sections.generation());
        let json = build(config, signing_alg, registry, sections)?;
        Ok(Self {
            signing_alg: signing_alg.to_string(),
            built: ArcSwap::from_pointee(Built { generations, json }),
        })
    }

    /// The document's JSON for the clients `registry` serves and the
    /// sections as this node runs them now. A document that cannot be
    /// serialized again (it always can: every member is a string, bool or
    /// list of them) keeps the last one.
    pub fn json(
        &self,
        config: &ValidatedConfig,
        registry: &ClientRegistry,
        sections: &LiveSections,
    ) -> Bytes {
        let generations = (registry.managed_generation(), sections.generation());
        let built = self.built.load();
        if built.generations == generations {
            return built.json.clone();
        }
        match build(config, &self.signing_alg, registry, sections) {
            Ok(json) => {
                self.built.store(Arc::new(Built {
                    generations,
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
    sections: &LiveSections,
) -> Result<Bytes, serde_json::Error> {
    let clients = registry.configured_clients();
    let served = ServedClients::of(clients.iter().map(Arc::as_ref));
    let effective = config.with_config(sections.effective_config());
    let metadata = ProviderMetadata::for_clients(&effective, signing_alg, &served);
    Ok(serde_json::to_vec(&metadata)?.into())
}
