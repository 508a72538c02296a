//! Sign-ins in progress: one per interaction the browser brought, under a
//! random id in a `__Host-` cookie (`Secure; HttpOnly; SameSite=Strict;
//! Path=/`, RFC 6265bis §4.1.3.2, §5.4.7: the forms are posted only from
//! the app's own pages), held in memory with the interaction id, the
//! sign-in's CSRF token (RFC 6749 §10.12, synchronizer token), what the
//! interaction asks, and how far the customer got. Bounded: the oldest goes
//! when the table is full; expired ones are never returned.

use super::customers::SignedIn;
use super::op_api::Asked;
use crate::login::csrf;
use crate::sandbox::bounded_sessions::make_room;
use std::collections::HashMap;
use std::sync::Mutex;

/// The cookie.
pub const SESSION_COOKIE: &str = "__Host-sandbox-login";

/// How far the customer got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The password is awaited.
    Password,
    /// The password was right at `password_at`; the code is awaited.
    Code(SignedIn, u64),
    /// The login was reported; the consent is awaited.
    Consent(SignedIn),
}

/// A sign-in in progress.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The OP's interaction (a bearer secret: never shown, never logged).
    pub interaction_id: String,
    /// The token every form carries.
    pub csrf: String,
    /// What the interaction asks (read when the browser arrived).
    pub asked: Asked,
    /// How far the customer got.
    pub step: Step,
    /// Wrong passwords and codes so far.
    pub failures: u32,
    started: u64,
    expires_at: u64,
}

/// The sign-ins.
pub struct Sessions {
    ttl: u64,
    max: usize,
    sessions: Mutex<HashMap<String, SignIn>>,
}

impl Sessions {
    /// Sign-ins living `ttl` seconds, at most `max` at once.
    pub fn new(ttl: u64, max: usize) -> Self {
        Self {
            ttl,
            max,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds a sign-in lives (the cookie's `Max-Age`).
    pub fn ttl(&self) -> u64 {
        self.ttl
    }

    /// A new sign-in for `interaction_id`; its id and CSRF token.
    pub fn open(&self, interaction_id: &str, asked: Asked, now: u64) -> Option<(String, String)> {
        let id = csrf::new_token().ok()?;
        let token = csrf::new_token().ok()?;
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        make_room(&mut sessions, self.max, now, |s| s.expires_at, |s| s.started);
        sessions.insert(
            id.clone(),
            SignIn {
                interaction_id: interaction_id.to_string(),
                csrf: token.clone(),
                asked,
                step: Step::Password,
                failures: 0,
                started: now,
                expires_at: now.saturating_add(self.ttl),
            },
        );
        Some((id, token))
    }

    /// The live sign-in `id`.
    pub fn get(&self, id: &str, now: u64) -> Option<SignIn> {
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.get(id).filter(|s| s.expires_at > now).cloned()
    }

    /// Moves sign-in `id` to `step`.
    pub fn advance(&self, id: &str, step: Step) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = sessions.get_mut(id) {
            s.step = step;
        }
    }

    /// Counts a wrong password or code; the count now.
    pub fn fail(&self, id: &str) -> u32 {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.get_mut(id).map_or(u32::MAX, |s| {
            s.failures = s.failures.saturating_add(1);
            s.failures
        })
    }

    /// Ends sign-in `id`.
    pub fn close(&self, id: &str) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.remove(id);
    }
}

/// A `Set-Cookie` value for the sign-in cookie.
pub fn cookie(value: &str, max_age_secs: u64) -> String {
    format!("{SESSION_COOKIE}={value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_ins_expire_and_the_oldest_goes_when_full() {
        let sessions = Sessions::new(60, 2);
        let (a, token) = sessions.open("ix-a", Asked::default(), 100).unwrap();
        let got = sessions.get(&a, 159).unwrap();
        assert_eq!(
            (got.csrf.as_str(), got.interaction_id.as_str()),
            (token.as_str(), "ix-a")
        );
        assert!(sessions.get(&a, 160).is_none());
        let (b, _) = sessions.open("ix-b", Asked::default(), 110).unwrap();
        let (c, _) = sessions.open("ix-c", Asked::default(), 120).unwrap();
        assert!(sessions.get(&a, 130).is_none(), "the oldest made room");
        assert_eq!(sessions.fail(&b), 1);
        assert_eq!(sessions.fail(&b), 2);
        sessions.close(&b);
        assert!(sessions.get(&b, 130).is_none() && sessions.get(&c, 130).is_some());
        assert!(
            cookie("v", 600).starts_with("__Host-sandbox-login=v; Path=/; Secure; HttpOnly; SameSite=Strict")
        );
    }
}
