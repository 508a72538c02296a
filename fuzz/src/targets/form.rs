//! Form bodies (`application/x-www-form-urlencoded`, RFC 6749 Appendix B)
//! and what is read from them.

use fiducia::protocol::authorization_params::AuthorizationParams;
use fiducia::protocol::ciba::{ClientCibaPolicy, DeliveryMode, parse_backchannel_request};
use fiducia::protocol::form::Form;
use fiducia::protocol::rar::DetailType;
use fiducia::protocol::token_request::check_grant_type;

/// `Form::parse` (duplicates refused, RFC 6749 §3.1), then the grant type
/// check every token request makes.
pub fn form(data: &[u8]) {
    if let Ok(form) = Form::parse(data) {
        let _ = check_grant_type(&form);
        for (name, value) in form.iter() {
            std::hint::black_box((name, value));
        }
    }
}

/// A backchannel authentication request's form (CIBA Core §7.1) for a FAPI
/// CIBA poll client and a push client with a user code.
pub fn ciba_request(data: &[u8]) {
    let Ok(form) = Form::parse(data) else { return };
    let params = AuthorizationParams::from_form(&form);
    let scopes = [
        "openid".to_string(),
        "accounts".to_string(),
        "payments".to_string(),
    ];
    for (delivery_mode, user_code_parameter, fapi) in [
        (DeliveryMode::Poll, false, true),
        (DeliveryMode::Push, true, false),
    ] {
        let policy = ClientCibaPolicy {
            delivery_mode,
            user_code_parameter,
            allowed_scopes: &scopes,
            allowed_details: DetailType::ALL,
            fapi,
        };
        let _ = parse_backchannel_request(&params, &policy);
    }
}
