//! `binding_message` (CIBA Core §7.1): a short text shown on both the
//! consumption device and the authentication device so the customer can
//! tell that the request on their phone is the one in front of them. It
//! "SHOULD be relatively short and use a limited set of plain text
//! characters"; one the OP will not show is `invalid_binding_message`
//! (§13).
//!
//! Here: 1 to [`MAX_BINDING_MESSAGE_CHARS`] characters, none of them a
//! control character (Unicode Cc: no line breaks, tabs, escapes) or an
//! invisible formatting character that could make the device show other
//! text than the client's screen (bidirectional overrides and isolates,
//! zero-width characters, the byte-order mark), and not only white space.

use crate::protocol::error::{ErrorCode, OAuthError};

/// Longest binding message, in characters (Unicode scalar values).
pub const MAX_BINDING_MESSAGE_CHARS: usize = 64;

/// A binding message the device may show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingMessage(String);

impl BindingMessage {
    /// The text, as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned (what the stored request keeps).
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Characters that change how text is laid out without being seen:
/// bidirectional marks, embeddings, overrides and isolates (Unicode UAX #9),
/// zero-width space and joiners, word joiner and invisible operators, BOM.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

impl TryFrom<&str> for BindingMessage {
    type Error = OAuthError;

    /// CIBA Core §7.1 / §13: `invalid_binding_message` for one the device
    /// cannot show as it is.
    fn try_from(text: &str) -> Result<Self, OAuthError> {
        let bad = |why: &'static str| Err(OAuthError::new(ErrorCode::InvalidBindingMessage, why));
        if text.chars().count() > MAX_BINDING_MESSAGE_CHARS {
            return bad("binding_message is longer than 64 characters (CIBA Core §7.1)");
        }
        if text.chars().any(char::is_control) {
            return bad("binding_message must not contain control characters (CIBA Core §7.1)");
        }
        if text.chars().any(is_invisible_format) {
            return bad("binding_message must not contain invisible formatting characters (CIBA Core §7.1)");
        }
        if text.trim().is_empty() {
            return bad("binding_message is blank (CIBA Core §7.1)");
        }
        Ok(Self(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        BindingMessage::try_from(text).is_err_and(|e| e.code == ErrorCode::InvalidBindingMessage)
    }

    /// CIBA Core §7.1: short plain text, including letters beyond ASCII.
    #[test]
    fn short_plain_text_is_accepted_ciba_core_s7_1() {
        for good in [
            "W4SCT",
            "Pay £12.50 to Corner Café",
            "Zahlung 12,50 € an Bäckerei",
            "a",
        ] {
            assert_eq!(BindingMessage::try_from(good).unwrap().as_str(), good);
        }
    }

    /// CIBA Core §7.1 / §13: 64 characters are accepted, 65 are
    /// `invalid_binding_message`; characters, not bytes, are counted.
    #[test]
    fn the_length_limit_is_64_characters_ciba_core_s13() {
        assert!(BindingMessage::try_from("x".repeat(64).as_str()).is_ok());
        assert!(refused(&"x".repeat(65)));
        // 64 two-byte characters: 128 bytes, still 64 characters.
        assert!(BindingMessage::try_from("é".repeat(64).as_str()).is_ok());
        assert!(refused(&"é".repeat(65)));
    }

    /// CIBA Core §7.1 / §13: control characters and invisible formatting
    /// (which could make the phone show other text than the till) are refused.
    #[test]
    fn control_and_invisible_characters_are_invalid_binding_message_ciba_core_s13() {
        for bad in [
            "line\nbreak",
            "tab\there",
            "nul\0",
            "esc\u{1b}[31m",
            "del\u{7f}",
            "c1\u{85}",
            "pay 10 \u{202E}001 yap",
            "zero\u{200B}width",
            "iso\u{2066}late\u{2069}",
            "\u{FEFF}bom",
            "   ",
        ] {
            assert!(refused(bad), "{bad:?}");
        }
    }
}
