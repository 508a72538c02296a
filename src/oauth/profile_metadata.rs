//! The discovery members that depend on which FAPI profiles the OP's
//! clients follow (the OP's `[fapi] profile`, which registered clients
//! follow, and each configured client's own `fapi_profile`, whether from
//! the file or a client document the Config API wrote): what is advertised
//! is what at least one client can use (OIDC Discovery §3, RFC 8414 §2),
//! and an algorithm only when some client may sign with it.

use crate::config::{Config, FapiProfile};
use crate::model::Client;
use crate::protocol::response_type::ResponseType;
use std::collections::BTreeSet;

/// What the discovery document reads from the configured clients the OP
/// serves now: their profiles and scopes.
#[derive(Debug, Clone, Default)]
pub struct ServedClients {
    profiles: Vec<FapiProfile>,
    scopes: BTreeSet<String>,
}

impl ServedClients {
    /// The configured clients as the file lists them (start-up, tests).
    pub fn of_file(config: &Config) -> Self {
        let mut served = Self::default();
        for client in &config.clients {
            served.add(client.fapi_profile, &client.scopes);
        }
        served
    }

    /// The configured clients a node serves (file entries as the client
    /// documents leave them, and the documents' own clients).
    pub fn of<'a>(clients: impl IntoIterator<Item = &'a Client>) -> Self {
        let mut served = Self::default();
        for client in clients {
            served.add(client.fapi_profile, &client.scopes);
        }
        served
    }

    fn add(&mut self, profile: Option<FapiProfile>, scopes: &[String]) {
        if let Some(own) = profile
            && !self.profiles.contains(&own)
        {
            self.profiles.push(own);
        }
        self.scopes.extend(scopes.iter().cloned());
    }

    /// Every scope some configured client may be granted.
    pub fn scopes(&self) -> impl Iterator<Item = &String> {
        self.scopes.iter()
    }
}

/// Every profile some client follows.
fn profiles(config: &Config, clients: &ServedClients) -> Vec<FapiProfile> {
    let mut profiles = vec![config.fapi.profile];
    for own in &clients.profiles {
        if !profiles.contains(own) {
            profiles.push(*own);
        }
    }
    profiles
}

/// `response_types_supported`: `code`, and `code id_token` when a FAPI 1.0
/// Advanced client may use it (FAPI 1.0 Part 2 §5.2.2-2; FAPI 2.0 §5.3.2.2).
pub fn response_types(config: &Config, clients: &ServedClients) -> Vec<&'static str> {
    let mut types = vec![ResponseType::Code.as_str()];
    if profiles(config, clients).iter().any(|p| p.allows_hybrid()) {
        types.push(ResponseType::CodeIdToken.as_str());
    }
    types
}

/// `response_modes_supported`: `query` and the JARM modes, and `fragment`
/// when the hybrid type is offered (Multiple Response Types §5).
pub fn response_modes(config: &Config, clients: &ServedClients) -> Vec<&'static str> {
    let mut modes = crate::protocol::response_mode::SUPPORTED.to_vec();
    if profiles(config, clients).iter().any(|p| p.allows_hybrid()) {
        modes.push("fragment");
    }
    modes
}

/// Algorithms for request objects and client assertions: ES256, PS256, and
/// EdDSA when a client's profile allows it (FAPI 2.0 §5.4.1; FAPI 1.0 Part 2
/// §8.6 has no EdDSA).
pub fn client_signing_algs(config: &Config, clients: &ServedClients) -> Vec<&'static str> {
    let eddsa = profiles(config, clients)
        .iter()
        .any(|p| p.allows_alg(fiducia_hsm::JoseAlg::EdDsa));
    let mut algs = vec!["ES256", "PS256"];
    if eddsa {
        algs.push("EdDSA");
    }
    algs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_from_str;

    fn config(text: &str) -> Config {
        load_from_str(&format!("[tls]\ndev_generate = true\n{text}"), Vec::new()).unwrap()
    }

    const FAPI1_CLIENT: &str = "[[clients]]\nclient_id = \"f1\"\nclient_name = \"F\"\nredirect_uris = [\"https://c.example/cb\"]\ntoken_endpoint_auth_method = \"tls_client_auth\"\ntls_client_auth_subject_dn = \"CN=f1\"\nfapi_profile = \"fapi1-advanced\"\n";

    #[test]
    fn fapi2_only_offers_code_and_eddsa_fapi2_s5_3_2_2() {
        let c = config("");
        assert_eq!(response_types(&c, &ServedClients::of_file(&c)), vec!["code"]);
        assert!(!response_modes(&c, &ServedClients::of_file(&c)).contains(&"fragment"));
        assert_eq!(
            client_signing_algs(&c, &ServedClients::of_file(&c)),
            vec!["ES256", "PS256", "EdDSA"]
        );
    }

    #[test]
    fn a_fapi1_client_adds_the_hybrid_type_fapi1_part2_s5_2_2_2() {
        let c = config(FAPI1_CLIENT);
        assert_eq!(
            response_types(&c, &ServedClients::of_file(&c)),
            vec!["code", "code id_token"]
        );
        assert!(response_modes(&c, &ServedClients::of_file(&c)).contains(&"fragment"));
        // The OP's own FAPI 2.0 clients may still use EdDSA.
        assert_eq!(
            client_signing_algs(&c, &ServedClients::of_file(&c)),
            vec!["ES256", "PS256", "EdDSA"]
        );
    }

    #[test]
    fn fapi1_everywhere_drops_eddsa_fapi1_part2_s8_6() {
        let c = config(&format!("[fapi]\nprofile = \"fapi1-advanced\"\n{FAPI1_CLIENT}"));
        assert_eq!(
            response_types(&c, &ServedClients::of_file(&c)),
            vec!["code", "code id_token"]
        );
        assert_eq!(
            client_signing_algs(&c, &ServedClients::of_file(&c)),
            vec!["ES256", "PS256"]
        );
    }
}
