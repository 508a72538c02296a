//! The static route table. Paths are relative to the issuer's path, so an
//! issuer of `https://bank.example/op` serves `/op/token`.

use super::context::{Handler, HandlerFuture, RequestContext};
use super::endpoints;
use super::endpoints::interaction_api::Operation;
use super::endpoints::overloaded::{self, ErrorFormat};
use super::response;
use crate::oauth::op::OpState;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::paths;
use bytes::Bytes;
use http::{Method, Request, Response};
use std::sync::Arc;

/// The endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Provider metadata.
    Discovery,
    /// Public signing keys.
    Jwks,
    /// Token endpoint.
    Token,
    /// Pushed authorization requests.
    Par,
    /// Authorization endpoint.
    Authorize,
    /// Login page.
    Login,
    /// Consent page.
    Consent,
    /// Second-factor page.
    SecondFactor,
    /// The browser back from the bank's interaction app.
    InteractionReturn,
    /// The browser back from the bank's upstream OpenID Provider.
    UpstreamCallback,
    /// The interaction API, called by the bank's interaction app.
    InteractionApi(endpoints::interaction_api::Operation),
    /// UserInfo endpoint.
    Userinfo,
    /// The sandbox's redirect URI page.
    SandboxCallback,
    /// Token revocation.
    Revocation,
    /// Token introspection.
    Introspection,
    /// A payment made: the token's grant is consumed.
    GrantConsumption,
    /// A payment about to be made: the token's consent is reserved for it.
    GrantReservation,
    /// The consent API: domestic payment consents.
    PaymentConsents,
    /// The consent API: account access consents.
    AccountAccessConsents,
    /// Grant Management for OAuth 2.0 §6: `/grants/{grant_id}`.
    Grants,
    /// RFC 7591 §3 `POST /register`.
    Registration,
    /// RFC 7592 §2 `/register/{client_id}`.
    RegistrationClient,
    /// CIBA Core §7 backchannel authentication.
    BackchannelAuthentication,
    /// The CIBA device channel's decision.
    CibaDecision,
    /// The customer's consent dashboard.
    AccountConsents,
    /// The dashboard's revoke form.
    AccountRevoke,
    /// The dashboard's password form.
    AccountSignIn,
    /// The dashboard's code form.
    AccountSignInCode,
    /// The dashboard's sign-out.
    AccountSignOut,
    /// The interaction API's customer grants (list, revoke).
    CustomerGrantsApi,
}

impl Endpoint {
    /// The format this endpoint answers errors in: what a request shed by
    /// the admission gate gets (`endpoints::overloaded`).
    pub const fn error_format(self) -> ErrorFormat {
        match self {
            Endpoint::Authorize
            | Endpoint::Login
            | Endpoint::Consent
            | Endpoint::SecondFactor
            | Endpoint::InteractionReturn
            | Endpoint::UpstreamCallback
            | Endpoint::SandboxCallback
            | Endpoint::AccountConsents
            | Endpoint::AccountRevoke
            | Endpoint::AccountSignIn
            | Endpoint::AccountSignInCode
            | Endpoint::AccountSignOut => ErrorFormat::Page,
            Endpoint::InteractionApi(_) | Endpoint::CustomerGrantsApi => ErrorFormat::Problem,
            Endpoint::PaymentConsents | Endpoint::AccountAccessConsents => ErrorFormat::Obie,
            Endpoint::Discovery
            | Endpoint::Jwks
            | Endpoint::Token
            | Endpoint::Par
            | Endpoint::Userinfo
            | Endpoint::Revocation
            | Endpoint::Introspection
            | Endpoint::GrantConsumption
            | Endpoint::GrantReservation
            | Endpoint::Grants
            | Endpoint::Registration
            | Endpoint::RegistrationClient
            | Endpoint::BackchannelAuthentication
            | Endpoint::CibaDecision => ErrorFormat::OAuth,
        }
    }

    /// Whether the endpoint checks DPoP proofs (`oauth::sender`): with
    /// `tokens.dpop_nonce` every response of it carries `DPoP-Nonce`, so
    /// that a client refused with `use_dpop_nonce` learns the nonce to use
    /// (RFC 9449 §8 at the token and PAR endpoints, §9 at the protected
    /// resources: userinfo and the consent API, whose tokens are checked by
    /// `oauth::protected_resource`).
    pub const fn checks_dpop_proofs(self) -> bool {
        matches!(
            self,
            Endpoint::Par
                | Endpoint::Token
                | Endpoint::BackchannelAuthentication
                | Endpoint::Userinfo
                | Endpoint::PaymentConsents
                | Endpoint::AccountAccessConsents
                | Endpoint::Grants
        )
    }
}

/// One row of the table.
#[derive(Debug, PartialEq, Eq)]
pub struct Route {
    /// Path relative to the issuer.
    pub path: &'static str,
    /// Methods served.
    pub methods: &'static [Method],
    /// Which endpoint answers.
    pub endpoint: Endpoint,
    /// Label for metrics and logs.
    pub label: &'static str,
}

/// Every route the OP serves.
pub const ROUTES: &[Route] = &[
    Route {
        path: paths::DISCOVERY,
        methods: &[Method::GET, Method::HEAD],
        endpoint: Endpoint::Discovery,
        label: "discovery",
    },
    Route {
        path: paths::JWKS,
        methods: &[Method::GET, Method::HEAD],
        endpoint: Endpoint::Jwks,
        label: "jwks",
    },
    Route {
        path: paths::TOKEN,
        methods: &[Method::POST],
        endpoint: Endpoint::Token,
        label: "token",
    },
    Route {
        path: paths::PAR,
        methods: &[Method::POST],
        endpoint: Endpoint::Par,
        label: "par",
    },
    Route {
        path: paths::AUTHORIZE,
        methods: &[Method::GET],
        endpoint: Endpoint::Authorize,
        label: "authorize",
    },
    Route {
        path: paths::LOGIN,
        methods: &[Method::GET, Method::POST],
        endpoint: Endpoint::Login,
        label: "login",
    },
    Route {
        path: paths::SECOND_FACTOR,
        methods: &[Method::GET, Method::POST],
        endpoint: Endpoint::SecondFactor,
        label: "second_factor",
    },
    Route {
        path: paths::CONSENT,
        methods: &[Method::GET, Method::POST],
        endpoint: Endpoint::Consent,
        label: "consent",
    },
    Route {
        path: paths::UPSTREAM_CALLBACK,
        methods: &[Method::GET],
        endpoint: Endpoint::UpstreamCallback,
        label: "upstream_callback",
    },
    Route {
        path: paths::INTERACTION_RETURN,
        methods: &[Method::GET],
        endpoint: Endpoint::InteractionReturn,
        label: "interaction_return",
    },
    Route {
        path: paths::INTERACTION_API_READ,
        methods: &[Method::POST],
        endpoint: Endpoint::InteractionApi(Operation::Read),
        label: "interaction_api_read",
    },
    Route {
        path: paths::INTERACTION_API_LOGIN,
        methods: &[Method::POST],
        endpoint: Endpoint::InteractionApi(Operation::Login),
        label: "interaction_api_login",
    },
    Route {
        path: paths::INTERACTION_API_CONSENT,
        methods: &[Method::POST],
        endpoint: Endpoint::InteractionApi(Operation::Consent),
        label: "interaction_api_consent",
    },
    Route {
        path: paths::INTERACTION_API_RETURN,
        methods: &[Method::POST],
        endpoint: Endpoint::InteractionApi(Operation::Return),
        label: "interaction_api_return",
    },
    Route {
        path: paths::INTERACTION_API_ABANDON,
        methods: &[Method::POST],
        endpoint: Endpoint::InteractionApi(Operation::Abandon),
        label: "interaction_api_abandon",
    },
    Route {
        path: paths::INTERACTION_API_CIBA_PENDING,
        methods: &[Method::POST],
        endpoint: Endpoint::InteractionApi(Operation::CibaPending),
        label: "interaction_api_ciba_pending",
    },
    Route {
        path: paths::INTERACTION_API_CIBA_READ,
        methods: &[Method::POST],
        endpoint: Endpoint::InteractionApi(Operation::CibaRead),
        label: "interaction_api_ciba_read",
    },
    Route {
        path: paths::INTERACTION_API_CIBA_DECISION,
        methods: &[Method::POST],
        endpoint: Endpoint::InteractionApi(Operation::CibaDecision),
        label: "interaction_api_ciba_decision",
    },
    Route {
        path: paths::INTERACTION_API_CUSTOMER_GRANTS,
        methods: &[Method::GET, Method::POST],
        endpoint: Endpoint::CustomerGrantsApi,
        label: "interaction_api_customer_grants",
    },
    Route {
        path: paths::INTERACTION_API_CUSTOMER_GRANT_REVOKE,
        methods: &[Method::POST],
        endpoint: Endpoint::CustomerGrantsApi,
        label: "interaction_api_customer_grant_revoke",
    },
    Route {
        path: paths::ACCOUNT_CONSENTS,
        methods: &[Method::GET],
        endpoint: Endpoint::AccountConsents,
        label: "account_consents",
    },
    Route {
        path: paths::ACCOUNT_REVOKE,
        methods: &[Method::POST],
        endpoint: Endpoint::AccountRevoke,
        label: "account_revoke",
    },
    Route {
        path: paths::ACCOUNT_SIGN_IN,
        methods: &[Method::POST],
        endpoint: Endpoint::AccountSignIn,
        label: "account_sign_in",
    },
    Route {
        path: paths::ACCOUNT_SIGN_IN_CODE,
        methods: &[Method::POST],
        endpoint: Endpoint::AccountSignInCode,
        label: "account_sign_in_code",
    },
    Route {
        path: paths::ACCOUNT_SIGN_OUT,
        methods: &[Method::POST],
        endpoint: Endpoint::AccountSignOut,
        label: "account_sign_out",
    },
    Route {
        path: paths::SANDBOX_CALLBACK,
        methods: &[Method::GET],
        endpoint: Endpoint::SandboxCallback,
        label: "sandbox_callback",
    },
    Route {
        path: paths::USERINFO,
        methods: &[Method::GET, Method::POST],
        endpoint: Endpoint::Userinfo,
        label: "userinfo",
    },
    Route {
        path: paths::REVOCATION,
        methods: &[Method::POST],
        endpoint: Endpoint::Revocation,
        label: "revocation",
    },
    Route {
        path: paths::INTROSPECTION,
        methods: &[Method::POST],
        endpoint: Endpoint::Introspection,
        label: "introspection",
    },
    Route {
        path: paths::GRANT_CONSUMPTION,
        methods: &[Method::POST],
        endpoint: Endpoint::GrantConsumption,
        label: "grant_consumption",
    },
    Route {
        path: paths::GRANT_RESERVATION,
        methods: &[Method::POST],
        endpoint: Endpoint::GrantReservation,
        label: "grant_reservation",
    },
    Route {
        path: paths::PAYMENT_CONSENTS,
        methods: &[Method::POST],
        endpoint: Endpoint::PaymentConsents,
        label: "payment_consents",
    },
    Route {
        path: paths::PAYMENT_CONSENT,
        methods: &[Method::GET],
        endpoint: Endpoint::PaymentConsents,
        label: "payment_consent",
    },
    Route {
        path: paths::ACCOUNT_ACCESS_CONSENTS,
        methods: &[Method::POST],
        endpoint: Endpoint::AccountAccessConsents,
        label: "account_access_consents",
    },
    Route {
        path: paths::ACCOUNT_ACCESS_CONSENT,
        methods: &[Method::GET, Method::DELETE],
        endpoint: Endpoint::AccountAccessConsents,
        label: "account_access_consent",
    },
    // Grant Management §6.3, §6.4, §6.5.
    Route {
        path: paths::GRANT,
        methods: &[Method::GET, Method::DELETE],
        endpoint: Endpoint::Grants,
        label: "grant",
    },
    Route {
        path: paths::REGISTRATION,
        methods: &[Method::POST],
        endpoint: Endpoint::Registration,
        label: "registration",
    },
    // RFC 7592 §2: the client configuration endpoint.
    Route {
        path: paths::REGISTRATION_CLIENT,
        methods: &[Method::GET, Method::PUT, Method::DELETE],
        endpoint: Endpoint::RegistrationClient,
        label: "registration_client",
    },
    Route {
        path: paths::BACKCHANNEL_AUTHENTICATION,
        methods: &[Method::POST],
        endpoint: Endpoint::BackchannelAuthentication,
        label: "backchannel_authentication",
    },
    Route {
        path: paths::CIBA_DECISION,
        methods: &[Method::POST],
        endpoint: Endpoint::CibaDecision,
        label: "ciba_decision",
    },
];

/// The `client_id` of a `/register/{client_id}` path.
pub fn registration_client_id(path: &str) -> Option<&str> {
    path.strip_prefix(paths::REGISTRATION_CLIENT_PREFIX)
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

/// What the table says about a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Served by this route.
    Found(&'static Route),
    /// The path exists, the method does not.
    WrongMethod(&'static Route),
    /// No such path.
    NotFound,
}

/// Looks `path` (already relative to the issuer) and `method` up.
pub fn lookup(method: &Method, path: &str) -> Lookup {
    match ROUTES.iter().find(|r| path_matches(r.path, path)) {
        Some(route) if route.methods.contains(method) => Lookup::Found(route),
        Some(route) => Lookup::WrongMethod(route),
        None => Lookup::NotFound,
    }
}

/// Whether `path` is `pattern`, where a `{name}` segment of the pattern
/// stands for any one non-empty segment.
fn path_matches(pattern: &str, path: &str) -> bool {
    if !pattern.contains('{') {
        return pattern == path;
    }
    let (mut expected, mut actual) = (pattern.split('/'), path.split('/'));
    loop {
        match (expected.next(), actual.next()) {
            (None, None) => return true,
            (Some(e), Some(a)) if e.starts_with('{') && !a.is_empty() => {}
            (Some(e), Some(a)) if e == a => {}
            _ => return false,
        }
    }
}

/// The production [`Handler`]: looks the route up and calls the endpoint.
pub struct Router {
    op: Arc<OpState>,
}

impl Router {
    /// A router over the OP's state.
    pub fn new(op: Arc<OpState>) -> Self {
        Self { op }
    }

    async fn route(&self, request: Request<Bytes>, context: &RequestContext) -> Response<Bytes> {
        let prefix = self.op.config.issuer_path();
        let path = request.uri().path().strip_prefix(prefix).unwrap_or("");
        let route = match lookup(request.method(), path) {
            Lookup::Found(route) => route,
            Lookup::WrongMethod(route) => return method_not_allowed(route),
            Lookup::NotFound => {
                return response::error(&OAuthError::new(ErrorCode::NotFound, "no such endpoint"));
            }
        };
        let caller = context.caller(&request);
        let caller = &caller;
        let result = match route.endpoint {
            Endpoint::Discovery => Ok(endpoints::discovery::get(&self.op)),
            Endpoint::Jwks => Ok(endpoints::jwks::get(&self.op)),
            Endpoint::Token => endpoints::token::post(&self.op, &request, caller).await,
            Endpoint::Par => endpoints::par::post(&self.op, &request, caller).await,
            // FAPI 1.0 Part 1 §6.2.2: the customer-presence headers, well formed.
            Endpoint::Userinfo => match crate::http::fapi_headers::customer_presence(request.headers()) {
                Ok(_) => endpoints::userinfo::handle(&self.op, caller).await,
                Err(malformed) => Err(OAuthError::invalid_request(malformed.to_string())),
            },
            Endpoint::Revocation => endpoints::revocation::post(&self.op, &request, caller).await,
            Endpoint::Introspection => endpoints::introspection::post(&self.op, &request, caller).await,
            Endpoint::GrantConsumption => {
                endpoints::payment_grants::consume(&self.op, &request, caller).await
            }
            Endpoint::GrantReservation => {
                endpoints::payment_grants::reserve(&self.op, &request, caller).await
            }
            Endpoint::PaymentConsents => {
                let resource = endpoints::consents::Resource::DomesticPayment;
                Ok(endpoints::consents::handle(&self.op, &request, caller, resource, path).await)
            }
            Endpoint::AccountAccessConsents => {
                let resource = endpoints::consents::Resource::AccountAccess;
                Ok(endpoints::consents::handle(&self.op, &request, caller, resource, path).await)
            }
            Endpoint::Authorize => Ok(endpoints::authorize::get(&self.op, &request, caller).await),
            Endpoint::Login if request.method() == Method::POST => {
                Ok(endpoints::interaction::login_post(&self.op, &request, caller).await)
            }
            Endpoint::Login => Ok(endpoints::interaction::login_get(&self.op, &request, caller).await),
            Endpoint::Consent if request.method() == Method::POST => {
                Ok(endpoints::interaction::consent_post(&self.op, &request, caller).await)
            }
            Endpoint::Consent => Ok(endpoints::interaction::consent_get(&self.op, &request, caller).await),
            Endpoint::SecondFactor if request.method() == Method::POST => {
                Ok(endpoints::second_factor::post(&self.op, &request, caller).await)
            }
            Endpoint::SecondFactor => Ok(endpoints::second_factor::get(&self.op, &request, caller).await),
            Endpoint::InteractionReturn => {
                Ok(endpoints::interaction_return::get(&self.op, &request, caller).await)
            }
            Endpoint::UpstreamCallback => {
                Ok(endpoints::upstream_callback::get(&self.op, &request, caller).await)
            }
            Endpoint::InteractionApi(operation) => {
                Ok(endpoints::interaction_api::post(&self.op, &request, caller, operation).await)
            }
            Endpoint::SandboxCallback if self.op.config.get().server.sandbox_callback => {
                Ok(endpoints::sandbox_callback::get(&request))
            }
            Endpoint::SandboxCallback => Err(OAuthError::new(ErrorCode::NotFound, "no such endpoint")),
            Endpoint::Grants => Ok(endpoints::grants::handle(&self.op, &request, caller, path).await),
            Endpoint::Registration => endpoints::registration::post(&self.op, &request, caller).await,
            Endpoint::RegistrationClient => {
                let client_id = registration_client_id(path).unwrap_or_default();
                Ok(endpoints::registration::manage(&self.op, &request, caller, client_id).await)
            }
            Endpoint::BackchannelAuthentication => {
                endpoints::ciba::backchannel_authentication(&self.op, &request, caller).await
            }
            Endpoint::CibaDecision => Ok(endpoints::ciba::decision(&self.op, &request, caller).await),
            Endpoint::AccountConsents => {
                Ok(endpoints::account_consents::get(&self.op, &request, caller).await)
            }
            Endpoint::AccountRevoke => {
                Ok(endpoints::account_consents::revoke(&self.op, &request, caller).await)
            }
            Endpoint::AccountSignIn => Ok(endpoints::account_sign_in::post(&self.op, &request, caller).await),
            Endpoint::AccountSignInCode => {
                Ok(endpoints::account_sign_in::post_code(&self.op, &request, caller).await)
            }
            Endpoint::AccountSignOut => {
                Ok(endpoints::account_consents::sign_out(&self.op, &request, caller).await)
            }
            Endpoint::CustomerGrantsApi => {
                Ok(endpoints::customer_grants_api::handle(&self.op, &request, caller, path).await)
            }
        };
        let mut response = result.unwrap_or_else(|e| response::error(&e));
        if route.endpoint.checks_dpop_proofs()
            && let Some(nonce) = crate::oauth::sender::current_nonce(&self.op)
            && let Ok(value) = http::HeaderValue::from_str(&nonce)
        {
            response.headers_mut().insert("dpop-nonce", value);
        }
        response::labelled(response, route.label)
    }
}

impl Handler for Router {
    fn handle<'a>(&'a self, request: Request<Bytes>, context: &'a RequestContext) -> HandlerFuture<'a> {
        Box::pin(self.route(request, context))
    }

    /// 503 with `Retry-After` (RFC 9110 §15.6.4, §10.2.3) in the error
    /// format of the route the path names (a table lookup, nothing else);
    /// an unknown path gets the OAuth one.
    fn shed(&self, request: &http::request::Parts, interaction_id: &str) -> Response<Bytes> {
        let prefix = self.op.config.issuer_path();
        let path = request.uri.path().strip_prefix(prefix).unwrap_or("");
        match lookup(&request.method, path) {
            Lookup::Found(route) | Lookup::WrongMethod(route) => response::labelled(
                overloaded::response(route.endpoint.error_format(), interaction_id),
                route.label,
            ),
            Lookup::NotFound => overloaded::response(ErrorFormat::OAuth, interaction_id),
        }
    }
}

/// RFC 9110 §15.5.6: 405 with `Allow`.
fn method_not_allowed(route: &Route) -> Response<Bytes> {
    let mut response = response::error(&OAuthError::new(
        ErrorCode::MethodNotAllowed,
        "method not allowed on this endpoint",
    ));
    let allow = route
        .methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if let Ok(value) = http::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(http::header::ALLOW, value);
    }
    response::labelled(response, route.label)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Grant Management §6.3: `/grants/{grant_id}` takes GET and DELETE;
    /// the resource servers' `/grants/reserve` and `/grants/consume` keep
    /// their own routes, listed first.
    #[test]
    fn grant_paths_grant_management_s6_3() {
        let found = |method: &Method, path: &str| match lookup(method, path) {
            Lookup::Found(route) => Some(route.endpoint),
            _ => None,
        };
        assert_eq!(found(&Method::GET, "/grants/g-1"), Some(Endpoint::Grants));
        assert_eq!(found(&Method::DELETE, "/grants/g-1"), Some(Endpoint::Grants));
        assert!(matches!(
            lookup(&Method::PUT, "/grants/g-1"),
            Lookup::WrongMethod(_)
        ));
        assert_eq!(
            found(&Method::POST, "/grants/reserve"),
            Some(Endpoint::GrantReservation)
        );
        assert_eq!(
            found(&Method::POST, "/grants/consume"),
            Some(Endpoint::GrantConsumption)
        );
        assert!(matches!(lookup(&Method::GET, "/grants/"), Lookup::NotFound));
        assert!(matches!(lookup(&Method::GET, "/grants/a/b"), Lookup::NotFound));
    }

    #[test]
    fn registration_client_paths_rfc7592_s2() {
        assert_eq!(registration_client_id("/register/abc"), Some("abc"));
        assert_eq!(registration_client_id("/register/"), None);
        assert_eq!(registration_client_id("/register/a/b"), None);
        assert!(
            matches!(lookup(&Method::DELETE, "/register/abc"), Lookup::Found(r) if r.endpoint == Endpoint::RegistrationClient)
        );
        assert!(matches!(
            lookup(&Method::POST, "/register/abc"),
            Lookup::WrongMethod(_)
        ));
        assert!(
            matches!(lookup(&Method::POST, paths::REGISTRATION), Lookup::Found(r) if r.endpoint == Endpoint::Registration)
        );
    }

    /// A shed request (RFC 9110 §15.6.4) gets its endpoint's error format:
    /// a page for the browser, the interaction API's problem, the consent
    /// API's OBIE error, else OAuth (RFC 6749 §5.2).
    #[test]
    fn each_route_has_the_error_format_of_its_family() {
        let format = |method: Method, path: &str| match lookup(&method, path) {
            Lookup::Found(route) => route.endpoint.error_format(),
            _ => panic!("{path}"),
        };
        assert_eq!(format(Method::POST, paths::TOKEN), ErrorFormat::OAuth);
        assert_eq!(format(Method::GET, paths::DISCOVERY), ErrorFormat::OAuth);
        assert_eq!(format(Method::GET, paths::AUTHORIZE), ErrorFormat::Page);
        assert_eq!(format(Method::POST, paths::CONSENT), ErrorFormat::Page);
        assert_eq!(
            format(Method::POST, paths::INTERACTION_API_LOGIN),
            ErrorFormat::Problem
        );
        assert_eq!(format(Method::POST, paths::PAYMENT_CONSENTS), ErrorFormat::Obie);
    }

    #[test]
    fn table_has_unique_paths() {
        for (i, a) in ROUTES.iter().enumerate() {
            assert!(ROUTES[i + 1..].iter().all(|b| b.path != a.path), "{}", a.path);
        }
    }

    #[test]
    fn consent_ids_are_one_segment_of_the_item_routes() {
        let found = |method, path| match lookup(&method, path) {
            Lookup::Found(route) => Some(route.label),
            _ => None,
        };
        let item = "/open-banking/v3.1/pisp/domestic-payment-consents/pdc-abc";
        assert_eq!(found(Method::GET, item), Some("payment_consent"));
        assert_eq!(
            found(Method::POST, paths::PAYMENT_CONSENTS),
            Some("payment_consents")
        );
        assert!(matches!(lookup(&Method::DELETE, item), Lookup::WrongMethod(_)));
        for missing in [
            "/open-banking/v3.1/pisp/domestic-payment-consents/",
            "/open-banking/v3.1/pisp/domestic-payment-consents/a/b",
            "/open-banking/v3.1/pisp/other/pdc-abc",
        ] {
            assert_eq!(lookup(&Method::GET, missing), Lookup::NotFound, "{missing}");
        }
        let access = "/open-banking/v3.1/aisp/account-access-consents/aac-1";
        assert_eq!(found(Method::DELETE, access), Some("account_access_consent"));
    }

    #[test]
    fn lookup_distinguishes_404_and_405() {
        assert!(
            matches!(lookup(&Method::GET, paths::JWKS), Lookup::Found(r) if r.endpoint == Endpoint::Jwks)
        );
        assert!(matches!(
            lookup(&Method::GET, paths::TOKEN),
            Lookup::WrongMethod(_)
        ));
        assert_eq!(lookup(&Method::GET, "/nope"), Lookup::NotFound);
    }
}
