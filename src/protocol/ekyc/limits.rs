//! Bounds on what a `claims` request and a customer's verified claim sets may
//! hold, so a request cannot make parsing, the answer or the consent page
//! grow without bound and an imported record stays small.

/// Longest `claims` parameter read, in bytes (OIDC Core §5.5).
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// Deepest nesting of the `claims` parameter. The deepest element the
/// schema defines is `claims` > `userinfo` > `verified_claims` > `[i]` >
/// `verification` > `assurance_process` > `assurance_details` > `[j]` >
/// `evidence_ref` > `[k]` > `evidence_metadata` > `evidence_classification`
/// > `values` (13 levels); one more is allowed, nothing beyond.
pub const MAX_REQUEST_DEPTH: usize = 14;

/// Most `verified_claims` request objects in one of `userinfo` / `id_token`.
pub const MAX_REQUESTED_SETS: usize = 8;

/// Most entries in a request's `evidence`, `check_details`,
/// `assurance_details` or `evidence_ref` filter array.
pub const MAX_FILTER_ENTRIES: usize = 8;

/// Most claims named in one `userinfo`, `id_token` or `verified_claims/claims`.
pub const MAX_REQUESTED_CLAIMS: usize = 64;

/// Longest claim name in a request, in characters.
pub const MAX_CLAIM_NAME_CHARS: usize = 64;

/// Most entries in a `values` array.
pub const MAX_VALUES: usize = 16;

/// Longest `value` / `values` entry or stored string member, in characters.
pub const MAX_TEXT_CHARS: usize = 256;

/// Shortest and longest `purpose`, in characters (Identity Assurance
/// Implementer's Draft 4 §5.1: at least 3, at most 300).
pub const PURPOSE_MIN_CHARS: usize = 3;
/// See [`PURPOSE_MIN_CHARS`].
pub const PURPOSE_MAX_CHARS: usize = 300;

/// Most verified claim sets one customer may hold.
pub const MAX_STORED_SETS: usize = 8;

/// Most evidence entries in one stored set, and most members of any other
/// stored array (`check_details`, `assurance_details`, `evidence_ref`,
/// `nationalities`).
pub const MAX_STORED_ARRAY: usize = 8;

/// Most claims in a stored set's `claims` or `derived_claims`.
pub const MAX_STORED_CLAIMS: usize = 32;

/// Largest JSON text of one customer's verified claim sets, in bytes.
pub const MAX_STORED_BYTES: usize = 32 * 1024;
