//! How long an `auth_req_id` lives (CIBA Core §7.1 `requested_expiry`,
//! §7.3 `expires_in`). The client may ask for a lifetime, "a positive
//! integer" of seconds; the OP "MAY use this value to influence the
//! lifetime". Here the lifetime is what was asked, at most the configured
//! maximum (a longer wish is shortened, not refused); without a wish, the
//! configured default. A value that is not a positive integer is
//! `invalid_request`.

use crate::protocol::error::OAuthError;

/// Most digits read: more than any `u64` number of seconds needs.
const MAX_DIGITS: usize = 10;

/// A client's `requested_expiry`: positive seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestedExpiry(u64);

impl RequestedExpiry {
    /// The seconds asked.
    pub fn secs(self) -> u64 {
        self.0
    }
}

impl TryFrom<&str> for RequestedExpiry {
    type Error = OAuthError;

    /// CIBA Core §7.1: decimal digits only (no sign, no fraction, no exponent), > 0.
    fn try_from(text: &str) -> Result<Self, OAuthError> {
        let bad = || {
            OAuthError::invalid_request(
                "requested_expiry must be a positive integer of seconds (CIBA Core §7.1)",
            )
        };
        if text.is_empty() || text.len() > MAX_DIGITS || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        match text.parse::<u64>() {
            Ok(0) | Err(_) => Err(bad()),
            Ok(secs) => Ok(Self(secs)),
        }
    }
}

/// The OP's bounds on a request's lifetime (the caller's configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryBounds {
    /// Lifetime when the client asks for none.
    pub default_secs: u64,
    /// Longest lifetime granted.
    pub max_secs: u64,
}

impl ExpiryBounds {
    /// CIBA Core §7.3 `expires_in` for a request that asked `requested`.
    pub fn expires_in(self, requested: Option<RequestedExpiry>) -> u64 {
        requested
            .map_or(self.default_secs, RequestedExpiry::secs)
            .min(self.max_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: ExpiryBounds = ExpiryBounds {
        default_secs: 120,
        max_secs: 600,
    };

    /// CIBA Core §7.1: a positive integer.
    #[test]
    fn requested_expiry_is_a_positive_integer_ciba_core_s7_1() {
        assert_eq!(RequestedExpiry::try_from("1").unwrap().secs(), 1);
        assert_eq!(RequestedExpiry::try_from("300").unwrap().secs(), 300);
        for bad in ["0", "-5", "+5", "1.5", "1e3", " 5", "five", "", "99999999999"] {
            assert!(RequestedExpiry::try_from(bad).is_err(), "{bad:?}");
        }
    }

    /// CIBA Core §7.1 / §7.3: the wish within the configured maximum.
    #[test]
    fn the_lifetime_is_the_wish_bounded_by_the_maximum_ciba_core_s7_3() {
        let asked = |s: &str| Some(RequestedExpiry::try_from(s).unwrap());
        assert_eq!(BOUNDS.expires_in(None), 120);
        assert_eq!(BOUNDS.expires_in(asked("30")), 30);
        assert_eq!(BOUNDS.expires_in(asked("600")), 600);
        assert_eq!(BOUNDS.expires_in(asked("601")), 600);
    }
}
