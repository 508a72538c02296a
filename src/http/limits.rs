//! Limits every transport of a listener shares, so that HTTP/1.1, HTTP/2
//! and HTTP/3 bound a peer alike (`tcp` sets them on hyper, `h3` on quinn
//! and h3).

/// Largest request header section, in bytes: HTTP/2's
/// `SETTINGS_MAX_HEADER_LIST_SIZE` (RFC 9113 §6.5.2) and HTTP/3's
/// `SETTINGS_MAX_FIELD_SECTION_SIZE` (RFC 9114 §4.2.2, §7.2.4.1), both
/// counted as RFC 9110 §5 field lines + 32 bytes each. (HTTP/1.1 is bounded
/// by [`HTTP1_MAX_BUF_BYTES`] and hyper's 100 fields.) A larger one gets 431
/// (RFC 6585 §5) where the protocol allows an answer.
pub const MAX_HEADER_BYTES: u32 = 16 * 1024;

/// HTTP/1.1's read buffer: a request head (request line and header
/// section, RFC 9112 §2.1) that does not fit gets 431 (RFC 6585 §5).
/// Twice [`MAX_HEADER_BYTES`], as HTTP/3 allows the encoded section twice
/// the decoded limit: room for a long request line. hyper's default is
/// about 400 KiB, which let a 256 KiB header field through (the hostile
/// campaign, docs/RELIABILITY.md).
pub const HTTP1_MAX_BUF_BYTES: usize = 2 * MAX_HEADER_BYTES as usize;

/// Requests one connection may have open at once (HTTP/2
/// `SETTINGS_MAX_CONCURRENT_STREAMS`, RFC 9113 §6.5.2; HTTP/3 through
/// QUIC's `initial_max_streams_bidi`, RFC 9000 §4.6).
pub const MAX_CONCURRENT_STREAMS: u32 = 256;

/// An idle connection is closed after this long: HTTP/2 pings a silent
/// peer at this interval, and QUIC's `max_idle_timeout` (RFC 9000 §10.1).
pub const IDLE_TIMEOUT_SECS: u64 = 30;
