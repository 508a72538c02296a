//! A password hash brought by an import (`password_hash`): an argon2id PHC
//! string made elsewhere, e.g. by the bank's previous login system. It is
//! stored as given, so it must parse, be argon2id version 0x13 (RFC 9106
//! §4), carry a salt and a tag, and cost at least the minimum this OP
//! accepts for its own hashes (`config::login`: OWASP's weakest setting
//! unless `login.danger_weak_password_hashing`). A hash weaker than the
//! configured cost but above the minimum is replaced at the customer's
//! next login (`PasswordHasher::needs_rehash`).

use crate::config::LoginConfig;
use crate::config::{
    ARGON2_MAX_MEMORY_KIB, ARGON2_MAX_PASSES_OR_LANES, ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_WORK_KIB,
};
use argon2::password_hash::PasswordHash;
use argon2::{Algorithm, Params, Version};

/// Longest PHC string accepted, in bytes (an argon2id string with a 64-byte
/// salt and tag is under 200).
pub const MAX_PHC_BYTES: usize = 512;

/// Why `phc` cannot be stored as a customer's password hash under
/// `config`'s minimum cost, or `None` when it can.
pub fn problem(phc: &str, config: &LoginConfig) -> Option<String> {
    if phc.len() > MAX_PHC_BYTES {
        return Some(format!("is longer than {MAX_PHC_BYTES} bytes"));
    }
    let Ok(hash) = PasswordHash::new(phc) else {
        return Some("is not a PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash)".into());
    };
    if hash.algorithm != Algorithm::Argon2id.ident() {
        return Some(format!(
            "is a `{}` hash; this OP stores argon2id (RFC 9106 §4)",
            hash.algorithm
        ));
    }
    if hash.version != Some(Version::V0x13.into()) {
        return Some("must be argon2 version 19 (0x13, `v=19`)".into());
    }
    if hash.salt.is_none() || hash.hash.is_none() {
        return Some("has no salt or no hash".into());
    }
    let Ok(params) = Params::try_from(&hash) else {
        return Some("has argon2 parameters out of range".into());
    };
    let (m, t, p) = (params.m_cost(), params.t_cost(), params.p_cost());
    if t > ARGON2_MAX_PASSES_OR_LANES || p > ARGON2_MAX_PASSES_OR_LANES || m > ARGON2_MAX_MEMORY_KIB {
        return Some(format!(
            "costs more than this OP verifies (t and p at most {ARGON2_MAX_PASSES_OR_LANES}, m at most {ARGON2_MAX_MEMORY_KIB} KiB)"
        ));
    }
    let weak_ok = config.danger_weak_password_hashing;
    if !weak_ok && (m < ARGON2_MIN_MEMORY_KIB || u64::from(m) * u64::from(t) < ARGON2_MIN_WORK_KIB) {
        return Some(format!(
            "costs m = {m} KiB × t = {t}, below the minimum (m ≥ 7168 KiB and m × t ≥ {ARGON2_MIN_WORK_KIB}, OWASP Password Storage Cheat Sheet)"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher as _, SaltString};

    fn phc(m: u32, t: u32, algorithm: Algorithm) -> String {
        let params = Params::new(m, t, 1, Some(32)).unwrap();
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
        argon2::Argon2::new(algorithm, Version::V0x13, params)
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string()
    }

    #[test]
    fn a_hash_at_the_minimum_cost_is_accepted_rfc_9106_s4() {
        let config = LoginConfig::default();
        assert_eq!(problem(&phc(7168, 5, Algorithm::Argon2id), &config), None);
        assert_eq!(problem(&phc(19 * 1024, 2, Algorithm::Argon2id), &config), None);
    }

    #[test]
    fn weak_other_variant_and_malformed_hashes_are_refused() {
        let config = LoginConfig::default();
        let weak = problem(&phc(64, 1, Algorithm::Argon2id), &config).unwrap();
        assert!(weak.contains("below the minimum"), "{weak}");
        let argon2i = problem(&phc(7168, 5, Algorithm::Argon2i), &config).unwrap();
        assert!(argon2i.contains("argon2i"), "{argon2i}");
        assert!(problem("$2b$12$abcdefghijklmnopqrstuv", &config).is_some());
        assert!(problem("not a hash", &config).unwrap().contains("PHC"));
        assert!(problem("$argon2id$v=19$m=7168,t=5,p=1", &config).is_some());
        assert!(problem(&"a".repeat(600), &config).unwrap().contains("longer"));
    }

    #[test]
    fn danger_weak_hashing_lowers_the_minimum() {
        let config = LoginConfig {
            danger_weak_password_hashing: true,
            ..LoginConfig::default()
        };
        assert_eq!(problem(&phc(64, 1, Algorithm::Argon2id), &config), None);
    }
}
