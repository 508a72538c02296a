//! The `tokens` policy: the whole `[tokens]` table (lifetimes of access,
//! ID and refresh tokens, codes and request URIs, the proof window,
//! refresh rotation and idle time, `dpop_nonce`), every member changeable
//! live. A value in force applies to what is issued from the next request
//! on; what was issued before keeps the expiry it carries (`exp`, the
//! record's `expires_at`), so lowering a lifetime strands nothing.
//!
//! Rules beyond the start-up checks (`config/checks.rs`: code lifetime 1
//! to 60 s, FAPI 2.0 SP §5.3.2.1; refresh idle and retry grace):
//!
//! - every lifetime at least 1 s: a zero `expires_in` (RFC 6749 §5.1)
//!   would issue tokens already expired;
//! - the lifetimes that bound a revoked grant's marker (the refresh and
//!   access token and the code: `TokensConfig::revocation_marker_secs`)
//!   may be lowered live but not raised above the file's. A revocation
//!   keeps its marker for the longer of the file's and the live bound
//!   (`oauth/tokens.rs` `grant_revocation`), so a token issued under a
//!   live value never outlives its grant's marker, even after a reset to
//!   the file (RFC 7009 §2.1: a revoked grant's tokens stay revoked);
//!   raising one is a file change and a restart.

use super::Policy;
use crate::config::{Config, TokensConfig};
use crate::oauth::live_sections::{FieldProblem, Section};

/// `[tokens]` managed live.
pub struct TokenPolicy;

impl Section for TokenPolicy {
    const NAME: &'static str = "tokens";
    const PATH: &'static str = "tokens";
    type Value = TokensConfig;

    fn of(config: &Config) -> TokensConfig {
        config.tokens.clone()
    }

    fn set(config: &mut Config, value: TokensConfig) {
        config.tokens = value;
    }

    /// RFC 6749 §5.1: `expires_in` counts from the response; a lifetime of
    /// 0 issues what is already expired.
    fn api_problems(_before: &TokensConfig, after: &TokensConfig) -> Vec<FieldProblem> {
        [
            ("access_token_ttl_secs", after.access_token_ttl_secs),
            ("id_token_ttl_secs", after.id_token_ttl_secs),
            ("request_uri_ttl_secs", after.request_uri_ttl_secs),
            ("proof_max_age_secs", after.proof_max_age_secs),
        ]
        .into_iter()
        .filter(|(_, secs)| *secs == 0)
        .map(|(name, _)| {
            FieldProblem::new(
                name,
                "must be at least 1 second: a lifetime of 0 issues what is already expired (RFC 6749 §5.1)",
            )
        })
        .collect()
    }
}

impl Policy for TokenPolicy {
    const FIXED: &'static [(&'static str, &'static str)] = &[];

    /// RFC 7009 §2.1 with `store/repo/revoked.rs`: a revoked grant's
    /// marker outlives every token of the grant only while no live
    /// lifetime exceeds the file's.
    fn file_problems(file: &TokensConfig, after: &TokensConfig) -> Vec<FieldProblem> {
        if after.revocation_marker_secs() <= file.revocation_marker_secs() {
            return Vec::new();
        }
        [
            ("refresh_token_ttl_secs", after.refresh_token_ttl_secs, file.refresh_token_ttl_secs),
            ("access_token_ttl_secs", after.access_token_ttl_secs, file.access_token_ttl_secs),
            ("code_ttl_secs", after.code_ttl_secs, file.code_ttl_secs),
        ]
        .into_iter()
        .filter(|(_, live, file)| live > file)
        .map(|(name, _, _)| {
            FieldProblem::new(
                name,
                "may be lowered live but not raised above the configuration file's value: a revoked grant's marker is kept for the file's longest token lifetime (RFC 7009 §2.1); raise it in the file and restart",
            )
        })
        .collect()
    }
}

/// How long a grant revoked now keeps its marker: the longer of the
/// file's and the live bound (`TokensConfig::revocation_marker_secs`), so
/// that tokens issued under either are covered.
pub fn revocation_marker_secs(file: &TokensConfig, live: &TokensConfig) -> u64 {
    file.revocation_marker_secs().max(live.revocation_marker_secs())
}
