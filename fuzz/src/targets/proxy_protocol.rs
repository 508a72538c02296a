//! The PROXY protocol header a TCP balancer sends first (v1 text, v2
//! binary: the 16-byte fixed part, then the addresses and TLVs).

use fiducia::http::proxy_protocol::{parse_v1, parse_v2};

/// Both versions: the input as a v1 line, and as a v2 header when it is
/// long enough for the fixed part.
pub fn proxy_protocol(data: &[u8]) {
    let _ = parse_v1(data);
    if let Some((fixed, rest)) = data.split_first_chunk::<16>() {
        let _ = parse_v2(fixed, rest);
    }
}
