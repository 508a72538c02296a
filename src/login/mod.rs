//! The built-in login and consent service's building blocks, free of HTTP
//! plumbing: the authorization endpoint's interaction code calls them with
//! plain values and gets HTML strings or typed results back.
//!
//! - Accounts: [`UserRecord`] in the store's `user` subspace, keyed by the
//!   normalized username, indexed by `account_id` (the `sub`); [`Users`]
//!   creates, authenticates (argon2id, [`PasswordHasher`], constant work for
//!   unknown users) and looks them up.
//! - Pages: [`login_page`], [`consent_page`], [`error_page`] (HTML5, no
//!   JavaScript), with the recommended response headers in [`headers`] and
//!   every value escaped by [`html`].
//! - Forms: [`LoginForm`] and [`ConsentForm`] from a
//!   [`Form`](crate::protocol::form::Form).
//! - CSRF: [`csrf`] tokens, bound both to the interaction record and to a
//!   cookie (RFC 6749 §10.12).
//! - Guessing: [`throttle`] counts failed logins per username, client
//!   address and interaction in the store and locks past a limit.
//! - Claims: what each scope releases ([`scoped_claims`], [`claim_lines`],
//!   OIDC Core §5.4), every standard claim and verified claim set a record
//!   answers a `claims` request from ([`standard_claims`],
//!   [`verified_sets`]), the consent page's identity section
//!   ([`identity_section`]) and what each scope means to a customer
//!   ([`scope_lines`]).
//!
//! A flow, as the caller is expected to run it:
//!
//! ```text
//! GET  login   token = csrf::new_token(); store it in the interaction; set cookie csrf::COOKIE_NAME
//!              -> login_page(LoginView { csrf_token: &token, .. })           headers::PAGE_HEADERS
//! POST login   f = LoginForm::parse(&form)?; csrf::check(stored, cookie, &f.csrf)?
//!              throttle.admit(&attempt, now)? -> Locked: 429 page, no hash
//!              users.authenticate(&f.username, &f.password, now)? -> Some(user) | None (page again,
//!              one message for both cases); throttle.succeeded | failed
//! GET  consent consent_page(ConsentView { scopes: &scope_lines(..), claims: &claim_lines(&user, ..), .. })
//!              Content-Security-Policy: headers::consent_content_security_policy(redirect_uri)
//! POST consent f = ConsentForm::parse(&form)?; csrf::check(..)?; match f.decision { Approve | Deny }
//! ```

pub mod account_pages;
pub mod claims;
pub mod csrf;
pub mod customers;
pub mod detail;
pub mod error;
pub mod forms;
pub mod headers;
pub mod html;
pub mod identity_section;
pub mod pages;
pub mod password;
pub mod scopes;
pub mod second_factor_page;
pub mod throttle;
pub mod upstream_link;
pub mod user;
#[cfg(test)]
mod user_schema_tests;
pub mod users;

pub use crate::protocol::credentials::normalize_username;
pub use claims::{claim_lines, scoped_claims, standard_claims, verified_sets};
pub use error::LoginError;
pub use forms::{ConsentForm, Decision, LoginForm};
pub use identity_section::{IdentityView, identity_section};
pub use pages::{ConsentView, DetailLine, LoginView, consent_page, error_page, login_page};
pub use password::PasswordHasher;
pub use scopes::{ScopeLine, describe_scope, scope_lines};
pub use second_factor_page::{SecondFactorView, second_factor_page};
pub use user::{NewUser, UserRecord};
pub use users::Users;
