//! The discovery members that depend on which FAPI profiles the OP's
//! clients follow (the OP's `[fapi] profile`, which registered clients
//! follow, and each `[[clients]]` entry's own `fapi_profile`): what is
//! advertised is what at least one client can use (OIDC Discovery §3,
//! RFC 8414 §2), and an algorithm only when some client may sign with it.

use crate::config::{Config, FapiProfile};
use crate::protocol::response_type::ResponseType;

/// Every profile some client follows.
fn profiles(config: &Config) -> Vec<FapiProfile> {
    let mut profiles = vec![config.fapi.profile];
    for client in &config.clients {
        if let Some(own) = client.fapi_profile
            && !profiles.contains(&own)
        {
            profiles.push(own);
        }
    }
    profiles
}

/// `response_types_supported`: `code`, and `code id_token` when a FAPI 1.0
/// Advanced client may use it (FAPI 1.0 Part 2 §5.2.2-2; FAPI 2.0 §5.3.2.2).
pub fn response_types(config: &Config) -> Vec<&'static str> {
    let mut types = vec![ResponseType::Code.as_str()];
    if profiles(config).iter().any(|p| p.allows_hybrid()) {
        types.push(ResponseType::CodeIdToken.as_str());
    }
    types
}

/// `response_modes_supported`: `query` and the JARM modes, and `fragment`
/// when the hybrid type is offered (Multiple Response Types §5).
pub fn response_modes(config: &Config) -> Vec<&'static str> {
    let mut modes = crate::protocol::response_mode::SUPPORTED.to_vec();
    if profiles(config).iter().any(|p| p.allows_hybrid()) {
        modes.push("fragment");
    }
    modes
}

/// Algorithms for request objects and client assertions: ES256, PS256, and
/// EdDSA when a client's profile allows it (FAPI 2.0 §5.4.1; FAPI 1.0 Part 2
/// §8.6 has no EdDSA).
pub fn client_signing_algs(config: &Config) -> Vec<&'static str> {
    let eddsa = profiles(config)
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
        assert_eq!(response_types(&c), vec!["code"]);
        assert!(!response_modes(&c).contains(&"fragment"));
        assert_eq!(client_signing_algs(&c), vec!["ES256", "PS256", "EdDSA"]);
    }

    #[test]
    fn a_fapi1_client_adds_the_hybrid_type_fapi1_part2_s5_2_2_2() {
        let c = config(FAPI1_CLIENT);
        assert_eq!(response_types(&c), vec!["code", "code id_token"]);
        assert!(response_modes(&c).contains(&"fragment"));
        // The OP's own FAPI 2.0 clients may still use EdDSA.
        assert_eq!(client_signing_algs(&c), vec!["ES256", "PS256", "EdDSA"]);
    }

    #[test]
    fn fapi1_everywhere_drops_eddsa_fapi1_part2_s8_6() {
        let c = config(&format!("[fapi]\nprofile = \"fapi1-advanced\"\n{FAPI1_CLIENT}"));
        assert_eq!(response_types(&c), vec!["code", "code id_token"]);
        assert_eq!(client_signing_algs(&c), vec!["ES256", "PS256"]);
    }
}
