//! Web page sign-ins: a random session id in a `__Host-` cookie
//! (`Secure; HttpOnly; SameSite=Strict; Path=/`, RFC 6265bis §4.1.3.2,
//! §5.4.7), held in memory with the customer, the sign-in time (the
//! decision's `auth_time`) and the session's CSRF token (RFC 6749 §10.12,
//! synchronizer token). Bounded: the oldest sign-in goes when the table is
//! full; expired ones are never returned.

use super::customers::Customer;
use crate::login::csrf;
use crate::sandbox::bounded_sessions::make_room;
use std::collections::HashMap;
use std::sync::Mutex;

/// The session cookie.
pub const SESSION_COOKIE: &str = "__Host-fiducia-device";
/// The CSRF cookie of the sign-in form (double submit before a session exists).
pub const CSRF_COOKIE: &str = "__Host-fiducia-device-csrf";

/// A signed-in customer's session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who signed in.
    pub customer: Customer,
    /// When (unix seconds): `auth_time` of their decisions.
    pub signed_in_at: u64,
    /// The token every form of the session carries.
    pub csrf: String,
    expires_at: u64,
}

/// The sessions.
pub struct Sessions {
    ttl: u64,
    max: usize,
    sessions: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Sessions living `ttl` seconds, at most `max` at once.
    pub fn new(ttl: u64, max: usize) -> Self {
        Self {
            ttl,
            max,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds a session lives (the cookie's `Max-Age`).
    pub fn ttl(&self) -> u64 {
        self.ttl
    }

    /// A new session for `customer`; its id and CSRF token.
    pub fn open(&self, customer: Customer, now: u64) -> Option<(String, String)> {
        let id = csrf::new_token().ok()?;
        let token = csrf::new_token().ok()?;
        let mut sessions = self.sessions.lock().ok()?;
        make_room(&mut sessions, self.max, now, |s| s.expires_at, |s| s.signed_in_at);
        sessions.insert(
            id.clone(),
            Session {
                customer,
                signed_in_at: now,
                csrf: token.clone(),
                expires_at: now + self.ttl,
            },
        );
        Some((id, token))
    }

    /// The live session `id`.
    pub fn get(&self, id: &str, now: u64) -> Option<Session> {
        let sessions = self.sessions.lock().ok()?;
        sessions.get(id).filter(|s| s.expires_at > now).cloned()
    }

    /// Ends session `id`.
    pub fn close(&self, id: &str) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(id);
        }
    }
}

/// A `Set-Cookie` value for `name`: `__Host-` rules, `SameSite=Strict` (the
/// device's forms are only ever posted from its own pages).
pub fn cookie(name: &str, value: &str, max_age_secs: u64) -> String {
    format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Customer {
        Customer {
            username: "alice".into(),
            account_id: "acc-1".into(),
            name: "Alice".into(),
        }
    }

    #[test]
    fn sessions_expire_and_the_oldest_goes_when_full() {
        let sessions = Sessions::new(60, 2);
        let (a, token) = sessions.open(alice(), 100).unwrap();
        assert_eq!(sessions.get(&a, 159).unwrap().csrf, token);
        assert!(sessions.get(&a, 160).is_none());
        let (b, _) = sessions.open(alice(), 110).unwrap();
        let (c, _) = sessions.open(alice(), 120).unwrap();
        assert!(sessions.get(&a, 130).is_none(), "the oldest made room");
        assert!(sessions.get(&b, 130).is_some() && sessions.get(&c, 130).is_some());
        sessions.close(&b);
        assert!(sessions.get(&b, 130).is_none());
    }

    #[test]
    fn cookies_are_host_only_secure_http_only_strict() {
        let c = cookie(SESSION_COOKIE, "v", 900);
        assert!(c.starts_with("__Host-fiducia-device=v; Path=/; Secure; HttpOnly; SameSite=Strict"));
    }
}
