//! Login delegated to the bank's own OpenID Provider (`[login.upstream]`,
//! issue 25 item 2): Fiducia is that provider's relying party, with the
//! authorization code flow, PKCE S256 (RFC 7636), PAR when the provider
//! offers it (RFC 9126), `private_key_jwt` signed by the OP's own key
//! through the signer pool (OIDC Core §9), and the ID token validated as
//! OIDC Core §3.1.3.7 says (`protocol::upstream_id_token`). The consent
//! stays Fiducia's built-in page.
//!
//! - [`provider`]: the provider's metadata (OIDC Discovery) and JWKS,
//!   fetched through the OP's one outbound fetcher (`jwks_fetch`),
//!   cached for `metadata_ttl_secs`;
//! - [`client_jwt`]: the client assertion and the DPoP proof of the token
//!   call, both signed by the OP's active key (no other private key);
//! - [`begin`]: `/authorize` of a client that uses the upstream: the
//!   pending login (`model::upstream_login`), then the browser is sent up;
//! - [`token_call`]: the code redeemed at the provider's token endpoint;
//! - [`callback`]: the browser back at `/login/upstream/callback`: state,
//!   cookie, `iss`, the code redeemed, the ID token validated, the
//!   customer linked (`login::upstream_link`), the login reported as an
//!   interaction app's is (`oauth::interaction_api::check_login`,
//!   `oauth::interaction::report_login`).
//!
//! Which clients use it: a client's `interaction_app = "upstream"`, else
//! `[login] interaction_app = "upstream"` ([`for_client`]).

pub mod begin;
pub mod callback;
pub mod client_jwt;
pub mod provider;
pub mod token_call;

use crate::config::Config;

/// Whether `client_id`'s logins go to the upstream OpenID Provider: its
/// own `interaction_app`, else `[login] interaction_app`, is `"upstream"`
/// and `[login.upstream]` is configured (as `oauth::interaction_app`
/// chooses an interaction app).
pub fn for_client(config: &Config, client_id: &str) -> bool {
    if config.login.upstream.is_none() {
        return false;
    }
    let own = config
        .clients
        .iter()
        .find(|c| c.client_id == client_id)
        .and_then(|c| c.interaction_app.as_deref());
    own.or(config.login.interaction_app.as_deref()) == Some(crate::config::UPSTREAM_INTERACTION)
}

/// The refused ID tokens, by reason (`protocol::upstream_id_token::Refusal`).
pub const REFUSED_METRIC: &str = "fiducia_upstream_id_tokens_refused_total";
/// Upstream logins by outcome.
pub const LOGINS_METRIC: &str = "fiducia_upstream_logins_total";

#[cfg(test)]
mod tests {
    use crate::config::load_from_str;

    /// The selection is `oauth::interaction_app`'s: the client's own
    /// `interaction_app`, else `[login] interaction_app`; `"upstream"` only
    /// with `[login.upstream]` configured.
    #[test]
    fn a_client_uses_the_upstream_by_its_own_or_the_global_interaction_app() {
        let clients = "[[clients]]\nclient_id = \"up\"\nclient_name = \"U\"\nredirect_uris = [\"https://a.example/cb\"]\ntoken_endpoint_auth_method = \"tls_client_auth\"\ninteraction_app = \"upstream\"\n[[clients]]\nclient_id = \"pages\"\nclient_name = \"P\"\nredirect_uris = [\"https://a.example/cb\"]\ntoken_endpoint_auth_method = \"tls_client_auth\"\ninteraction_app = \"built-in\"\n";
        let section = "[login.upstream]\nissuer = \"https://idp.example\"\nclient_id = \"op\"\n";
        let config = |text: &str| load_from_str(text, Vec::new()).unwrap();
        let own = config(&format!("{clients}{section}"));
        assert!(super::for_client(&own, "up"));
        assert!(!super::for_client(&own, "pages"));
        assert!(!super::for_client(&own, "registered-client"));
        let global = config(&format!(
            "[login]\ninteraction_app = \"upstream\"\n{clients}{section}"
        ));
        assert!(super::for_client(&global, "registered-client"));
        assert!(
            !super::for_client(&global, "pages"),
            "\"built-in\" keeps the pages"
        );
        assert!(
            !super::for_client(&config(clients), "up"),
            "no [login.upstream]: no upstream"
        );
    }
}
