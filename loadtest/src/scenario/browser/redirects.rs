//! Following redirects as a browser does: RFC 9110 §15.4's status codes
//! and what each does to the method, a relative `Location` resolved against
//! the request's URL (§10.2.2, RFC 3986 §5.2), and the one target never
//! followed: the client's `redirect_uri`, where the authorization response
//! is read instead (RFC 6749 §4.1.2).

use crate::http::Url;

/// Redirects followed from one request at most (a loop ends here).
pub const MAX_REDIRECTS: usize = 20;

/// A request the browser makes: a GET, or the POST of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Navigation {
    pub url: Url,
    /// `Some`: POST these pairs (`application/x-www-form-urlencoded`).
    pub form: Option<Vec<(String, String)>>,
}

impl Navigation {
    pub fn get(url: Url) -> Self {
        Self { url, form: None }
    }
}

/// RFC 9110 §15.4: the statuses a browser follows.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The request after a `status` redirect of `request` to `to`: 307 and 308
/// keep the method and body (§15.4.8, §15.4.9); 303 is a GET (§15.4.4);
/// 301 and 302 after a POST become a GET too, as browsers do and §15.4.2
/// and §15.4.3 allow.
pub fn next(status: u16, request: Navigation, to: Url) -> Navigation {
    match status {
        307 | 308 => Navigation {
            url: to,
            form: request.form,
        },
        _ => Navigation::get(to),
    }
}

/// The client's redirection endpoint, as registered.
#[derive(Debug, Clone)]
pub struct RedirectUri {
    /// Without its query.
    raw: String,
    /// Parsed, when it is an https URL.
    url: Option<Url>,
}

impl RedirectUri {
    pub fn new(redirect_uri: &str) -> Self {
        let raw = redirect_uri.split(['?', '#']).next().unwrap_or_default();
        Self {
            raw: raw.to_string(),
            url: Url::parse(raw).ok(),
        }
    }

    /// Whether `url` is this endpoint (any query): the same origin, host
    /// compared without case (RFC 3986 §6.2.2.1), and the same path.
    fn is(&self, url: &Url) -> bool {
        self.url.as_ref().is_some_and(|r| {
            r.authority.eq_ignore_ascii_case(&url.authority) && r.path_only() == url.path_only()
        })
    }
}

/// Where a redirect goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// The client's redirect_uri: the authorization response's parameters
    /// (from the query, RFC 6749 §4.1.2), never followed.
    Back(Vec<(String, String)>),
    /// Anywhere else: the next request's URL.
    Follow(Url),
}

/// Where `location`, answered to a request for `base`, goes.
pub fn target(base: &Url, location: &str, redirect_uri: &RedirectUri) -> anyhow::Result<Target> {
    let location = location.trim();
    let without_fragment = location.split_once('#').map_or(location, |(l, _)| l);
    let (before_query, query) = without_fragment.split_once('?').unwrap_or((without_fragment, ""));
    // Compared as written first: a redirect_uri need not be https, nor
    // resolvable by a browser that only speaks https.
    if before_query == redirect_uri.raw {
        return Ok(Target::Back(pairs(query)));
    }
    let url = base.join(location)?;
    if redirect_uri.is(&url) {
        let query = url.path.split_once('?').map_or("", |(_, q)| q);
        return Ok(Target::Back(pairs(query)));
    }
    Ok(Target::Follow(url))
}

fn pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn rfc9110_15_4_303_and_post_after_301_302_become_get_307_308_keep_the_body() {
        let post = Navigation {
            url: url("https://op.test/login"),
            form: Some(vec![("a".into(), "1".into())]),
        };
        let to = url("https://op.test/next");
        for status in [301, 302, 303] {
            assert_eq!(
                next(status, post.clone(), to.clone()),
                Navigation::get(to.clone())
            );
        }
        for status in [307, 308] {
            assert_eq!(next(status, post.clone(), to.clone()).form, post.form);
        }
        assert!([301, 302, 303, 307, 308].into_iter().all(is_redirect));
        assert!(![200, 300, 304, 305, 306, 400].into_iter().any(is_redirect));
    }

    #[test]
    fn rfc9110_10_2_2_a_relative_location_resolves_against_the_request() {
        let base = url("https://login.op.test:8443/u/start?rid=1");
        let cb = RedirectUri::new("https://fintech.example/cb");
        assert_eq!(
            target(&base, "login?rid=1", &cb).unwrap(),
            Target::Follow(url("https://login.op.test:8443/u/login?rid=1"))
        );
        assert_eq!(
            target(&base, "//op.test:8443/consent", &cb).unwrap(),
            Target::Follow(url("https://op.test:8443/consent"))
        );
        assert!(target(&base, "http://op.test/x", &cb).is_err(), "https only");
    }

    #[test]
    fn rfc6749_4_1_2_the_redirect_uri_is_read_not_followed() {
        let base = url("https://op.test/consent");
        let cb = RedirectUri::new("https://fintech.example/cb");
        let back = |l: &str| match target(&base, l, &cb).unwrap() {
            Target::Back(p) => p,
            Target::Follow(u) => panic!("{l} followed to {u:?}"),
        };
        assert_eq!(
            back("https://fintech.example/cb?code=c%2B1&state=s#x"),
            [("code", "c+1"), ("state", "s")].map(|(k, v)| (k.to_string(), v.to_string()))
        );
        // The same endpoint written otherwise: explicit port, host case.
        assert_eq!(
            back("https://FINTECH.example:443/cb?error=access_denied").len(),
            1
        );
        assert_eq!(back("https://fintech.example/cb").len(), 0);
        assert!(matches!(
            target(&base, "https://fintech.example/cb2?code=c", &cb),
            Ok(Target::Follow(_))
        ));
        // A redirect_uri that is not https is still recognised as written.
        let app = RedirectUri::new("com.bank.app:/cb");
        assert!(matches!(
            target(&base, "com.bank.app:/cb?code=c", &app),
            Ok(Target::Back(_))
        ));
    }
}
