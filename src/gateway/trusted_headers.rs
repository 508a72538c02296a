//! The `x-fiducia-*` headers: what the gateway tells the bank API about a
//! call it let through. Only the gateway sets them: it drops any a caller
//! sent (`forwarded_headers`), and the bank API trusts them because the
//! gateway authenticates to it with its own client certificate.

/// Prefix of the headers only the gateway sets.
pub const TRUSTED_PREFIX: &str = "x-fiducia-";
/// The token's client.
pub const X_CLIENT_ID: &str = "x-fiducia-client-id";
/// The customer (`sub`), when the token has one.
pub const X_CUSTOMER: &str = "x-fiducia-customer";
/// The granted scopes, space-separated.
pub const X_SCOPE: &str = "x-fiducia-scope";
/// base64url (no padding) of the token's `authorization_details` JSON.
pub const X_AUTHORIZATION_DETAILS: &str = "x-fiducia-authorization-details";
/// base64url (no padding) of the UK OBIE consent the token was authorised
/// under (the OP's `openbanking_consent`: `ConsentId`, `Status`,
/// `Initiation`, `Risk`).
pub const X_OPENBANKING_CONSENT: &str = "x-fiducia-openbanking-consent";
/// The consent a payment uses up, as the OP reserved it for this payment:
/// the UK OBIE `ConsentId`, else the grant (payment routes only).
pub const X_CONSENT_ID: &str = "x-fiducia-consent-id";
/// The client certificate's `x5t#S256`.
pub const X_CLIENT_CERT_THUMBPRINT: &str = "x-fiducia-client-cert-x5t-s256";
