//! The `fapi` policy: the OP-wide `[fapi]` profile a client without its
//! own `fapi_profile` follows, whether authorization requests must be
//! pushed, and the PKCE methods. Each applies from the next request on
//! (the discovery document follows: `oauth/discovery_document.rs`). The
//! start-up checks keep a live value within the profiles (FAPI 2.0 SP
//! §5.3.2.2: PAR and S256 only; FAPI 1.0 Advanced: PS256 or ES256 for the
//! signing key in force).
//!
//! `sender_constraints` is fixed at start-up: offering certificate-bound
//! tokens rests on the listeners' client-certificate verifier, built once
//! from `tls.client_ca` (`http/tls.rs`), and on tokens already bound one
//! way or the other; a `PUT` naming it gets a problem for it. A client's
//! own profile is its `fapi_profile` member, changed through `/clients`.

use super::Policy;
use crate::config::{Config, FapiProfile};
use crate::oauth::live_sections::Section;
use serde::{Deserialize, Serialize};

/// The members of `[fapi]` managed live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FapiPolicyValue {
    /// `[fapi] profile`.
    pub profile: FapiProfile,
    /// `[fapi] require_pushed_authorization_requests`.
    pub require_pushed_authorization_requests: bool,
    /// `[fapi] pkce_methods`.
    pub pkce_methods: Vec<String>,
}

/// `[fapi]` managed live.
pub struct FapiPolicy;

impl Section for FapiPolicy {
    const NAME: &'static str = "fapi";
    const PATH: &'static str = "fapi";
    type Value = FapiPolicyValue;

    fn of(config: &Config) -> FapiPolicyValue {
        FapiPolicyValue {
            profile: config.fapi.profile,
            require_pushed_authorization_requests: config.fapi.require_pushed_authorization_requests,
            pkce_methods: config.fapi.pkce_methods.clone(),
        }
    }

    /// `sender_constraints` stays the file's.
    fn set(config: &mut Config, value: FapiPolicyValue) {
        config.fapi.profile = value.profile;
        config.fapi.require_pushed_authorization_requests = value.require_pushed_authorization_requests;
        config.fapi.pkce_methods = value.pkce_methods;
    }
}

impl Policy for FapiPolicy {
    const FIXED: &'static [(&'static str, &'static str)] = &[(
        "sender_constraints",
        "fixed at start-up: certificate-bound tokens rest on the listeners' client-certificate verifier built from tls.client_ca (RFC 8705 §3); change it in the configuration file and restart",
    )];
}
