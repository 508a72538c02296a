//! Time-based one-time passwords, sans-IO: TOTP (RFC 6238) over HOTP
//! (RFC 4226), the second factor of the built-in login.
//!
//! The parameters are the ones authenticator apps use and the
//! `otpauth://` URI's defaults: HMAC-SHA-1, 6 digits, 30-second steps from
//! the Unix epoch (RFC 6238 §4: `X = 30`, `T0 = 0`; RFC 4226 §5.3 dynamic
//! truncation). SHA-1 is sound here: HOTP needs HMAC's PRF property, not
//! SHA-1's collision resistance (RFC 4226 Appendix A.4.1, RFC 6238 §1.2).
//! Verification accepts the current step and one on each side (RFC 6238
//! §5.2: one step of clock drift and network delay) and says which step
//! matched, so the caller can refuse that step a second time (RFC 6238
//! §5.2: a verifier must not accept an OTP again once it validated it).
//! HMAC is aws-lc-rs's; codes are compared in constant time.

use aws_lc_rs::hmac;
use base64::Engine;

/// Seconds per time step (RFC 6238 §4.1 `X`).
pub const STEP_SECS: u64 = 30;
/// Digits of a code (RFC 4226 §5.3, `Digit`).
pub const DIGITS: u32 = 6;
/// Steps accepted on each side of the current one (RFC 6238 §5.2).
pub const WINDOW: u64 = 1;
/// Bytes of a new secret: 160 bits, RFC 4226 §4 R6's recommendation and
/// the HMAC-SHA-1 output length.
pub const SECRET_LEN: usize = 20;
/// The shortest secret accepted (RFC 4226 §4 R6: at least 128 bits).
pub const MIN_SECRET_LEN: usize = 16;
/// The longest secret accepted (an imported one).
pub const MAX_SECRET_LEN: usize = 64;

/// RFC 4226 §5.3: HOTP(K, C) with `digits` digits, as a zero-padded
/// decimal string.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let hs = tag.as_ref();
    // Dynamic truncation (§5.3 step 2): the low 4 bits of the last byte
    // pick the offset of a 31-bit big-endian value.
    let offset = usize::from(hs[hs.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([hs[offset] & 0x7f, hs[offset + 1], hs[offset + 2], hs[offset + 3]]);
    let modulus = 10u32.pow(digits);
    format!("{:0width$}", bin % modulus, width = digits as usize)
}

/// RFC 6238 §4.2: the time step of Unix time `now`.
pub fn step_at(now: u64) -> u64 {
    now / STEP_SECS
}

/// RFC 6238 §4.2: the 6-digit code of `secret` at Unix time `now`.
pub fn code_at(secret: &[u8], now: u64) -> String {
    hotp(secret, step_at(now), DIGITS)
}

/// RFC 6238 §5.2: the time step whose code `presented` is, among the
/// current one and [`WINDOW`] on each side; `None` when none matches or
/// `presented` is not six digits. Every candidate is computed and compared
/// in constant time, so the time taken says nothing about which matched.
pub fn verify(secret: &[u8], presented: &str, now: u64) -> Option<u64> {
    if presented.len() != DIGITS as usize || !presented.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now);
    let mut matched = None;
    for step in current.saturating_sub(WINDOW)..=current.saturating_add(WINDOW) {
        let expected = hotp(secret, step, DIGITS);
        let equal =
            aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), presented.as_bytes())
                .is_ok();
        if equal && matched.is_none() {
            matched = Some(step);
        }
    }
    matched
}

/// A new random secret of [`SECRET_LEN`] bytes.
pub fn new_secret() -> Result<Vec<u8>, aws_lc_rs::error::Unspecified> {
    let mut secret = vec![0u8; SECRET_LEN];
    aws_lc_rs::rand::fill(&mut secret)?;
    Ok(secret)
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 §6 base32 without padding: the form authenticator apps take a
/// secret in (the `otpauth://` URI's `secret`).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 0x1f) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 0x1f) as usize]));
    }
    out
}

/// RFC 4648 §6 base32, case-insensitive, spaces and `=` padding ignored
/// (as secrets are often written in groups); `None` for any other
/// character or a secret outside [`MIN_SECRET_LEN`]..=[`MAX_SECRET_LEN`].
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| *c != ' ' && *c != '=') {
        let upper = c.to_ascii_uppercase();
        let value = BASE32.iter().position(|&b| char::from(b) == upper)? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
        buffer &= (1 << bits) - 1;
    }
    (MIN_SECRET_LEN..=MAX_SECRET_LEN)
        .contains(&out.len())
        .then_some(out)
}

/// The Key URI an authenticator app scans or takes as text
/// (`otpauth://totp/ISSUER:ACCOUNT?secret=..&issuer=..&algorithm=SHA1&digits=6&period=30`,
/// the de facto format Google Authenticator defined), labels
/// percent-encoded.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let label = format!("{issuer}:{account}");
    let label: String = form_urlencoded::byte_serialize(label.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("secret", &base32_encode(secret))
        .append_pair("issuer", issuer)
        .append_pair("algorithm", "SHA1")
        .append_pair("digits", &DIGITS.to_string())
        .append_pair("period", &STEP_SECS.to_string())
        .finish()
        .replace('+', "%20");
    format!("otpauth://totp/{label}?{query}")
}

/// A short non-secret fingerprint of a secret (base64url of the first 6
/// bytes of its SHA-256) for an operator to tell two enrolments apart;
/// never the secret.
pub fn fingerprint(secret: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.as_ref()[..6])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4226 Appendix D: HOTP values of the ASCII secret
    /// "12345678901234567890" for counters 0 to 9.
    #[test]
    fn rfc4226_appendix_d_vectors() {
        let secret = b"12345678901234567890";
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
            "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(secret, counter as u64, 6), *code, "counter {counter}");
        }
    }

    /// RFC 6238 Appendix B: the SHA-1 rows (8 digits, X = 30, T0 = 0) of
    /// the test vectors, same 20-byte ASCII secret.
    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(hotp(secret, step_at(time), 8), code, "T = {time}");
        }
        // The 6-digit code an app shows is the same value's last six digits.
        assert_eq!(code_at(secret, 59), "287082");
    }

    /// RFC 6238 §5.2: the current step and one either side are accepted,
    /// and the matching step is named; two steps away, a malformed code or
    /// a wrong one are not.
    #[test]
    fn verify_accepts_one_step_either_side_rfc6238_s5_2() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let step = step_at(now);
        assert_eq!(verify(secret, &code_at(secret, now), now), Some(step));
        assert_eq!(verify(secret, &code_at(secret, now - 30), now), Some(step - 1));
        assert_eq!(verify(secret, &code_at(secret, now + 30), now), Some(step + 1));
        assert_eq!(verify(secret, &code_at(secret, now - 60), now), None);
        assert_eq!(verify(secret, &code_at(secret, now + 60), now), None);
        assert_eq!(verify(secret, "12345", now), None);
        assert_eq!(verify(secret, "12345a", now), None);
        assert_eq!(verify(secret, "1234567", now), None);
        let wrong = if code_at(secret, now) == "000000" {
            "000001"
        } else {
            "000000"
        };
        assert_ne!(verify(secret, wrong, now - 30), Some(step));
    }

    /// RFC 4648 §10 test vectors, and round trips of secrets.
    #[test]
    fn base32_rfc4648() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_encode(b"fooba"), "MZXW6YTB");
        assert_eq!(base32_encode(b"f"), "MY");
        let secret: Vec<u8> = (0u8..20).collect();
        let text = base32_encode(&secret);
        assert_eq!(base32_decode(&text), Some(secret.clone()));
        assert_eq!(base32_decode(&text.to_lowercase()), Some(secret.clone()));
        assert_eq!(
            base32_decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq"),
            Some(b"12345678901234567890".to_vec())
        );
        assert_eq!(base32_decode("MZXW6YTBOI"), None, "shorter than 128 bits");
        assert_eq!(
            base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1"),
            None,
            "1 is not base32"
        );
    }

    #[test]
    fn otpauth_uri_carries_the_parameters() {
        let uri = otpauth_uri("Fiducia Bank", "alice", b"12345678901234567890");
        assert_eq!(
            uri,
            "otpauth://totp/Fiducia%20Bank%3Aalice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Fiducia%20Bank&algorithm=SHA1&digits=6&period=30"
        );
    }
}
