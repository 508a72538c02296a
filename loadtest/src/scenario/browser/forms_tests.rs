use super::*;

/// Fiducia's login page (`src/login/pages.rs`), abridged.
const FIDUCIA_LOGIN: &str = r#"<!doctype html><html><head><style>form{a:b}</style></head><body>
<form method="post" action="/login/int-1?x=1&amp;y=2">
<input type="hidden" name="csrf" value="abc">
<label for="username">Username</label>
<input id="username" name="username" type="text" value="" autocomplete="username" required>
<input id="password" name="password" type="password" required autofocus>
<div class="actions"><button class="primary" type="submit">Sign in</button></div>
</form></body></html>"#;

#[test]
fn fiducias_login_form_is_read() {
    let forms = forms(FIDUCIA_LOGIN);
    assert_eq!(forms.len(), 1);
    let form = &forms[0];
    assert!(form.post);
    assert_eq!(form.action.as_deref(), Some("/login/int-1?x=1&y=2"));
    assert!(form.has_field("username") && form.has_field("password"));
    assert_eq!(form.field("csrf"), Some("abc"));
    let button = form.default_button();
    assert_eq!(
        form.entries(&[("username", "alice"), ("password", "pw")], button),
        [("csrf", "abc"), ("username", "alice"), ("password", "pw")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
    );
}

#[test]
fn attributes_in_any_order_quote_and_case() {
    let html = r#"<FORM ID=signin Method='POST' action = '/u/login?rid=7&amp;s=a%20b' >
<INPUT Value='tok&#39;en&#x26;1' TYPE=hidden name=authenticity_token />
<input name=user><input type=password name="pass" value=""/>
<input type="submit" name="commit" value="Sign in">
</FORM>"#;
    let forms = forms(html);
    let form = &forms[0];
    assert_eq!(form.id.as_deref(), Some("signin"));
    assert!(form.post);
    assert_eq!(form.action.as_deref(), Some("/u/login?rid=7&s=a%20b"));
    assert_eq!(form.field("authenticity_token"), Some("tok'en&1"));
    let commit = form.submit_button("commit", Some("Sign in"));
    assert!(commit.is_some());
    assert_eq!(
        form.entries(&[("user", "bob"), ("pass", "p")], commit),
        [
            ("authenticity_token", "tok'en&1"),
            ("user", "bob"),
            ("pass", "p"),
            ("commit", "Sign in")
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
}

#[test]
fn only_the_submitter_button_and_checked_choices_are_submitted() {
    let html = r#"<form method=post><input type=hidden name=t value=1>
<input type=radio name=account value=a1 checked><input type=radio name=account value=a2>
<input type=checkbox name=remember><input type=checkbox name=terms checked>
<input type=text name=off value=x disabled><input type=reset name=r value=r>
<button name="action" value="deny">Deny</button>
<button name="action" value="accept" class="primary">Accept</button>
<button type=button name=help value=1>?</button></form>"#;
    let forms = forms(html);
    let form = &forms[0];
    let accept = form.submit_button("action", Some("accept"));
    assert_eq!(accept, Some(8));
    assert_eq!(form.default_button(), Some(7));
    assert_eq!(
        form.submit_button("help", None),
        None,
        "type=button submits nothing"
    );
    assert_eq!(
        form.entries(&[], accept),
        [
            ("t", "1"),
            ("account", "a1"),
            ("terms", "on"),
            ("action", "accept")
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
}

#[test]
fn several_forms_comments_and_scripts() {
    let html = r#"<form id=search action=/search><input name=q></form>
<!-- <form id=ghost><input type=password name=password></form> -->
<script>var s = "<form id=fake><input name=password>";</script>
<form id=login method=post><input type=password name=password>
<form id=nested><input name=inner></form>
<input name=after>"#;
    let forms = forms(html);
    let ids: Vec<_> = forms.iter().map(|f| f.id.as_deref()).collect();
    assert_eq!(ids, [Some("search"), Some("login")]);
    assert!(!forms[0].post);
    // A nested form start is ignored (HTML §13.2.6.4.7): its controls are the open form's.
    assert!(forms[1].has_field("inner"));
    assert!(!forms[1].has_field("after"), "after </form>, outside every form");
}

#[test]
fn broken_markup_ends_cleanly() {
    for html in [
        "<form",
        "<form action=\"/x",
        "<form><input name='a",
        "<form><input name=a value=",
        "<<<>>> < / > <1a> <form><input name=é value=&#xD800;>",
        "<script>never closed <form>",
        "<!-- never closed <form>",
        "&amp;&#;&#x;&#99999999;&unknown;",
    ] {
        let _ = forms(html);
    }
    assert_eq!(decode("a&amp;b&lt;&#65;&#x42;&#0;&nope;&"), "a&b<AB&#0;&nope;&");
    let form = &forms("<form><input name=é value='ü&amp;'></form>")[0];
    assert_eq!(form.field("é"), Some("ü&"));
}

/// Pseudo-random pages from fragments that matter to the scanner (tags cut
/// short, quotes unclosed, references broken, multi-byte characters next
/// to delimiters): reading and submitting their forms never panics.
#[test]
fn arbitrary_markup_never_panics() {
    const PARTS: [&str; 24] = [
        "<form",
        "</form>",
        "<input",
        "<button",
        ">",
        "/>",
        " name=",
        " value=",
        "\"",
        "'",
        "=",
        "&amp;",
        "&#x",
        ";",
        "<!--",
        "-->",
        "<script>",
        "</script",
        "é",
        "ü€",
        " type=hidden",
        " checked",
        "<",
        "a",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..5000 {
        let mut page = String::new();
        for _ in 0..(next(&mut seed) % 40) {
            page.push_str(PARTS[(next(&mut seed) % PARTS.len() as u64) as usize]);
        }
        for form in forms(&page) {
            let _ = form.entries(&[("a", "b")], form.default_button());
        }
    }
}

/// xorshift64: the next pseudo-random number.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}
