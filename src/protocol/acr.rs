//! The `acr` and `amr` values the built-in login reports (OIDC Core §2):
//! the UK OBIE Authentication Context Class References (OBIE Security
//! Profile: `urn:openbanking:psd2:ca` for authentication that is not
//! strong, `urn:openbanking:psd2:sca` for strong customer authentication,
//! PSD2 RTS Art. 4) and the RFC 8176 §2 method values.

/// `acr` of the password login.
pub const CA: &str = "urn:openbanking:psd2:ca";
/// `acr` of password and TOTP.
pub const SCA: &str = "urn:openbanking:psd2:sca";
/// `amr` of the password login.
pub const AMR_PASSWORD: &[&str] = &["pwd"];
/// `amr` of password and TOTP: `pwd`, `otp`, and `mfa` (more than one
/// factor).
pub const AMR_SCA: &[&str] = &["pwd", "otp", "mfa"];
