//! The verification's outcome: counts only, never a token (a token is a
//! bearer credential, or one bound to a key; either way not for a report).

pub use crate::scenario::Checked;
use serde::Serialize;
use std::collections::BTreeMap;

/// The verification report (`verify` in the JSON report).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Verification {
    /// `--verify-max`.
    pub cap: usize,
    /// Tokens kept and introspected.
    pub kept: u64,
    /// Tokens acknowledged past the cap: not checked, so the run fails.
    pub not_kept: u64,
    pub active: u64,
    pub inactive: u64,
    pub failed: u64,
    /// Not checked: expired (by `expires_in`) before their turn came.
    pub expired: u64,
    /// Failures to check by kind → count.
    pub failures: BTreeMap<String, u64>,
    /// How long the introspections took.
    pub seconds: f64,
}

impl Verification {
    pub fn record(&mut self, checked: Checked) {
        match checked {
            Checked::Active => self.active += 1,
            Checked::Inactive => self.inactive += 1,
            Checked::Expired => self.expired += 1,
            Checked::Failed(kind) => {
                self.failed += 1;
                *self.failures.entry(kind).or_default() += 1;
            }
        }
    }

    /// Adds another worker's counts.
    pub fn merge(&mut self, other: Verification) {
        self.active += other.active;
        self.inactive += other.inactive;
        self.failed += other.failed;
        self.expired += other.expired;
        for (kind, n) in other.failures {
            *self.failures.entry(kind).or_default() += n;
        }
    }

    /// Whether every acknowledged token was checked and found active, or
    /// had expired before its check (the process exits non-zero otherwise).
    pub fn passed(&self) -> bool {
        self.not_kept == 0
            && self.inactive == 0
            && self.failed == 0
            && self.active + self.expired == self.kept
    }

    /// The report's lines.
    pub fn text(&self) -> Vec<String> {
        let mut out = vec![format!(
            "verify: {} acknowledged tokens introspected in {:.1} s: {} active, {} inactive, {} failed to check",
            self.kept, self.seconds, self.active, self.inactive, self.failed
        )];
        if self.expired > 0 {
            out.push(format!(
                "  {} expired before their check (not asked; run shorter than the access-token lifetime to check all)",
                self.expired
            ));
        }
        for (kind, n) in &self.failures {
            out.push(format!("  failed to check: {kind} × {n}"));
        }
        if self.not_kept > 0 {
            out.push(format!(
                "  {} more acknowledged tokens were not kept: over --verify-max {} (raise it, or bound the run with --requests)",
                self.not_kept, self.cap
            ));
        }
        out.push(match self.passed() {
            true => "verify: every acknowledged token is active".into(),
            false => format!(
                "verify: FAILED: {} acknowledged tokens are not (known to be) active",
                self.inactive + self.failed + self.not_kept
            ),
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::Response;

    fn answer(status: u16, body: &str) -> Response<Bytes> {
        let mut r = Response::new(Bytes::from(body.to_string()));
        *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
        r
    }

    /// RFC 7662 §2.2 and §2.3: only a boolean `active` in a 200 is a verdict.
    #[test]
    fn answers_are_active_inactive_or_failures_by_kind() {
        assert_eq!(
            Checked::of(&answer(200, r#"{"active":true,"client_id":"c"}"#)),
            Checked::Active
        );
        assert_eq!(
            Checked::of(&answer(200, r#"{"active":false}"#)),
            Checked::Inactive
        );
        assert_eq!(
            Checked::of(&answer(401, r#"{"error":"invalid_client"}"#)),
            Checked::Failed("401 invalid_client".into())
        );
        // RFC 9110 §10.2.3: a 503 that does not say when to come back is
        // told apart from one that does.
        assert_eq!(
            Checked::of(&answer(503, "")),
            Checked::Failed("503 without Retry-After".into())
        );
        let mut later = answer(503, r#"{"error":"temporarily_unavailable"}"#);
        later
            .headers_mut()
            .insert("retry-after", http::HeaderValue::from_static("1"));
        assert_eq!(
            Checked::of(&later),
            Checked::Failed("503 temporarily_unavailable".into())
        );
        assert!(matches!(
            Checked::of(&answer(200, r#"{"active":"yes"}"#)),
            Checked::Failed(_)
        ));
    }

    #[test]
    fn the_tally_passes_only_when_every_kept_token_is_active() {
        let mut v = Verification {
            cap: 10,
            kept: 3,
            ..Default::default()
        };
        let mut other = Verification::default();
        v.record(Checked::Active);
        other.record(Checked::Active);
        other.record(Checked::Active);
        v.merge(other);
        assert_eq!(v.active, 3);
        assert!(v.passed(), "{:?}", v.text());
        // An expired token is no verdict on the OP.
        let mut late = v.clone();
        late.kept += 1;
        late.record(Checked::Expired);
        assert!(late.passed());
        assert!(late.text().iter().any(|l| l.contains("1 expired")));

        let mut over = v.clone();
        over.not_kept = 1;
        assert!(!over.passed());
        assert!(over.text().iter().any(|l| l.contains("over --verify-max 10")));

        let mut bad = Verification {
            cap: 10,
            kept: 4,
            ..Default::default()
        };
        for c in [
            Checked::Active,
            Checked::Inactive,
            Checked::Failed("io: reset".into()),
            Checked::Failed("io: reset".into()),
        ] {
            bad.record(c);
        }
        assert!(!bad.passed());
        assert_eq!((bad.active, bad.inactive, bad.failed), (1, 1, 2));
        assert_eq!(bad.failures["io: reset"], 2);
        assert!(bad.text().last().unwrap().contains("3 acknowledged tokens"));
        // A token never answered for is not counted active.
        let unchecked = Verification {
            kept: 1,
            ..Default::default()
        };
        assert!(!unchecked.passed());
    }
}
