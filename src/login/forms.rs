//! The two forms the pages post, parsed into types (STYLE.md §3). The body
//! is first a [`Form`], which already refuses repeated parameters (RFC 6749
//! §3.1) and drops empty values; these parsers pick the fields and bound
//! their size. Fields other than the ones named are ignored.

use super::error::LoginError;
use crate::protocol::credentials::MAX_PASSWORD_BYTES;
use crate::protocol::form::Form;

/// Longest username accepted from the form, in bytes.
pub const MAX_USERNAME_BYTES: usize = 1024;
/// Longest CSRF token accepted, in bytes (ours are 43).
pub const MAX_CSRF_BYTES: usize = 128;

/// The login form: fields `username`, `password`, `csrf`.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginForm {
    /// As entered; [`Users::authenticate`](super::Users::authenticate)
    /// normalizes it.
    pub username: String,
    /// As entered. Never logged (`Debug` hides it).
    pub password: String,
    /// The CSRF token from the hidden field.
    pub csrf: String,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl LoginForm {
    /// Takes the three fields from `form`; each is required.
    pub fn parse(form: &Form) -> Result<Self, LoginError> {
        Ok(Self {
            csrf: field(form, "csrf", MAX_CSRF_BYTES)?,
            username: field(form, "username", MAX_USERNAME_BYTES)?,
            password: field(form, "password", MAX_PASSWORD_BYTES)?,
        })
    }
}

/// What the customer chose on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// `decision=approve`: grant what was asked.
    Approve,
    /// `decision=deny`: the client gets `access_denied` (RFC 6749 §4.1.2.1).
    Deny,
}

impl Decision {
    /// The form value: `approve` or `deny`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Deny => "deny",
        }
    }
}

impl std::str::FromStr for Decision {
    type Err = LoginError;

    fn from_str(value: &str) -> Result<Self, LoginError> {
        match value {
            "approve" => Ok(Self::Approve),
            "deny" => Ok(Self::Deny),
            _ => Err(LoginError::InvalidDecision),
        }
    }
}

/// The consent form: fields `decision` (`approve` or `deny`) and `csrf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentForm {
    /// Approve or deny.
    pub decision: Decision,
    /// The CSRF token from the hidden field.
    pub csrf: String,
}

impl ConsentForm {
    /// Takes both fields from `form`; each is required.
    pub fn parse(form: &Form) -> Result<Self, LoginError> {
        Ok(Self {
            csrf: field(form, "csrf", MAX_CSRF_BYTES)?,
            decision: field_ref(form, "decision", 16)?.parse()?,
        })
    }
}

fn field(form: &Form, name: &'static str, max: usize) -> Result<String, LoginError> {
    field_ref(form, name, max).map(str::to_owned)
}

fn field_ref<'f>(form: &'f Form, name: &'static str, max: usize) -> Result<&'f str, LoginError> {
    let value = form.get(name).ok_or(LoginError::MissingField(name))?;
    if value.len() > max {
        return Err(LoginError::FieldTooLong(name));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> Form {
        Form::parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn login_form_takes_its_three_fields() {
        let f = LoginForm::parse(&form("username=Alice&password=p%26ss+word&csrf=tok&extra=1")).unwrap();
        assert_eq!(f.username, "Alice");
        assert_eq!(f.password, "p&ss word");
        assert_eq!(f.csrf, "tok");
        assert!(!format!("{f:?}").contains("p&ss"));
    }

    #[test]
    fn login_form_missing_or_empty_fields_rfc6749_s3_1() {
        assert!(matches!(
            LoginForm::parse(&form("username=a&csrf=t")),
            Err(LoginError::MissingField("password"))
        ));
        assert!(matches!(
            LoginForm::parse(&form("username=&password=p&csrf=t")),
            Err(LoginError::MissingField("username"))
        ));
        assert!(matches!(
            LoginForm::parse(&form("username=a&password=p")),
            Err(LoginError::MissingField("csrf"))
        ));
    }

    #[test]
    fn repeated_fields_never_reach_the_parser_rfc6749_s3_1() {
        assert!(Form::parse(b"username=a&username=b&password=p&csrf=t").is_err());
        assert!(Form::parse(b"decision=deny&decision=approve&csrf=t").is_err());
    }

    #[test]
    fn oversized_password_is_refused() {
        let body = format!(
            "username=a&csrf=t&password={}",
            "x".repeat(MAX_PASSWORD_BYTES + 1)
        );
        assert!(matches!(
            LoginForm::parse(&form(&body)),
            Err(LoginError::FieldTooLong("password"))
        ));
    }

    #[test]
    fn consent_decision_is_approve_or_deny() {
        let approve = ConsentForm::parse(&form("decision=approve&csrf=t")).unwrap();
        assert_eq!(approve.decision, Decision::Approve);
        let deny = ConsentForm::parse(&form("csrf=t&decision=deny")).unwrap();
        assert_eq!(deny.decision, Decision::Deny);
        assert_eq!(deny.decision.as_str(), "deny");
        assert!(matches!(
            ConsentForm::parse(&form("decision=APPROVE&csrf=t")),
            Err(LoginError::InvalidDecision)
        ));
        assert!(matches!(
            ConsentForm::parse(&form("csrf=t")),
            Err(LoginError::MissingField("decision"))
        ));
        assert!(matches!(
            ConsentForm::parse(&form("decision=approve")),
            Err(LoginError::MissingField("csrf"))
        ));
    }
}
