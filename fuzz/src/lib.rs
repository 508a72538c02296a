//! Fuzz targets for the parsers of untrusted input: each takes the bytes an
//! attacker controls and drives one parser of the OP with them. A target
//! may answer with an error (that is the parser doing its job); it must not
//! panic, hang or grow memory without bound.
//!
//! - `scripts/fuzz.sh TARGET SECONDS` runs one under AFL++ (cargo-afl, the
//!   `afl` feature, `src/bin/fiducia_fuzz.rs`), from its seed corpus in
//!   `fuzz/corpus/TARGET/`.
//! - `tests/corpus.rs` replays every committed seed and regression input
//!   (`fuzz/regressions/TARGET/`) through every target on each `cargo test`.

pub mod targets;

/// A fuzz target: one parser, driven by the input bytes.
pub type Target = fn(&[u8]);

/// Every target by name (the names of `fuzz/corpus/`'s folders).
pub const TARGETS: &[(&str, Target)] = &[
    ("form", targets::form::form),
    ("jws_compact", targets::jose::jws_compact),
    ("jwks", targets::jose::jwks),
    ("dn", targets::certificates::dn),
    ("certificate_subject", targets::certificates::certificate_subject),
    ("client_cert_header", targets::certificates::client_cert_header),
    ("proxy_protocol", targets::proxy_protocol::proxy_protocol),
    ("rar", targets::json_bodies::rar),
    ("claims", targets::json_bodies::claims),
    ("obie_consent", targets::json_bodies::obie_consent),
    ("customer_body", targets::json_bodies::customer_body),
    ("registration_body", targets::registration::registration_body),
    ("ciba_request", targets::form::ciba_request),
    ("request_object", targets::signed::request_object),
    ("client_assertion", targets::signed::client_assertion),
    ("dpop_proof", targets::signed::dpop_proof),
    ("ciba_signed_request", targets::signed::ciba_signed_request),
    ("software_statement", targets::signed::software_statement),
    ("upstream_id_token", targets::signed::upstream_id_token),
];

/// The target named `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The input as text, when it is UTF-8 (most parsers take `&str`: what the
/// HTTP layer hands them is already text).
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}
