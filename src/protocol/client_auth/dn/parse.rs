//! RFC 4514 string representation of a distinguished name, parsed.
//!
//! Strict where it matters (escapes, hex pairs, UTF-8, attribute types) and
//! liberal where registrations commonly differ from §3's grammar: white
//! space around `,`, `+` and `=` is ignored, `;` separates RDNs as in
//! RFC 2253 §4, and a value's unescaped leading and trailing spaces are
//! dropped (they are insignificant for caseIgnoreMatch anyway, RFC 4518 §2.6.1).
//!
//! The string lists RDNs last-to-first (RFC 4514 §2.1); [`parse`] returns
//! them in ASN.1 order, as a certificate holds them.

use super::attrs::attribute_type_oid;
use super::error::DnError;

/// An attribute value as written: text, or `#` followed by the hex of its
/// BER encoding (RFC 4514 §2.4, §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum WrittenValue {
    Text(String),
    Ber(Vec<u8>),
}

/// RDNs in ASN.1 order, each a list of (attribute type OID, value).
pub(super) type ParsedDn = Vec<Vec<(Vec<u64>, WrittenValue)>>;

pub(super) fn parse(input: &str) -> Result<ParsedDn, DnError> {
    let mut parser = Parser {
        rest: input.trim_start(),
    };
    let mut rdns = Vec::new();
    if parser.rest.trim_end().is_empty() {
        return Ok(rdns);
    }
    let mut rdn = Vec::new();
    loop {
        let oid = parser.attribute_type()?;
        let value = parser.attribute_value()?;
        rdn.push((oid, value));
        match parser.next_separator() {
            Some('+') => {}
            Some(_) => rdns.push(std::mem::take(&mut rdn)),
            None => {
                rdns.push(rdn);
                break;
            }
        }
    }
    rdns.reverse();
    Ok(rdns)
}

struct Parser<'a> {
    rest: &'a str,
}

impl Parser<'_> {
    /// `attributeType "="` (RFC 4514 §3).
    fn attribute_type(&mut self) -> Result<Vec<u64>, DnError> {
        let (name, rest) = self
            .rest
            .split_once('=')
            .ok_or(DnError::Syntax("expected `type=value`"))?;
        self.rest = rest.trim_start();
        attribute_type_oid(name.trim()).ok_or(DnError::Syntax("unknown attribute type"))
    }

    /// `attributeValue`, up to an unescaped `,`, `;`, `+` or the end.
    fn attribute_value(&mut self) -> Result<WrittenValue, DnError> {
        if let Some(hex) = self.rest.strip_prefix('#') {
            let end = hex.find([',', ';', '+']).unwrap_or(hex.len());
            self.rest = &hex[end..];
            return decode_hex(hex[..end].trim_end()).map(WrittenValue::Ber);
        }
        let mut bytes = Vec::new();
        // Length of `bytes` up to the last significant (non-space or escaped) byte.
        let mut significant = 0;
        let mut chars = self.rest.char_indices();
        let mut end = self.rest.len();
        while let Some((i, ch)) = chars.next() {
            match ch {
                ',' | ';' | '+' => {
                    end = i;
                    break;
                }
                '"' | '<' | '>' | '\0' => return Err(DnError::Syntax("character must be escaped")),
                '\\' => {
                    let (_, next) = chars.next().ok_or(DnError::Syntax("dangling `\\`"))?;
                    if next.is_ascii_hexdigit() {
                        let (_, low) = chars.next().ok_or(DnError::Syntax("incomplete hex pair"))?;
                        let pair: String = [next, low].iter().collect();
                        let byte =
                            u8::from_str_radix(&pair, 16).map_err(|_| DnError::Syntax("bad hex pair"))?;
                        bytes.push(byte);
                    } else if "\"+,;<>\\ #=".contains(next) {
                        bytes.push(next as u8);
                    } else {
                        return Err(DnError::Syntax("bad escape"));
                    }
                    significant = bytes.len();
                }
                _ => {
                    let mut buf = [0u8; 4];
                    bytes.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    if ch != ' ' {
                        significant = bytes.len();
                    }
                }
            }
        }
        self.rest = &self.rest[end..];
        bytes.truncate(significant);
        String::from_utf8(bytes)
            .map(WrittenValue::Text)
            .map_err(|_| DnError::Syntax("value is not UTF-8"))
    }

    /// Consumes `,`, `;` or `+` (and surrounding space); `None` at the end.
    fn next_separator(&mut self) -> Option<char> {
        let mut chars = self.rest.chars();
        let separator = chars.next()?;
        self.rest = chars.as_str().trim_start();
        Some(separator)
    }
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, DnError> {
    if hex.is_empty() || !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DnError::Syntax("bad hexstring"));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| DnError::Syntax("bad hexstring")))
        .collect()
}
