//! The value envelope: every value the repo layer stores starts with one
//! codec tag byte that says how the rest is encoded.
//!
//! | tag  | encoding |
//! |------|----------|
//! | 0x01 | bincode 2.0.1, `config::standard()` (varint integers, little endian), serde |
//!
//! bincode is pinned (`=2.0.1`): its 3.0.0 release is a deliberate compile
//! error and the project is unmaintained, so we will move to another codec
//! one day. The tag lets new data use a new codec while old data stays
//! readable; an unknown tag is an error, never a guess. Tag 0x00 is never
//! used, so zeroed bytes cannot pass for a value.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The codec new values are written with.
pub const CURRENT_TAG: u8 = TAG_BINCODE2_STANDARD;

/// bincode 2.0.1 with `bincode::config::standard()`.
pub const TAG_BINCODE2_STANDARD: u8 = 0x01;

/// Why stored bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// No bytes at all.
    #[error("empty value: no codec tag")]
    Empty,
    /// A tag this build does not know: written by a newer build, or not ours.
    #[error("unknown codec tag 0x{0:02x}: written by a newer version of Fiducia, or corrupt")]
    UnknownTag(u8),
    /// The tag is known but the bytes do not decode as the expected type.
    #[error("value does not decode: {0}")]
    Malformed(String),
    /// The value could not be encoded.
    #[error("value does not encode: {0}")]
    Encode(String),
}

impl From<CodecError> for super::kv::KvError {
    fn from(error: CodecError) -> Self {
        Self::Corrupt(error.to_string())
    }
}

/// Encodes `value` behind the current codec tag.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    // Room for a typical record, so that encoding does not reallocate.
    let mut out = Vec::with_capacity(384);
    out.push(CURRENT_TAG);
    bincode::serde::encode_into_std_write(value, &mut out, bincode::config::standard())
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    Ok(out)
}

/// Decodes a whole value written by [`encode`]; trailing bytes are an error.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (value, used) = decode_prefix(bytes)?;
    if used != bytes.len() {
        return Err(CodecError::Malformed(format!(
            "{} trailing bytes",
            bytes.len() - used
        )));
    }
    Ok(value)
}

/// Decodes a `T` from the start of a value written by [`encode`] and says how
/// many bytes (tag included) it took. A record's metadata is encoded first,
/// so the sweeper reads it without knowing the payload's type.
pub fn decode_prefix<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, usize), CodecError> {
    let (&tag, body) = bytes.split_first().ok_or(CodecError::Empty)?;
    match tag {
        TAG_BINCODE2_STANDARD => {
            let (value, used) = bincode::serde::decode_from_slice(body, bincode::config::standard())
                .map_err(|e| CodecError::Malformed(e.to_string()))?;
            Ok((value, used + 1))
        }
        other => Err(CodecError::UnknownTag(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        id: String,
        expires_at: u64,
        scopes: Vec<String>,
    }

    fn sample() -> Sample {
        Sample {
            id: "abc".into(),
            expires_at: 1_700_000_000,
            scopes: vec!["openid".into(), "accounts".into()],
        }
    }

    #[test]
    fn round_trips_behind_the_tag() {
        let bytes = encode(&sample()).unwrap();
        assert_eq!(bytes[0], TAG_BINCODE2_STANDARD);
        assert_eq!(decode::<Sample>(&bytes).unwrap(), sample());
    }

    #[test]
    fn unknown_tag_is_refused_not_misread() {
        let mut bytes = encode(&sample()).unwrap();
        bytes[0] = 0x02;
        assert_eq!(decode::<Sample>(&bytes), Err(CodecError::UnknownTag(0x02)));
        bytes[0] = 0x00;
        assert_eq!(decode::<Sample>(&bytes), Err(CodecError::UnknownTag(0x00)));
        assert_eq!(decode::<Sample>(&[]), Err(CodecError::Empty));
    }

    #[test]
    fn truncated_or_padded_values_are_malformed() {
        let bytes = encode(&sample()).unwrap();
        assert!(matches!(
            decode::<Sample>(&bytes[..bytes.len() - 1]),
            Err(CodecError::Malformed(_))
        ));
        let mut padded = bytes.clone();
        padded.push(0);
        assert!(matches!(decode::<Sample>(&padded), Err(CodecError::Malformed(_))));
    }

    #[test]
    fn a_prefix_decodes_without_the_rest() {
        let bytes = encode(&(7u64, sample())).unwrap();
        let (first, used): (u64, usize) = decode_prefix(&bytes).unwrap();
        assert_eq!((first, used), (7, 2));
    }
}
