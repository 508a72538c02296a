//! The PROXY protocol (HAProxy's "PROXY protocol" specification, versions 1
//! and 2): a load balancer that passes TCP through (so that TLS, and mTLS,
//! end at the OP) sends one header before the first TLS byte naming the
//! client's address. With `server.proxy_protocol_from`, a connection from one
//! of those peers must begin with a header, and the header's source becomes
//! the connection's peer (rate limits, login throttling, logs); from any
//! other peer no header is read, so a client cannot claim an address.
//!
//! Only the header's own bytes are read (v2: the 16-byte prefix, then its
//! stated length; v1: up to the CRLF), never a byte of the TLS handshake
//! behind it. Bounds: a v1 line of at most 107 bytes (spec §2.1), a v2
//! address block of at most [`MAX_V2_LEN`] bytes (TLVs are skipped).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use tokio::io::{AsyncRead, AsyncReadExt};

/// The v2 signature (spec §2.2).
const V2_SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";
/// Longest v1 line, CRLF included (spec §2.1).
const MAX_V1_LEN: usize = 107;
/// Longest v2 address block and TLVs read; the spec's guaranteed header size
/// is 536 bytes (16 + 520).
pub const MAX_V2_LEN: usize = 520;

/// What a PROXY header says about the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxiedPeer {
    /// The client's address as the balancer saw it.
    Client(SocketAddr),
    /// The balancer speaks for itself (v2 `LOCAL`, v1 `UNKNOWN`, a family
    /// other than TCP over IPv4/IPv6): the TCP peer stays the peer.
    Unknown,
}

/// Why a header was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProxyHeaderError {
    /// Neither signature: the peer did not send a header.
    #[error("no PROXY protocol header")]
    Missing,
    /// A header that breaks the specification.
    #[error("malformed PROXY protocol header: {0}")]
    Malformed(&'static str),
    /// The connection ended or failed before the header did.
    #[error("PROXY protocol header not read: {0}")]
    Io(String),
}

/// Reads exactly one header from `stream`.
pub async fn read_header<R: AsyncRead + Unpin>(stream: &mut R) -> Result<ProxiedPeer, ProxyHeaderError> {
    // 15 bytes: the shortest v1 line ("PROXY UNKNOWN\r\n") and all but the
    // last byte of v2's fixed part.
    let mut start = [0u8; 16];
    read_exact(stream, &mut start[..15]).await?;
    if start[..12] == V2_SIGNATURE {
        read_exact(stream, &mut start[15..]).await?;
        let len = usize::from(u16::from_be_bytes([start[14], start[15]]));
        if len > MAX_V2_LEN {
            return Err(ProxyHeaderError::Malformed("v2 header longer than 536 bytes"));
        }
        let mut rest = vec![0u8; len];
        read_exact(stream, &mut rest).await?;
        return parse_v2(&start, &rest);
    }
    if !start.starts_with(b"PROXY ") {
        return Err(ProxyHeaderError::Missing);
    }
    let mut line = start[..15].to_vec();
    while !line.ends_with(b"\r\n") {
        if line.len() >= MAX_V1_LEN {
            return Err(ProxyHeaderError::Malformed("v1 line longer than 107 bytes"));
        }
        let mut byte = [0u8; 1];
        read_exact(stream, &mut byte).await?;
        line.push(byte[0]);
    }
    parse_v1(&line)
}

async fn read_exact<R: AsyncRead + Unpin>(stream: &mut R, buf: &mut [u8]) -> Result<(), ProxyHeaderError> {
    stream
        .read_exact(buf)
        .await
        .map(|_| ())
        .map_err(|e| ProxyHeaderError::Io(e.to_string()))
}

/// A v1 line, CRLF included (spec §2.1):
/// `PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n` or `PROXY UNKNOWN...`.
pub fn parse_v1(line: &[u8]) -> Result<ProxiedPeer, ProxyHeaderError> {
    let malformed = ProxyHeaderError::Malformed;
    let text = line
        .strip_suffix(b"\r\n")
        .and_then(|l| std::str::from_utf8(l).ok())
        .ok_or(malformed("v1 line not ASCII or not ended by CRLF"))?;
    let mut fields = text.split(' ');
    if fields.next() != Some("PROXY") {
        return Err(malformed("v1 line does not start with PROXY"));
    }
    let family = fields.next().ok_or(malformed("v1 line without a protocol"))?;
    if family == "UNKNOWN" {
        return Ok(ProxiedPeer::Unknown);
    }
    let parts: Vec<&str> = fields.collect();
    let [src, _dst, sport, _dport] = parts[..] else {
        return Err(malformed("v1 line without four address fields"));
    };
    let ip: IpAddr = match family {
        "TCP4" => src.parse::<Ipv4Addr>().map(IpAddr::V4),
        "TCP6" => src.parse::<Ipv6Addr>().map(IpAddr::V6),
        _ => return Err(malformed("v1 protocol is not TCP4, TCP6 or UNKNOWN")),
    }
    .map_err(|_| malformed("v1 source address does not match its protocol"))?;
    // Ports are 0..=65535 without a sign or leading zeros (spec §2.1).
    let port = match sport.parse::<u16>() {
        Ok(port) if !sport.starts_with('+') && (sport == "0" || !sport.starts_with('0')) => port,
        _ => return Err(malformed("v1 source port is not a port number")),
    };
    Ok(ProxiedPeer::Client(SocketAddr::new(ip, port)))
}

/// A v2 header: its 16-byte fixed part and the `len` bytes after it
/// (spec §2.2).
pub fn parse_v2(fixed: &[u8; 16], rest: &[u8]) -> Result<ProxiedPeer, ProxyHeaderError> {
    let malformed = ProxyHeaderError::Malformed;
    if fixed[12] >> 4 != 2 {
        return Err(malformed("v2 version is not 2"));
    }
    match fixed[12] & 0x0f {
        0 => return Ok(ProxiedPeer::Unknown),
        1 => {}
        _ => return Err(malformed("v2 command is neither LOCAL nor PROXY")),
    }
    let be16 = |b: &[u8]| u16::from_be_bytes([b[0], b[1]]);
    match fixed[13] {
        // TCP over IPv4: src, dst, sport, dport.
        0x11 => {
            let a = rest
                .get(..12)
                .ok_or(malformed("v2 IPv4 block shorter than 12 bytes"))?;
            let ip = Ipv4Addr::new(a[0], a[1], a[2], a[3]);
            Ok(ProxiedPeer::Client(SocketAddr::new(
                IpAddr::V4(ip),
                be16(&a[8..10]),
            )))
        }
        // TCP over IPv6.
        0x21 => {
            let a = rest
                .get(..36)
                .ok_or(malformed("v2 IPv6 block shorter than 36 bytes"))?;
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&a[..16]);
            let ip = Ipv6Addr::from(octets);
            Ok(ProxiedPeer::Client(SocketAddr::new(
                IpAddr::V6(ip),
                be16(&a[32..34]),
            )))
        }
        // UNSPEC, UDP, UNIX: nothing the OP can use as a client address.
        _ => Ok(ProxiedPeer::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(bytes: &[u8]) -> (Result<ProxiedPeer, ProxyHeaderError>, Vec<u8>) {
        let mut cursor = std::io::Cursor::new(bytes.to_vec());
        let header = read_header(&mut cursor).await;
        let mut left = Vec::new();
        let _ = cursor.read_to_end(&mut left).await;
        (header, left)
    }

    fn v2(command: u8, family: u8, block: &[u8]) -> Vec<u8> {
        let mut bytes = V2_SIGNATURE.to_vec();
        bytes.push(0x20 | command);
        bytes.push(family);
        bytes.extend_from_slice(&(block.len() as u16).to_be_bytes());
        bytes.extend_from_slice(block);
        bytes
    }

    const TLS_HELLO: &[u8] = &[0x16, 0x03, 0x01, 0x02, 0x00];

    #[tokio::test]
    async fn a_v1_tcp4_line_names_the_client_and_leaves_the_tls_bytes() {
        let mut bytes = b"PROXY TCP4 192.0.2.7 10.0.0.1 51234 8443\r\n".to_vec();
        bytes.extend_from_slice(TLS_HELLO);
        let (header, left) = read(&bytes).await;
        assert_eq!(
            header,
            Ok(ProxiedPeer::Client("192.0.2.7:51234".parse().unwrap()))
        );
        assert_eq!(left, TLS_HELLO);
    }

    #[tokio::test]
    async fn a_v1_tcp6_line_and_an_unknown_one() {
        let (header, _) = read(b"PROXY TCP6 2001:db8::7 2001:db8::1 443 8443\r\n").await;
        assert_eq!(
            header,
            Ok(ProxiedPeer::Client("[2001:db8::7]:443".parse().unwrap()))
        );
        let (header, left) = read(b"PROXY UNKNOWN\r\n\x16").await;
        assert_eq!(header, Ok(ProxiedPeer::Unknown));
        assert_eq!(left, b"\x16");
    }

    #[tokio::test]
    async fn a_v2_ipv4_header_with_a_tlv_names_the_client_and_leaves_the_tls_bytes() {
        let mut block = vec![198, 51, 100, 9, 10, 0, 0, 1];
        block.extend_from_slice(&40000u16.to_be_bytes());
        block.extend_from_slice(&8443u16.to_be_bytes());
        block.extend_from_slice(&[0x04, 0x00, 0x01, 0x00]); // a NOOP TLV, skipped
        let mut bytes = v2(1, 0x11, &block);
        bytes.extend_from_slice(TLS_HELLO);
        let (header, left) = read(&bytes).await;
        assert_eq!(
            header,
            Ok(ProxiedPeer::Client("198.51.100.9:40000".parse().unwrap()))
        );
        assert_eq!(left, TLS_HELLO);
    }

    #[tokio::test]
    async fn a_v2_ipv6_header_and_a_local_one() {
        let mut block = "2001:db8::9".parse::<Ipv6Addr>().unwrap().octets().to_vec();
        block.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        block.extend_from_slice(&[0x01, 0xbb, 0x20, 0xfb]);
        let (header, _) = read(&v2(1, 0x21, &block)).await;
        assert_eq!(
            header,
            Ok(ProxiedPeer::Client("[2001:db8::9]:443".parse().unwrap()))
        );
        let (header, left) = read(&[v2(0, 0x00, &[]), TLS_HELLO.to_vec()].concat()).await;
        assert_eq!(header, Ok(ProxiedPeer::Unknown));
        assert_eq!(left, TLS_HELLO);
    }

    #[tokio::test]
    async fn a_tls_hello_without_a_header_is_missing() {
        let hello = [TLS_HELLO, &[0u8; 20]].concat();
        assert_eq!(read(&hello).await.0, Err(ProxyHeaderError::Missing));
    }

    #[tokio::test]
    async fn broken_headers_are_refused() {
        let malformed =
            |r: Result<ProxiedPeer, ProxyHeaderError>| matches!(r, Err(ProxyHeaderError::Malformed(_)));
        // v1: a line that never ends within 107 bytes.
        let endless = [b"PROXY TCP4 ".as_slice(), &[b'1'; 200]].concat();
        assert!(malformed(read(&endless).await.0));
        // v1: wrong family, address of the other family, bad ports, fields missing.
        for line in [
            "PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n",
            "PROXY TCP4 2001:db8::1 1.2.3.4 1 2\r\n",
            "PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n",
            "PROXY TCP4 1.2.3.4 1.2.3.4 0123 2\r\n",
            "PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n",
        ] {
            assert!(malformed(read(line.as_bytes()).await.0), "{line}");
        }
        // v2: wrong version, unknown command, a length over the bound, a
        // block shorter than its family needs.
        let mut wrong_version = v2(1, 0x11, &[0; 12]);
        wrong_version[12] = 0x11;
        assert!(malformed(read(&wrong_version).await.0));
        assert!(malformed(read(&v2(2, 0x11, &[0; 12])).await.0));
        let mut too_long = v2(1, 0x11, &[]);
        too_long[14..16].copy_from_slice(&600u16.to_be_bytes());
        assert!(malformed(read(&too_long).await.0));
        assert!(malformed(read(&v2(1, 0x21, &[0; 12])).await.0));
        // A connection that ends inside the header.
        assert!(matches!(
            read(&v2(1, 0x11, &[0; 12])[..20]).await.0,
            Err(ProxyHeaderError::Io(_))
        ));
    }
}
