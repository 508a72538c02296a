//! Dynamic client registration (RFC 7591): the request body as JSON or as
//! a signed JWT (UK OBIE DCR), and the software statement's claims read
//! before its signature is checked (to find its issuer's keys).

use fiducia::protocol::registration::request::{parse_body, peek_claims, software_statement};
use fiducia::protocol::registration::ssa::peek_issuer;

/// The body under both content types; a JWT body's claims and its software
/// statement's issuer.
pub fn registration_body(data: &[u8]) {
    for content_type in ["application/json", "application/jwt"] {
        let _ = parse_body(content_type, data);
    }
    let Some(text) = crate::text(data) else { return };
    if let Ok(claims) = peek_claims(text)
        && let Ok(statement) = software_statement(&claims)
    {
        let _ = peek_issuer(statement);
    }
    let _ = peek_issuer(text);
}
