//! The two pages a flow's customer meets, found by the setup's `[browser]`
//! table (Fiducia's pages by default): the login form, filled with the
//! customer's credentials, and the consent form, approved. Each becomes the
//! request a browser makes when its button is pressed.

use super::forms::{Form, forms};
use super::redirects::Navigation;
use crate::http::Url;
use crate::setup::{BrowserConfig, FormSelector, User};
use crate::stats::Failure;

/// A page the browser landed on (200): its URL and its HTML.
pub struct Page {
    pub url: Url,
    pub html: String,
}

/// The login form of `page`, filled in for `user` and submitted.
pub fn login(
    step: &'static str,
    config: &BrowserConfig,
    page: &Page,
    user: &User,
) -> Result<Navigation, Failure> {
    let forms = forms(&page.html);
    let missing = |what: String| Failure::new(step, format!("unexpected: {what}"));
    let form = match &config.login_form {
        Some(selector) => select(&forms, selector)
            .ok_or_else(|| missing(format!("no form {} ([browser] login_form)", shown(selector))))?,
        None => login_form(config, &forms).ok_or_else(|| {
            missing(format!(
                "no form has a `{}` field ([browser] password_field)",
                config.password_field
            ))
        })?,
    };
    for (field, key) in [
        (&config.password_field, "password_field"),
        (&config.username_field, "username_field"),
    ] {
        if !form.has_field(field) {
            return Err(missing(format!(
                "the login form has no `{field}` field ([browser] {key})"
            )));
        }
    }
    check_csrf(step, config, form)?;
    let submitter = match &config.login_form {
        Some(FormSelector::Button(b)) => form.submit_button(&b.name, b.value.as_deref()),
        _ => form.default_button(),
    };
    let fill = [
        (config.username_field.as_str(), user.username.as_str()),
        (config.password_field.as_str(), user.password.as_str()),
    ];
    submit(step, page, form, form.entries(&fill, submitter))
}

/// Whether `page` still shows the login form (the credentials were refused).
pub fn is_login(config: &BrowserConfig, page: &Page) -> bool {
    let forms = forms(&page.html);
    match &config.login_form {
        Some(selector) => select(&forms, selector).is_some_and(|f| f.has_field(&config.password_field)),
        None => login_form(config, &forms).is_some(),
    }
}

/// The consent form of `page`, approved.
pub fn consent(step: &'static str, config: &BrowserConfig, page: &Page) -> Result<Navigation, Failure> {
    let forms = forms(&page.html);
    let approve = &config.approve_button;
    let with_button = |f: &&Form| f.submit_button(&approve.name, approve.value.as_deref()).is_some();
    let form = match &config.consent_form {
        Some(selector) => select(&forms, selector).ok_or_else(|| {
            Failure::new(
                step,
                format!("unexpected: no form {} ([browser] consent_form)", shown(selector)),
            )
        })?,
        None => forms.iter().find(with_button).ok_or_else(|| {
            Failure::new(
                step,
                format!("unexpected: no form has a `{approve}` button ([browser] approve_button)"),
            )
        })?,
    };
    let submitter = form
        .submit_button(&approve.name, approve.value.as_deref())
        .ok_or_else(|| {
            Failure::new(
                step,
                format!("unexpected: the consent form has no `{approve}` button ([browser] approve_button)"),
            )
        })?;
    check_csrf(step, config, form)?;
    submit(step, page, form, form.entries(&[], Some(submitter)))
}

fn login_form<'f>(config: &BrowserConfig, forms: &'f [Form]) -> Option<&'f Form> {
    forms.iter().find(|f| f.has_field(&config.password_field))
}

fn select<'f>(forms: &'f [Form], selector: &FormSelector) -> Option<&'f Form> {
    forms.iter().find(|f| match selector {
        FormSelector::Id(id) => f.id.as_deref() == Some(id.as_str()),
        FormSelector::Button(b) => f.submit_button(&b.name, b.value.as_deref()).is_some(),
    })
}

fn shown(selector: &FormSelector) -> String {
    match selector {
        FormSelector::Id(id) => format!("#{id}"),
        FormSelector::Button(b) => format!("with a `{b}` button"),
    }
}

/// `[browser] csrf_field`, when set: the form must carry it, not empty.
fn check_csrf(step: &'static str, config: &BrowserConfig, form: &Form) -> Result<(), Failure> {
    match &config.csrf_field {
        Some(name) if form.field(name).is_none_or(str::is_empty) => Err(Failure::new(
            step,
            format!("unexpected: no `{name}` field ([browser] csrf_field)"),
        )),
        _ => Ok(()),
    }
}

/// The request submitting `entries` to the form's action (the page's own
/// URL when it has none, HTML §4.10.21.3): a POST, or a GET whose query
/// is the entries.
fn submit(
    step: &'static str,
    page: &Page,
    form: &Form,
    entries: Vec<(String, String)>,
) -> Result<Navigation, Failure> {
    let action = match form.action.as_deref().map(str::trim) {
        None | Some("") => page.url.clone(),
        Some(action) => page
            .url
            .join(action)
            .map_err(|_| Failure::new(step, "unexpected: a form action that is not https"))?,
    };
    if form.post {
        return Ok(Navigation {
            url: action,
            form: Some(entries),
        });
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(entries)
        .finish();
    let path = action.path_only().to_string();
    Ok(Navigation::get(Url {
        path: format!("{path}?{query}"),
        ..action
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::Button;

    fn page(html: &str) -> Page {
        Page {
            url: Url::parse("https://op.test/u/login?rid=1").unwrap(),
            html: html.into(),
        }
    }

    fn user() -> User {
        User {
            username: "alice".into(),
            password: "pw".into(),
        }
    }

    const OTHER: &str = r#"<form id=search action=/search><input name=q><button>Go</button></form>
<form id=signin method=post action="login?rid=1&amp;s=2"><input type=hidden name=authenticity_token value=t>
<input name=user><input type=password name=pass><button name=commit value=go>Sign in</button></form>"#;

    #[test]
    fn the_login_form_is_the_one_with_the_password_field() {
        let config = BrowserConfig {
            username_field: "user".into(),
            password_field: "pass".into(),
            ..BrowserConfig::default()
        };
        let nav = login("login_page", &config, &page(OTHER), &user()).unwrap();
        assert_eq!(nav.url.path, "/u/login?rid=1&s=2");
        let form = nav.form.unwrap();
        let names: Vec<_> = form.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            names,
            ["authenticity_token=t", "user=alice", "pass=pw", "commit=go"]
        );
        assert!(is_login(&config, &page(OTHER)));
    }

    #[test]
    fn without_the_field_names_the_failure_names_the_missing_field() {
        let fail = login("login_page", &BrowserConfig::default(), &page(OTHER), &user()).unwrap_err();
        assert_eq!(
            fail.kind,
            "unexpected: no form has a `password` field ([browser] password_field)"
        );
        let config = BrowserConfig {
            password_field: "pass".into(),
            ..BrowserConfig::default()
        };
        let fail = login("login_page", &config, &page(OTHER), &user()).unwrap_err();
        assert_eq!(
            fail.kind,
            "unexpected: the login form has no `username` field ([browser] username_field)"
        );
        let config = BrowserConfig {
            username_field: "user".into(),
            password_field: "pass".into(),
            csrf_field: Some("csrf".into()),
            ..BrowserConfig::default()
        };
        let fail = login("login_page", &config, &page(OTHER), &user()).unwrap_err();
        assert_eq!(fail.kind, "unexpected: no `csrf` field ([browser] csrf_field)");
    }

    #[test]
    fn a_login_form_chosen_by_id_or_button() {
        let config = |selector: &str| BrowserConfig {
            username_field: "q".into(),
            password_field: "q".into(),
            login_form: Some(FormSelector::try_from(selector.to_string()).unwrap()),
            ..BrowserConfig::default()
        };
        // `#search` is a GET form: its entries become the query.
        let nav = login("login_page", &config("#search"), &page(OTHER), &user()).unwrap();
        assert_eq!((nav.url.path.as_str(), nav.form), ("/search?q=alice", None));
        let fail = login("login_page", &config("#nope"), &page(OTHER), &user()).unwrap_err();
        assert_eq!(fail.kind, "unexpected: no form #nope ([browser] login_form)");
        let fail = login("login_page", &config("commit=stop"), &page(OTHER), &user()).unwrap_err();
        assert_eq!(
            fail.kind,
            "unexpected: no form with a `commit=stop` button ([browser] login_form)"
        );
    }

    #[test]
    fn the_consent_form_is_approved_with_its_button() {
        let html = r#"<form method=post action=/consent/decide><input type=hidden name=t value=1>
<button name=action value=deny>No</button><button name="action" value="accept">Yes</button></form>"#;
        let config = BrowserConfig {
            approve_button: Button {
                name: "action".into(),
                value: Some("accept".into()),
            },
            ..BrowserConfig::default()
        };
        let nav = consent("consent_page", &config, &page(html)).unwrap();
        assert_eq!(nav.url.path, "/consent/decide");
        assert_eq!(
            nav.form.unwrap(),
            [("t", "1"), ("action", "accept")].map(|(k, v)| (k.to_string(), v.to_string()))
        );
        let fail = consent("consent_page", &BrowserConfig::default(), &page(html)).unwrap_err();
        assert_eq!(
            fail.kind,
            "unexpected: no form has a `decision=approve` button ([browser] approve_button)"
        );
    }

    #[test]
    fn fiducias_consent_form_by_default() {
        let html = r#"<form method="post" action="/consent/int-1">
<input type="hidden" name="csrf" value="abc">
<div class="actions"><button class="secondary" type="submit" name="decision" value="deny">Deny</button><button class="primary" type="submit" name="decision" value="approve">Approve</button></div></form>"#;
        let config = BrowserConfig {
            csrf_field: Some("csrf".into()),
            ..BrowserConfig::default()
        };
        let nav = consent("consent_page", &config, &page(html)).unwrap();
        assert_eq!(
            nav.form.unwrap(),
            [("csrf", "abc"), ("decision", "approve")].map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }
}
