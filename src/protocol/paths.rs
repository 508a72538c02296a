//! The OP's endpoint paths, relative to the issuer's path (an issuer of
//! `https://bank.example/op` serves `/op/token`): what the router serves and
//! what discovery (RFC 8414 §2, OIDC Discovery §3) and registration
//! (RFC 7592 §3) advertise, so both take them from here.

/// OpenID Connect Discovery 1.0 §4.
pub const DISCOVERY: &str = "/.well-known/openid-configuration";
/// RFC 8414 §2 `jwks_uri`.
pub const JWKS: &str = "/jwks";
/// RFC 6749 §3.2.
pub const TOKEN: &str = "/token";
/// RFC 9126 §2.
pub const PAR: &str = "/par";
/// RFC 6749 §3.1.
pub const AUTHORIZE: &str = "/authorize";
/// The built-in login page.
pub const LOGIN: &str = "/login";
/// The built-in consent page.
pub const CONSENT: &str = "/consent";
/// The built-in login's second factor (TOTP code) page.
pub const SECOND_FACTOR: &str = "/login/otp";
/// Where the bank's interaction app sends the browser back (issue 25):
/// the interaction finishes there when the browser's cookie binds it.
pub const INTERACTION_RETURN: &str = "/interaction/return";
/// The interaction API, called by the bank's interaction app: what an
/// interaction asks.
pub const INTERACTION_API_READ: &str = "/interaction-api/read";
/// The interaction API: the login report.
pub const INTERACTION_API_LOGIN: &str = "/interaction-api/login";
/// The interaction API: the consent report.
pub const INTERACTION_API_CONSENT: &str = "/interaction-api/consent";
/// The interaction API: the URL to send the browser back to.
pub const INTERACTION_API_RETURN: &str = "/interaction-api/return";
/// The interaction API: the app gives an interaction up.
pub const INTERACTION_API_ABANDON: &str = "/interaction-api/abandon";
/// The interaction API: the app's pending CIBA requests.
pub const INTERACTION_API_CIBA_PENDING: &str = "/interaction-api/ciba/pending";
/// The interaction API: what a CIBA request asks.
pub const INTERACTION_API_CIBA_READ: &str = "/interaction-api/ciba/read";
/// The interaction API: the customer's decision on a CIBA request.
pub const INTERACTION_API_CIBA_DECISION: &str = "/interaction-api/ciba/decision";
/// The redirect URI Fiducia registers at the bank's upstream OpenID
/// Provider (`[login.upstream]`): the upstream login's callback.
pub const UPSTREAM_CALLBACK: &str = "/login/upstream/callback";
/// The customer's consent dashboard: their grants, each revocable. No
/// discovery member names it (no spec defines one).
pub const ACCOUNT_CONSENTS: &str = "/account/consents";
/// The dashboard's revoke form (confirmation, then revocation).
pub const ACCOUNT_REVOKE: &str = "/account/consents/revoke";
/// The dashboard's password form.
pub const ACCOUNT_SIGN_IN: &str = "/account/sign-in";
/// The dashboard's second-factor (TOTP code) form.
pub const ACCOUNT_SIGN_IN_CODE: &str = "/account/sign-in/otp";
/// The dashboard's sign-out form.
pub const ACCOUNT_SIGN_OUT: &str = "/account/sign-out";
/// The interaction API: a customer's grants (`{account_id}` is one path
/// segment), for the bank's own apps.
pub const INTERACTION_API_CUSTOMER_GRANTS: &str = "/interaction-api/customers/{account_id}/grants";
/// The interaction API: revoke one of them.
pub const INTERACTION_API_CUSTOMER_GRANT_REVOKE: &str =
    "/interaction-api/customers/{account_id}/grants/{grant_id}/revoke";
/// OIDC Core §5.3.
pub const USERINFO: &str = "/userinfo";
/// RFC 7009 §2.
pub const REVOCATION: &str = "/revoke";
/// RFC 7662 §2.
pub const INTROSPECTION: &str = "/introspect";
/// A resource server reports a payment made with a token.
pub const GRANT_CONSUMPTION: &str = "/grants/consume";
/// A resource server reserves a token's consent for a payment before
/// the bank is called.
pub const GRANT_RESERVATION: &str = "/grants/reserve";
/// The sandbox fintech's redirect URI (only with `server.sandbox_callback`).
pub const SANDBOX_CALLBACK: &str = "/sandbox/callback";
/// UK OBIE domestic payment consents (Payment Initiation API v3.1).
pub const PAYMENT_CONSENTS: &str = "/open-banking/v3.1/pisp/domestic-payment-consents";
/// One of them (`{ConsentId}` is any one path segment).
pub const PAYMENT_CONSENT: &str = "/open-banking/v3.1/pisp/domestic-payment-consents/{ConsentId}";
/// UK OBIE account access consents (Account and Transaction API v3.1).
pub const ACCOUNT_ACCESS_CONSENTS: &str = "/open-banking/v3.1/aisp/account-access-consents";
/// One of them.
pub const ACCOUNT_ACCESS_CONSENT: &str = "/open-banking/v3.1/aisp/account-access-consents/{ConsentId}";
/// Grant Management for OAuth 2.0 §6.2: the grant management endpoint, as
/// published (`grant_management_endpoint`).
pub const GRANTS: &str = "/grants";
/// §6.3: one grant, `{grant_management_endpoint}/{grant_id}`.
pub const GRANT: &str = "/grants/{grant_id}";
/// RFC 7591 §3 registration endpoint.
pub const REGISTRATION: &str = "/register";
/// RFC 7592 client configuration endpoints: this prefix + `client_id`.
pub const REGISTRATION_CLIENT_PREFIX: &str = "/register/";
/// The same as a route (`{client_id}` is one path segment).
pub const REGISTRATION_CLIENT: &str = "/register/{client_id}";
/// CIBA Core §7: the backchannel authentication endpoint.
pub const BACKCHANNEL_AUTHENTICATION: &str = "/bc-authorize";
/// The device channel's answer: the customer's decision on a CIBA request.
pub const CIBA_DECISION: &str = "/ciba/decision";
