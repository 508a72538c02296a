//! Unit tests of the poll state machine (CIBA Core §10.1, §11).

use super::*;

const T0: u64 = 1_800_000_000;

fn pending() -> PollState {
    PollState {
        status: CibaStatus::Pending,
        expires_at: T0 + 120,
        interval: 5,
        last_polled_at: None,
    }
}

fn authentication() -> DeviceAuthentication {
    DeviceAuthentication {
        acr: Some("urn:openbanking:psd2:sca".into()),
        amr: vec!["pwd".into(), "hwk".into()],
        auth_time: T0 + 30,
    }
}

fn code(verdict: &PollVerdict) -> ErrorCode {
    match verdict {
        PollVerdict::Refuse(refusal) => OAuthError::from(*refusal).code,
        PollVerdict::Issue(_) => panic!("tokens issued"),
    }
}

/// CIBA Core §11: a pending request answers `authorization_pending`, and
/// the poll is remembered.
#[test]
fn pending_answers_authorization_pending_ciba_core_s11() {
    let (verdict, after) = poll(&pending(), DeliveryMode::Poll, T0);
    assert_eq!(code(&verdict), ErrorCode::AuthorizationPending);
    assert_eq!(after.last_polled_at, Some(T0));
    assert_eq!(after.interval, 5);
    // Waiting the whole interval is not too fast.
    let (verdict, after) = poll(&after, DeliveryMode::Poll, T0 + 5);
    assert_eq!(verdict, PollVerdict::Refuse(PollRefusal::Pending));
    assert_eq!((after.interval, after.last_polled_at), (5, Some(T0 + 5)));
}

/// CIBA Core §11: polled within the interval, `slow_down`; the interval is
/// raised by 5 s for this and all later polls, and raised again if the
/// client keeps hurrying.
#[test]
fn slow_down_raises_the_interval_by_5s_and_keeps_it_ciba_core_s11() {
    let (_, first) = poll(&pending(), DeliveryMode::Poll, T0);
    let (verdict, slowed) = poll(&first, DeliveryMode::Poll, T0 + 4);
    assert_eq!(code(&verdict), ErrorCode::SlowDown);
    assert_eq!((slowed.interval, slowed.last_polled_at), (10, Some(T0 + 4)));
    // 9 s later is still within the raised 10 s interval: slower again.
    let (verdict, slower) = poll(&slowed, DeliveryMode::Poll, T0 + 13);
    assert_eq!(verdict, PollVerdict::Refuse(PollRefusal::SlowDown));
    assert_eq!(slower.interval, 15);
    // Waiting the raised interval: pending, and the interval stays raised.
    let (verdict, calm) = poll(&slower, DeliveryMode::Poll, T0 + 28);
    assert_eq!(verdict, PollVerdict::Refuse(PollRefusal::Pending));
    assert_eq!(calm.interval, 15);
    let (_, later) = poll(&calm, DeliveryMode::Ping, T0 + 43);
    assert_eq!(later.interval, 15);
}

/// CIBA Core §11: expired at `expires_at` exactly, pending one second before.
#[test]
fn expiry_at_the_boundary_ciba_core_s11() {
    let state = pending();
    let (verdict, _) = poll(&state, DeliveryMode::Poll, T0 + 119);
    assert_eq!(code(&verdict), ErrorCode::AuthorizationPending);
    let (verdict, after) = poll(&state, DeliveryMode::Poll, T0 + 120);
    assert_eq!(code(&verdict), ErrorCode::ExpiredToken);
    assert_eq!(after, state, "an expired poll changes nothing");
    // An approval that comes too late is never redeemed.
    let late = PollState {
        status: CibaStatus::Approved(authentication()),
        ..pending()
    };
    let (verdict, _) = poll(&late, DeliveryMode::Poll, T0 + 120);
    assert_eq!(verdict, PollVerdict::Refuse(PollRefusal::Expired));
}

/// CIBA Core §11: a denial is `access_denied` (400 at the token endpoint,
/// RFC 6749 §5.2), whatever the pace.
#[test]
fn denied_answers_access_denied_ciba_core_s11() {
    let denied = PollState {
        status: CibaStatus::Denied,
        last_polled_at: Some(T0),
        ..pending()
    };
    let (verdict, _) = poll(&denied, DeliveryMode::Poll, T0 + 1);
    assert_eq!(code(&verdict), ErrorCode::AccessDeniedAtToken);
    assert_eq!(OAuthError::from(PollRefusal::Denied).code.row().status, 400);
}

/// CIBA Core §10.1 / RFC 6749 §5.2: an approval is redeemed once; the
/// second redemption is `invalid_grant`, also after expiry.
#[test]
fn approved_issues_once_then_invalid_grant_ciba_core_s10_1() {
    let approved = PollState {
        status: CibaStatus::Approved(authentication()),
        last_polled_at: Some(T0 + 20),
        ..pending()
    };
    // Decided requests are not slowed down (§11: slow_down is a pending answer).
    let (verdict, after) = poll(&approved, DeliveryMode::Ping, T0 + 21);
    assert_eq!(verdict, PollVerdict::Issue(authentication()));
    assert_eq!(after.status, CibaStatus::Redeemed);
    let (verdict, again) = poll(&after, DeliveryMode::Ping, T0 + 40);
    assert_eq!(code(&verdict), ErrorCode::InvalidGrant);
    assert_eq!(again, after);
    let (verdict, _) = poll(&after, DeliveryMode::Ping, T0 + 500);
    assert_eq!(code(&verdict), ErrorCode::InvalidGrant);
}

/// CIBA Core §10.3: a push client does not redeem at the token endpoint.
#[test]
fn push_clients_do_not_poll_ciba_core_s10_3() {
    let approved = PollState {
        status: CibaStatus::Approved(authentication()),
        ..pending()
    };
    let (verdict, after) = poll(&approved, DeliveryMode::Push, T0);
    assert_eq!(code(&verdict), ErrorCode::UnauthorizedClient);
    assert_eq!(after, approved);
}
