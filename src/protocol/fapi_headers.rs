//! The customer-presence headers a FAPI client may send to a resource
//! endpoint (FAPI 1.0 Part 1 §6.2.2): `x-fapi-auth-date`, the time the
//! customer last logged in, as an RFC 7231 §7.1.1.1 HTTP-date (senders
//! generate the IMF-fixdate form, `Sun, 06 Nov 1994 08:49:37 GMT`), and
//! `x-fapi-customer-ip-address`, the customer's IP address, whose presence
//! says the customer is present. `x-fapi-interaction-id` is the request
//! wrapper's (echoed, `http::service`).
//!
//! A resource server "shall not reject requests with a
//! x-fapi-customer-ip-address header containing a valid IPv4 or IPv6
//! address" (FAPI 1.0 Part 1 §6.2.1); one that is not an address, or an
//! auth date that is not an HTTP-date, is refused rather than logged or
//! passed on, as a malformed `x-fapi-interaction-id` is never echoed.

use std::net::IpAddr;
use time::PrimitiveDateTime;

/// `x-fapi-auth-date`.
pub const AUTH_DATE: &str = "x-fapi-auth-date";
/// `x-fapi-customer-ip-address`.
pub const CUSTOMER_IP_ADDRESS: &str = "x-fapi-customer-ip-address";

/// The customer-presence facts of one request, when sent and well formed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerPresence {
    /// `x-fapi-auth-date` as Unix seconds.
    pub auth_date: Option<i64>,
    /// `x-fapi-customer-ip-address`.
    pub customer_ip: Option<IpAddr>,
}

/// Why the headers were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FapiHeaderError {
    /// Not one IMF-fixdate HTTP-date.
    #[error(
        "x-fapi-auth-date must be an HTTP-date such as `Sun, 06 Nov 1994 08:49:37 GMT` (FAPI 1.0 Part 1 §6.2.2, RFC 7231 §7.1.1.1)"
    )]
    AuthDate,
    /// Not one IPv4 or IPv6 address.
    #[error("x-fapi-customer-ip-address must be an IPv4 or IPv6 address (FAPI 1.0 Part 1 §6.2.2)")]
    CustomerIp,
}

impl CustomerPresence {
    /// Reads the two headers' values (`None`: absent; a value that is not
    /// text is given as `Some("")`, which no rule accepts).
    pub fn parse(auth_date: Option<&str>, customer_ip: Option<&str>) -> Result<Self, FapiHeaderError> {
        let auth_date = auth_date
            .map(|value| parse_http_date(value.trim()).ok_or(FapiHeaderError::AuthDate))
            .transpose()?;
        let customer_ip = customer_ip
            .map(|value| {
                value
                    .trim()
                    .parse::<IpAddr>()
                    .map_err(|_| FapiHeaderError::CustomerIp)
            })
            .transpose()?;
        Ok(Self {
            auth_date,
            customer_ip,
        })
    }
}

/// RFC 7231 §7.1.1.1 IMF-fixdate, always GMT.
fn parse_http_date(value: &str) -> Option<i64> {
    let format = time::format_description::parse_borrowed::<1>(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT",
    )
    .ok()?;
    let parsed = PrimitiveDateTime::parse(value, &format).ok()?;
    Some(parsed.assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_headers_are_accepted_fapi1_part1_s6_2_1() {
        let p = CustomerPresence::parse(Some("Sun, 06 Nov 1994 08:49:37 GMT"), Some("198.51.100.7")).unwrap();
        assert_eq!(p.auth_date, Some(784_111_777));
        assert_eq!(p.customer_ip, Some("198.51.100.7".parse().unwrap()));
        let v6 = CustomerPresence::parse(None, Some("2001:db8::1")).unwrap();
        assert_eq!(v6.customer_ip, Some("2001:db8::1".parse().unwrap()));
        assert_eq!(
            CustomerPresence::parse(None, None).unwrap(),
            CustomerPresence::default()
        );
    }

    #[test]
    fn malformed_headers_are_refused_fapi1_part1_s6_2_2() {
        for date in [
            "yesterday",
            "1994-11-06T08:49:37Z",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "",
        ] {
            assert_eq!(
                CustomerPresence::parse(Some(date), None),
                Err(FapiHeaderError::AuthDate),
                "{date}"
            );
        }
        for ip in [
            "localhost",
            "1.2.3",
            "198.51.100.7\r\nx: y",
            "",
            "1.2.3.4, 5.6.7.8",
        ] {
            assert_eq!(
                CustomerPresence::parse(None, Some(ip)),
                Err(FapiHeaderError::CustomerIp),
                "{ip}"
            );
        }
    }
}
