//! A second Fiducia as the bank's upstream OpenID Provider: the customer
//! signs in there (its built-in password page and consent), the
//! downstream redeems the code with `private_key_jwt` signed by its own HSM
//! key (the upstream fetched the downstream's `jwks_uri`), validates the
//! ID token, links the customer by (issuer, `sub`), and shows its own
//! consent; the client's tokens name the linked customer, with the mapped
//! claims. Then the `state` and browser rules of the callback: another
//! browser (RFC 6749 §10.12), a forged and a replayed `state` (single use).

use super::super::super::support::{assert_status, get};
use super::super::harness::*;
use super::super::verify_id_token;
use super::*;

/// From the downstream `/authorize` to the callback URL the upstream sends
/// the browser to: the upstream's login (alice) and consent. `down` and
/// `up` are the browser's cookies at each host.
async fn sign_in_upstream(pair: &Pair, down: &mut Browser, up: &mut Browser, authorize: &str) -> String {
    let response = down.get(&pair.down, authorize).await;
    assert_status(&response, 303);
    let sent = location(&response);
    // RFC 9126: the upstream offers PAR, so only client_id and request_uri travel.
    assert!(sent.starts_with(&format!("{}/authorize?", pair.issuer)), "{sent}");
    assert_eq!(query_param(&sent, "client_id").as_deref(), Some(AT_UPSTREAM));
    assert!(
        query_param(&sent, "request_uri").is_some() && query_param(&sent, "nonce").is_none(),
        "{sent}"
    );
    let back = up
        .authorize_at(&pair.up, &path_of(&sent, &pair.issuer), true)
        .await;
    assert!(back.starts_with(&callback()), "{back}");
    // RFC 9207 §2: the upstream names itself.
    assert_eq!(query_param(&back, "iss").as_deref(), Some(pair.issuer.as_str()));
    back
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_delegated_to_a_second_fiducia_ends_in_tokens_for_the_linked_customer() {
    let pair = pair("").await;
    let (authorize, verifier) = push(&pair.down, "openid profile email", &[]).await;
    let (mut down, mut up) = (Browser::new(), Browser::new());
    let back = sign_in_upstream(&pair, &mut down, &mut up, &authorize).await;

    // The callback reports the login and shows Fiducia's own consent page.
    let response = down.get(&pair.down, &path_of(&back, ISSUER)).await;
    assert_status(&response, 303);
    let consent = location(&response);
    assert!(consent.contains("/consent?ix="), "{consent}");
    assert!(
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("__Host-fiducia-interaction=;")),
        "the binding cookie is cleared once used"
    );
    // The downstream's password page is no way around the upstream: the
    // linked customer's password (a seeded one) is not asked for here.
    let login = consent.replace("/consent?", "/login?");
    assert_status(&down.get(&pair.down, &login).await, 400);
    let page = down.get(&pair.down, &consent).await;
    assert_status(&page, 200);
    let html = text(&page);
    assert!(html.contains("Upstream Fintech"), "{html}");
    let csrf = hidden_field(&html, "csrf");
    let link = fiducia::login::upstream_link::link_username(&pair.issuer, "acc-alice-1");
    let password = [
        ("username", link.as_str()),
        ("password", "linked-password-1"),
        ("csrf", &csrf),
    ];
    let refused = down.post(&pair.down, &login, &password).await;
    assert_status(&refused, 400);
    assert!(refused.headers().get("location").is_none());
    let response = down
        .post(&pair.down, &consent, &[("decision", "approve"), ("csrf", &csrf)])
        .await;
    assert_status(&response, 303);
    let redirect = location(&response);
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("st-up"));
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));

    let dpop = DpopKey::new();
    let authorized = Authorized {
        code,
        verifier,
        redirect,
    };
    let response = token_request_for(&pair.down, RP_CLIENT, &authorized, Some(&dpop)).await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    let claims = verify_id_token(&pair.down, tokens["id_token"].as_str().unwrap()).await;
    // The linked customer, not the upstream's `sub`.
    assert_eq!(claims["sub"], LINKED_ACCOUNT);
    assert_eq!(claims["nonce"], "n-up");
    // acr_map: the upstream's `acr` (its password login's) mapped.
    assert_eq!(claims["acr"], "urn:openbanking:psd2:ca");
    // The mapped claims (`name`, `email`) came from the upstream's alice.
    let info = userinfo_dpop(&pair.down, tokens["access_token"].as_str().unwrap(), &dpop).await;
    assert_status(&info, 200);
    let info = json(info.body());
    assert_eq!(info["sub"], LINKED_ACCOUNT);
    assert_eq!(info["name"], "Alice Liddell");
    assert_eq!(info["email"], "alice@example.com");
    // Counted (the recorder is the process's: other tests count too).
    assert!(metric(&pair.down, "fiducia_upstream_logins_total", "authenticated").await >= 1.0);
}

/// RFC 9449 §8: an upstream that requires DPoP nonces at its token
/// endpoint answers `use_dpop_nonce` with one; the downstream proves again
/// with it and the login goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_requires_dpop_nonces_is_answered_with_one() {
    let pair = pair_with("", &[("FIDUCIA_TOKENS__DPOP_NONCE", "true")]).await;
    let (authorize, _) = push(&pair.down, "openid", &[]).await;
    let (mut down, mut up) = (Browser::new(), Browser::new());
    let back = sign_in_upstream(&pair, &mut down, &mut up, &authorize).await;
    let response = down.get(&pair.down, &path_of(&back, ISSUER)).await;
    assert_status(&response, 303);
    assert!(
        location(&response).contains("/consent?ix="),
        "{}",
        text(&response)
    );
}

/// RFC 6749 §10.12: the callback belongs to the browser that started the
/// login (its `__Host-` cookie); another browser is refused without using
/// the `state`; a forged `state` names nothing; a used one is used
/// (single use), whatever cookie comes with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callback_is_single_use_and_bound_to_the_browser() {
    let pair = pair("").await;
    let (authorize, _) = push(&pair.down, "openid", &[]).await;
    let (mut down, mut up) = (Browser::new(), Browser::new());
    let back = sign_in_upstream(&pair, &mut down, &mut up, &authorize).await;
    let path = path_of(&back, ISSUER);

    // Another browser: no cookie, or a cookie of its own.
    for cookie in [None, Some("__Host-fiducia-interaction=not-this-browsers")] {
        let mut request = get(&path);
        if let Some(cookie) = cookie {
            request = with_header(request, "cookie", cookie);
        }
        let response = pair.down.send(false, request).await;
        assert_status(&response, 403);
        assert!(response.headers().get("location").is_none());
        assert!(
            text(&response).contains("did not start this sign-in"),
            "{}",
            text(&response)
        );
    }

    // A forged state.
    let state = query_param(&back, "state").unwrap();
    let forged = path.replace(&state, "forged-state-value-with-43-characters-000000");
    let response = down.get(&pair.down, &forged).await;
    assert_status(&response, 400);
    assert!(response.headers().get("location").is_none());
    assert!(
        text(&response).contains("expired or does not exist"),
        "{}",
        text(&response)
    );

    // The browser that started it goes on to the consent.
    let cookie = down_cookie(&mut down, &pair.down, &path).await;
    // Replayed with the same cookie: the state was used.
    let replay = pair
        .down
        .send(false, with_header(get(&path), "cookie", &cookie))
        .await;
    assert_status(&replay, 400);
    assert!(replay.headers().get("location").is_none());
    assert!(text(&replay).contains("already been used"), "{}", text(&replay));
}

/// Follows the callback `path` in `browser` (303 to the consent page) and
/// answers the binding cookie it sent.
async fn down_cookie(browser: &mut Browser, down: &Op, path: &str) -> String {
    let cookie = browser
        .cookie("__Host-fiducia-interaction")
        .expect("the binding cookie");
    let response = browser.get(down, path).await;
    assert_status(&response, 303);
    assert!(location(&response).contains("/consent?ix="));
    format!("__Host-fiducia-interaction={cookie}")
}
