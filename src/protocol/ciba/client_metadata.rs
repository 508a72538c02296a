//! A client's CIBA registration (CIBA Core §4 "Registration and Discovery
//! Metadata"), typed, from RFC 7591 metadata or a static client's
//! configuration (same names).
//!
//! | member | rule | error |
//! |---|---|---|
//! | `backchannel_token_delivery_mode` | `poll`, `ping` or `push`; required once any CIBA member is present | `invalid_client_metadata` |
//! | `backchannel_client_notification_endpoint` | required for ping and push; https, public host (`notification_endpoint.rs`) | `invalid_client_metadata` |
//! | `backchannel_authentication_request_signing_alg` | PS256, ES256 or EdDSA (never `none`: §4) | `invalid_client_metadata` |
//! | `backchannel_user_code_parameter` | boolean, default false | `invalid_client_metadata` |

use super::delivery_mode::DeliveryMode;
use super::notification_endpoint::check_notification_endpoint;
use crate::protocol::error::{ErrorCode, OAuthError};
use fiducia_hsm::JoseAlg;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The CIBA members of RFC 7591 client metadata (CIBA Core §4).
pub const CIBA_METADATA_MEMBERS: [&str; 4] = [
    "backchannel_token_delivery_mode",
    "backchannel_client_notification_endpoint",
    "backchannel_authentication_request_signing_alg",
    "backchannel_user_code_parameter",
];

/// A client's CIBA metadata (CIBA Core §4), with the registered names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CibaClientMetadata {
    /// How it receives results.
    pub backchannel_token_delivery_mode: DeliveryMode,
    /// Where pings or pushed tokens go (ping and push only).
    #[serde(default)]
    pub backchannel_client_notification_endpoint: Option<String>,
    /// The only algorithm of its signed authentication requests; when set,
    /// unsigned requests are refused.
    #[serde(default)]
    pub backchannel_authentication_request_signing_alg: Option<JoseAlg>,
    /// Whether its requests carry a `user_code` (§7.1).
    #[serde(default)]
    pub backchannel_user_code_parameter: bool,
}

fn invalid(why: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, why)
}

impl CibaClientMetadata {
    /// CIBA Core §4: the CIBA members of `metadata`, checked; `None` when
    /// it has none (a client that does not use CIBA). `allow_private`
    /// admits a loopback or private notification endpoint (sandbox).
    pub fn from_metadata(
        metadata: &Map<String, Value>,
        allow_private: bool,
    ) -> Result<Option<Self>, OAuthError> {
        let members: Map<String, Value> = CIBA_METADATA_MEMBERS
            .iter()
            .filter_map(|name| metadata.get(*name).map(|v| (name.to_string(), v.clone())))
            .filter(|(_, v)| !v.is_null())
            .collect();
        if members.is_empty() {
            return Ok(None);
        }
        let Some(mode) = members.get("backchannel_token_delivery_mode") else {
            return Err(invalid(
                "backchannel_token_delivery_mode is required with the other CIBA metadata (CIBA Core §4)",
            ));
        };
        if mode.as_str().and_then(DeliveryMode::from_name).is_none() {
            return Err(invalid(
                "backchannel_token_delivery_mode must be poll, ping or push (CIBA Core §4)",
            ));
        }
        if let Some(alg) = members.get("backchannel_authentication_request_signing_alg")
            && alg.as_str().and_then(|a| a.parse::<JoseAlg>().ok()).is_none()
        {
            return Err(invalid(
                "backchannel_authentication_request_signing_alg must be PS256, ES256 or EdDSA (CIBA Core §4)",
            ));
        }
        let parsed: Self = serde_json::from_value(Value::Object(members))
            .map_err(|_| invalid("CIBA client metadata of the wrong type (CIBA Core §4)"))?;
        parsed.check(allow_private)?;
        Ok(Some(parsed))
    }

    /// CIBA Core §4: a ping or push client has an https notification
    /// endpoint on a public host (unless `allow_private`); a poll client
    /// has none.
    pub fn check(&self, allow_private: bool) -> Result<(), OAuthError> {
        match (
            self.backchannel_token_delivery_mode.notifies(),
            &self.backchannel_client_notification_endpoint,
        ) {
            (true, None) => Err(invalid(
                "backchannel_client_notification_endpoint is required for ping and push (CIBA Core §4)",
            )),
            (true, Some(url)) => check_notification_endpoint(url, allow_private).map(|_| ()),
            (false, None) => Ok(()),
            (false, Some(_)) => Err(invalid(
                "a poll client has no backchannel_client_notification_endpoint (CIBA Core §4)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata(value: Value) -> Result<Option<CibaClientMetadata>, OAuthError> {
        let Value::Object(map) = value else { unreachable!() };
        CibaClientMetadata::from_metadata(&map, false)
    }

    fn refused(value: Value) -> bool {
        metadata(value).is_err_and(|e| e.code == ErrorCode::InvalidClientMetadata)
    }

    /// CIBA Core §4: the registered names and values.
    #[test]
    fn ciba_metadata_by_its_registered_names_ciba_core_s4() {
        let ping = metadata(json!({
            "client_name": "Till",
            "backchannel_token_delivery_mode": "ping",
            "backchannel_client_notification_endpoint": "https://rp.example.com/ciba",
            "backchannel_authentication_request_signing_alg": "PS256",
            "backchannel_user_code_parameter": true,
        }))
        .unwrap()
        .unwrap();
        assert_eq!(ping.backchannel_token_delivery_mode, DeliveryMode::Ping);
        assert_eq!(
            ping.backchannel_authentication_request_signing_alg,
            Some(JoseAlg::Ps256)
        );
        assert!(ping.backchannel_user_code_parameter);
        let back = serde_json::to_value(&ping).unwrap();
        assert_eq!(back["backchannel_token_delivery_mode"], "ping");
        assert_eq!(back["backchannel_authentication_request_signing_alg"], "PS256");

        let poll = metadata(json!({"backchannel_token_delivery_mode": "poll"}))
            .unwrap()
            .unwrap();
        assert!(!poll.backchannel_user_code_parameter);
        assert_eq!(poll.backchannel_authentication_request_signing_alg, None);
        assert_eq!(metadata(json!({"client_name": "no CIBA"})).unwrap(), None);
    }

    /// CIBA Core §4: a mode is required, one of the three.
    #[test]
    fn delivery_mode_is_required_and_known_ciba_core_s4() {
        assert!(refused(json!({"backchannel_user_code_parameter": true})));
        assert!(refused(json!({"backchannel_token_delivery_mode": "pull"})));
        assert!(refused(json!({"backchannel_token_delivery_mode": 1})));
    }

    /// CIBA Core §4: ping and push need an https notification endpoint.
    #[test]
    fn ping_and_push_need_an_https_endpoint_ciba_core_s4() {
        for mode in ["ping", "push"] {
            assert!(refused(json!({"backchannel_token_delivery_mode": mode})));
            assert!(refused(json!({
                "backchannel_token_delivery_mode": mode,
                "backchannel_client_notification_endpoint": "http://rp.example.com/ciba",
            })));
            assert!(refused(json!({
                "backchannel_token_delivery_mode": mode,
                "backchannel_client_notification_endpoint": "https://127.0.0.1/ciba",
            })));
        }
        let Value::Object(sandbox) = json!({
            "backchannel_token_delivery_mode": "ping",
            "backchannel_client_notification_endpoint": "https://localhost:9443/ciba",
        }) else {
            unreachable!()
        };
        assert!(
            CibaClientMetadata::from_metadata(&sandbox, true)
                .unwrap()
                .is_some()
        );
        assert!(refused(json!({
            "backchannel_token_delivery_mode": "poll",
            "backchannel_client_notification_endpoint": "https://rp.example.com/ciba",
        })));
    }

    /// CIBA Core §4: "none" (and HMAC) are not signing algorithms here.
    #[test]
    fn the_signing_alg_is_asymmetric_ciba_core_s4() {
        for alg in ["none", "HS256", "RS256", "ps256", ""] {
            assert!(
                refused(json!({
                    "backchannel_token_delivery_mode": "poll",
                    "backchannel_authentication_request_signing_alg": alg,
                })),
                "{alg}"
            );
        }
        assert!(refused(json!({
            "backchannel_token_delivery_mode": "poll",
            "backchannel_user_code_parameter": "yes",
        })));
    }
}
