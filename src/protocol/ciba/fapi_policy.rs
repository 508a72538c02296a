//! Which CIBA registrations the OP admits (FAPI CIBA §5.2.2; CIBA Core
//! §10.3 push only where enabled), and when a client must sign its
//! authentication requests.
//!
//! | rule | source | error |
//! |---|---|---|
//! | a FAPI CIBA client uses poll or ping, never push | FAPI CIBA §5.2.2 ("shall not support CIBA push mode") | `invalid_client_metadata` |
//! | push only when the OP enables it | CIBA Core §10.3, the OP's configuration | `invalid_client_metadata` |
//! | a FAPI CIBA client signs its requests, as does any client that registered a signing algorithm | FAPI CIBA §5.2.2, CIBA Core §4 | (at the endpoint) `invalid_request` |

use super::client_metadata::CibaClientMetadata;
use super::delivery_mode::DeliveryMode;
use crate::protocol::error::{ErrorCode, OAuthError};

/// FAPI CIBA §5.2.2 / CIBA Core §10.3: whether the OP admits `metadata`
/// for a client that follows the FAPI CIBA profile (`fapi`), with push
/// mode enabled in the OP's configuration or not (`push_enabled`). RFC
/// 7591 §3.2.2: `invalid_client_metadata` otherwise.
pub fn check_ciba_client_policy(
    metadata: &CibaClientMetadata,
    fapi: bool,
    push_enabled: bool,
) -> Result<(), OAuthError> {
    if metadata.backchannel_token_delivery_mode == DeliveryMode::Push {
        if fapi {
            return Err(OAuthError::new(
                ErrorCode::InvalidClientMetadata,
                "a FAPI CIBA client uses poll or ping, not push (FAPI CIBA §5.2.2)",
            ));
        }
        if !push_enabled {
            return Err(OAuthError::new(
                ErrorCode::InvalidClientMetadata,
                "push delivery is not enabled at this OP (CIBA Core §10.3)",
            ));
        }
    }
    Ok(())
}

/// FAPI CIBA §5.2.2 ("shall require Signed Authentication Requests") and
/// CIBA Core §4 (a registered `backchannel_authentication_request_signing_alg`):
/// whether only signed requests are accepted from the client.
pub fn signed_request_required(metadata: &CibaClientMetadata, fapi: bool) -> bool {
    fapi || metadata.backchannel_authentication_request_signing_alg.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fiducia_hsm::JoseAlg;

    fn client(mode: DeliveryMode, alg: Option<JoseAlg>) -> CibaClientMetadata {
        CibaClientMetadata {
            backchannel_token_delivery_mode: mode,
            backchannel_client_notification_endpoint: mode
                .notifies()
                .then(|| "https://rp.example.com/ciba".into()),
            backchannel_authentication_request_signing_alg: alg,
            backchannel_user_code_parameter: false,
        }
    }

    /// FAPI CIBA §5.2.2: poll and ping only for FAPI clients, push refused
    /// even when enabled.
    #[test]
    fn fapi_clients_poll_or_ping_never_push_fapi_ciba_s5_2_2() {
        for mode in [DeliveryMode::Poll, DeliveryMode::Ping] {
            assert!(check_ciba_client_policy(&client(mode, None), true, true).is_ok());
        }
        let err = check_ciba_client_policy(&client(DeliveryMode::Push, None), true, true).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClientMetadata);
    }

    /// CIBA Core §10.3: push for others only when the OP enables it.
    #[test]
    fn push_only_when_enabled_ciba_core_s10_3() {
        let push = client(DeliveryMode::Push, None);
        assert!(check_ciba_client_policy(&push, false, true).is_ok());
        assert_eq!(
            check_ciba_client_policy(&push, false, false).unwrap_err().code,
            ErrorCode::InvalidClientMetadata
        );
    }

    /// FAPI CIBA §5.2.2 / CIBA Core §4: who must sign.
    #[test]
    fn signed_requests_for_fapi_clients_and_registered_algs_fapi_ciba_s5_2_2() {
        assert!(signed_request_required(&client(DeliveryMode::Poll, None), true));
        assert!(signed_request_required(
            &client(DeliveryMode::Poll, Some(JoseAlg::Es256)),
            false
        ));
        assert!(!signed_request_required(&client(DeliveryMode::Ping, None), false));
    }
}
