//! The dates of an account access consent (OBIE Account and Transaction API
//! v3.1, "Account Access Consents", data dictionary): `ExpirationDateTime`
//! ends the permissions (absent: open ended), `TransactionFromDateTime` and
//! `TransactionToDateTime` bound the transactions that may be read (absent:
//! open at that end). Stored as sent (RFC 3339) and read here as unix
//! seconds. Sans-IO, `now` passed in.
//!
//! Where they are enforced: at creation (an expiration already past, or a
//! range that ends before it starts, is `UK.OBIE.Field.InvalidDate`), at
//! PAR (`intent::check_awaiting`), on the consent page's approval
//! (`oauth::interaction`), at introspection (a token of an expired consent
//! is inactive) and, from the token's `openbanking_consent`, at the gateway
//! (`gateway::token_info`) and the bank API (`sandbox::bank::bounds`).

use super::error::ObieError;
use super::{AccountAccess, Consent, ConsentKind};

/// Unix seconds of an RFC 3339 date-time; `None` when it does not parse.
pub fn unix(rfc3339: &str) -> Option<u64> {
    let at = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(at.unix_timestamp()).ok()
}

impl AccountAccess {
    /// Whether the permissions have ended at `now`. A stored value that
    /// does not parse (never written by the consent API) counts as past.
    pub fn is_expired(&self, now: u64) -> bool {
        self.expiration
            .as_deref()
            .is_some_and(|e| unix(e).is_none_or(|at| at <= now))
    }

    /// Refuses dates a new consent cannot have: an `ExpirationDateTime`
    /// not after `now`, a transaction range that ends before it starts.
    pub fn check_dates(&self, now: u64) -> Result<(), ObieError> {
        if self.is_expired(now) {
            return Err(ObieError::date_in_past("Data.ExpirationDateTime"));
        }
        let bound = |value: &Option<String>| value.as_deref().and_then(unix);
        if let (Some(from), Some(to)) = (bound(&self.transaction_from), bound(&self.transaction_to))
            && from > to
        {
            return Err(ObieError::invalid(
                "Data.TransactionToDateTime",
                "no earlier than Data.TransactionFromDateTime",
            ));
        }
        Ok(())
    }
}

impl Consent {
    /// Whether its `ExpirationDateTime` has passed at `now` (only account
    /// access consents have one).
    pub fn is_expired(&self, now: u64) -> bool {
        match &self.kind {
            ConsentKind::AccountAccess(access) => access.is_expired(now),
            ConsentKind::DomesticPayment(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(expiration: Option<&str>, from: Option<&str>, to: Option<&str>) -> AccountAccess {
        AccountAccess {
            permissions: vec!["ReadAccountsBasic".into()],
            expiration: expiration.map(str::to_string),
            transaction_from: from.map(str::to_string),
            transaction_to: to.map(str::to_string),
        }
    }

    /// 2027-01-01T00:00:00Z.
    const NEW_YEAR: u64 = 1_798_761_600;

    #[test]
    fn rfc3339_dates_read_as_unix_seconds() {
        assert_eq!(unix("2027-01-01T00:00:00Z"), Some(NEW_YEAR));
        assert_eq!(unix("2027-01-01T01:00:00+01:00"), Some(NEW_YEAR));
        assert_eq!(unix("next tuesday"), None);
    }

    /// OBIE Account Access Consents: ExpirationDateTime ends the
    /// permissions; absent, they are open ended.
    #[test]
    fn an_account_access_consent_expires_at_its_expiration_date_time() {
        let mut consent =
            crate::consent::tests::consent("fintech", &crate::consent::tests::payment_request());
        assert!(
            !consent.is_expired(u64::MAX),
            "a payment consent has no expiration"
        );
        consent.kind = ConsentKind::AccountAccess(access(Some("2027-01-01T00:00:00Z"), None, None));
        assert!(!consent.is_expired(NEW_YEAR - 1));
        assert!(consent.is_expired(NEW_YEAR));
        consent.kind = ConsentKind::AccountAccess(access(None, None, None));
        assert!(!consent.is_expired(u64::MAX));
        consent.kind = ConsentKind::AccountAccess(access(Some("garbled"), None, None));
        assert!(consent.is_expired(0), "an unreadable expiration is past");
    }

    #[test]
    fn new_consents_need_a_future_expiration_and_an_ordered_range() {
        let ok = access(
            Some("2027-01-01T00:00:00Z"),
            Some("2026-01-01T00:00:00Z"),
            Some("2026-12-31T00:00:00Z"),
        );
        assert_eq!(ok.check_dates(NEW_YEAR - 1), Ok(()));
        let past = ok.check_dates(NEW_YEAR).unwrap_err();
        assert_eq!(past.code, "UK.OBIE.Field.InvalidDate");
        let reversed = access(None, Some("2026-12-31T00:00:00Z"), Some("2026-01-01T00:00:00Z"));
        assert_eq!(reversed.check_dates(0).unwrap_err().code, "UK.OBIE.Field.Invalid");
    }
}
