//! The hashes an ID token carries of values sent beside it: `c_hash` of
//! the code (OIDC Core §3.3.2.11), `s_hash` of the state (FAPI 1.0 Part 2
//! §5.1), `at_hash` alike (OIDC Core §3.1.3.6). Each is the base64url of
//! the left half of the hash of the value's ASCII octets, with the hash of
//! the ID token's `alg`: SHA-256 for ES256 and PS256; for EdDSA (Ed25519)
//! SHA-512, as the OpenID Foundation's registry of the hash claims says.

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fiducia_hsm::JoseAlg;

/// The left-half hash of `value` for an ID token signed with `alg`.
pub fn left_half_hash(alg: JoseAlg, value: &str) -> String {
    let algorithm = match alg {
        JoseAlg::Es256 | JoseAlg::Ps256 => &digest::SHA256,
        JoseAlg::EdDsa => &digest::SHA512,
    };
    let hash = digest::digest(algorithm, value.as_bytes());
    let bytes = hash.as_ref();
    URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_half_of_sha256_oidc_core_s3_3_2_11() {
        // OIDC Core Appendix A.4: the code "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
        // has c_hash "LDktKdoQak3Pk0cnXxCltA" under RS256 (SHA-256).
        let code = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk";
        assert_eq!(left_half_hash(JoseAlg::Es256, code), "LDktKdoQak3Pk0cnXxCltA");
        assert_eq!(left_half_hash(JoseAlg::Ps256, code), "LDktKdoQak3Pk0cnXxCltA");
    }

    #[test]
    fn eddsa_uses_sha512_and_other_values_differ_fapi1_part2_s5_1() {
        let h = left_half_hash(JoseAlg::EdDsa, "state-1");
        assert_eq!(URL_SAFE_NO_PAD.decode(&h).unwrap().len(), 32);
        assert_ne!(
            left_half_hash(JoseAlg::Es256, "state-1"),
            left_half_hash(JoseAlg::Es256, "state-2")
        );
    }
}
