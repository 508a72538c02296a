//! The hostile scenario's catalogue of attacks and their names.

/// The catalogue, in the order the attacks are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attack {
    BadChunking,
    Smuggling,
    OversizedHeader,
    EndlessHeaders,
    Garbage,
    Slowloris,
    H2RapidReset,
    H2ContinuationFlood,
    H3StreamFlood,
    BadSignature,
    AlgNone,
    HmacWithPublicKey,
    DpopWrongTyp,
    OversizedRequestObject,
    DuplicateParameters,
    StrangerCertificate,
    ExpiredCertificate,
    ReplayedAssertion,
    ReplayedProof,
    ReplayedCode,
    ReplayedRefreshToken,
}

impl Attack {
    pub const ALL: [Attack; 21] = [
        Attack::BadChunking,
        Attack::Smuggling,
        Attack::OversizedHeader,
        Attack::EndlessHeaders,
        Attack::Garbage,
        Attack::Slowloris,
        Attack::H2RapidReset,
        Attack::H2ContinuationFlood,
        Attack::H3StreamFlood,
        Attack::BadSignature,
        Attack::AlgNone,
        Attack::HmacWithPublicKey,
        Attack::DpopWrongTyp,
        Attack::OversizedRequestObject,
        Attack::DuplicateParameters,
        Attack::StrangerCertificate,
        Attack::ExpiredCertificate,
        Attack::ReplayedAssertion,
        Attack::ReplayedProof,
        Attack::ReplayedCode,
        Attack::ReplayedRefreshToken,
    ];

    /// Its step name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Attack::BadChunking => "bad_chunking",
            Attack::Smuggling => "smuggling",
            Attack::OversizedHeader => "oversized_header",
            Attack::EndlessHeaders => "endless_headers",
            Attack::Garbage => "garbage",
            Attack::Slowloris => "slowloris",
            Attack::H2RapidReset => "h2_rapid_reset",
            Attack::H2ContinuationFlood => "h2_continuation_flood",
            Attack::H3StreamFlood => "h3_stream_flood",
            Attack::BadSignature => "bad_signature",
            Attack::AlgNone => "alg_none",
            Attack::HmacWithPublicKey => "hmac_public_key",
            Attack::DpopWrongTyp => "dpop_wrong_typ",
            Attack::OversizedRequestObject => "oversized_request_object",
            Attack::DuplicateParameters => "duplicate_parameters",
            Attack::StrangerCertificate => "stranger_certificate",
            Attack::ExpiredCertificate => "expired_certificate",
            Attack::ReplayedAssertion => "replayed_assertion",
            Attack::ReplayedProof => "replayed_proof",
            Attack::ReplayedCode => "replayed_code",
            Attack::ReplayedRefreshToken => "replayed_refresh_token",
        }
    }

    /// The attack named `name` (its step name).
    pub fn named(name: &str) -> Option<Attack> {
        Attack::ALL.into_iter().find(|a| a.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::Attack;

    #[test]
    fn every_attack_is_in_the_catalogue_once_with_its_own_name() {
        let mut names: Vec<&str> = Attack::ALL.iter().map(|a| a.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Attack::ALL.len());
        assert_eq!(Attack::named("slowloris"), Some(Attack::Slowloris));
        assert_eq!(Attack::named("nothing"), None);
    }
}
