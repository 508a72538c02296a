//! The customer-presence headers of a request to a resource endpoint
//! (`protocol::fapi_headers`: `x-fapi-auth-date`,
//! `x-fapi-customer-ip-address`, FAPI 1.0 Part 1 §6.2.2), read from the
//! request head: the OP's userinfo and consent API check them, the gateway
//! checks them before passing them on to the bank API unchanged.

use crate::protocol::fapi_headers::{AUTH_DATE, CUSTOMER_IP_ADDRESS, CustomerPresence, FapiHeaderError};
use http::HeaderMap;

/// The well-formed headers of `headers`, or which one is malformed; a
/// repeated header is malformed (one value each).
pub fn customer_presence(headers: &HeaderMap) -> Result<CustomerPresence, FapiHeaderError> {
    let one = |name: &str| {
        let mut values = headers.get_all(name).iter();
        match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(value), None) => Ok(Some(value.to_str().unwrap_or(""))),
            (Some(_), Some(_)) => Err(()),
        }
    };
    let auth_date = one(AUTH_DATE).map_err(|()| FapiHeaderError::AuthDate)?;
    let customer_ip = one(CUSTOMER_IP_ADDRESS).map_err(|()| FapiHeaderError::CustomerIp)?;
    let presence = CustomerPresence::parse(auth_date, customer_ip)?;
    if presence != CustomerPresence::default() {
        tracing::debug!(
            auth_date = ?presence.auth_date,
            customer_ip = ?presence.customer_ip,
            "FAPI customer-presence headers"
        );
    }
    Ok(presence)
}

/// The name of the header a [`FapiHeaderError`] is about.
pub fn header_name(error: FapiHeaderError) -> &'static str {
    match error {
        FapiHeaderError::AuthDate => AUTH_DATE,
        FapiHeaderError::CustomerIp => CUSTOMER_IP_ADDRESS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_or_binary_values_are_malformed_fapi1_part1_s6_2_2() {
        let mut headers = HeaderMap::new();
        headers.append(CUSTOMER_IP_ADDRESS, "198.51.100.7".parse().unwrap());
        assert!(customer_presence(&headers).unwrap().customer_ip.is_some());
        headers.append(CUSTOMER_IP_ADDRESS, "198.51.100.8".parse().unwrap());
        assert_eq!(customer_presence(&headers), Err(FapiHeaderError::CustomerIp));
        let mut binary = HeaderMap::new();
        binary.insert(
            AUTH_DATE,
            http::HeaderValue::from_bytes(b"Sun, 06 Nov 1994 \xff").unwrap(),
        );
        assert_eq!(customer_presence(&binary), Err(FapiHeaderError::AuthDate));
    }
}
