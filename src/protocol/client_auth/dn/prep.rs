//! RFC 4518 string preparation for caseIgnoreMatch (RFC 4517 §4.2.11), the
//! equality rule of every string attribute we compare (CN, O, OU, C, L, ST,
//! STREET, UID, serialNumber, organizationIdentifier; DC and emailAddress
//! use caseIgnoreIA5Match, which prepares IA5 text the same way).
//!
//! Steps (RFC 4518 §2):
//! 1. transcode to Unicode (done by the caller);
//! 2. map (§2.2): soft hyphens, joiners, variation selectors, controls to
//!    nothing; white space (tab, LF, VT, FF, CR, NEL, and every separator
//!    character) to SPACE; case folding;
//! 3. normalize to NFKC (§2.3): **not done** (no Unicode normalization
//!    tables here); two spellings that differ only by compatibility forms do
//!    not match. This fails closed: a registered DN never matches more
//!    certificates than it should;
//! 4. prohibit (§2.4): private use, non-characters, U+FFFD, U+0340/0341
//!    make the value unmatchable
//!    (the assertion is Undefined, so no match); unassigned code points are
//!    not detected (no tables);
//! 5. bidi (§2.5): nothing;
//! 6. insignificant space handling (§2.6.1): leading and trailing spaces
//!    dropped, inner runs of spaces compared as one.
//!
//! Case folding is approximated by lowercasing the uppercased text, which
//! equals Unicode full case folding (RFC 3454 table B.2) except for a
//! handful of characters; again it can only make values differ, never
//! make different values equal beyond what case folding would.

/// The prepared value, or `None` when it contains a prohibited character.
pub(super) fn case_ignore(value: &str) -> Option<String> {
    let mut mapped = String::with_capacity(value.len());
    for ch in value.chars() {
        if prohibited(ch) {
            return None;
        }
        if mapped_to_nothing(ch) {
            continue;
        }
        mapped.push(if ch.is_whitespace() { ' ' } else { ch });
    }
    let folded = mapped.to_uppercase().to_lowercase();
    Some(
        folded
            .split(' ')
            .filter(|word| !word.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// RFC 4518 §2.2: characters mapped to nothing (soft hyphens, joiners,
/// variation selectors, U+FFFC, zero width space, and the complete list of
/// control and format code points given there).
fn mapped_to_nothing(ch: char) -> bool {
    matches!(u32::from(ch),
        0x00AD | 0x1806 | 0x034F | 0x180B..=0x180D | 0xFE00..=0xFE0F | 0xFFFC | 0x200B
        | 0x0000..=0x0008 | 0x000E..=0x001F | 0x007F..=0x0084 | 0x0086..=0x009F
        | 0x06DD | 0x070F | 0x180E | 0x200C..=0x200F | 0x202A..=0x202E | 0x2060..=0x2063
        | 0x206A..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

/// RFC 4518 §2.4: U+FFFD, private use (RFC 3454 C.3), non-characters (C.4)
/// and what is left of C.8 after mapping (U+0340, U+0341). Surrogates (C.5)
/// cannot occur in a Rust `char`; C.9 was mapped to nothing.
fn prohibited(ch: char) -> bool {
    let cp = u32::from(ch);
    matches!(cp, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD | 0xFDD0..=0xFDEF | 0xFFFD | 0x0340 | 0x0341)
        || cp & 0xFFFE == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::case_ignore;

    #[test]
    fn case_and_insignificant_space_rfc4518_s2_2_s2_6_1() {
        assert_eq!(case_ignore("  Acme   Ltd ").as_deref(), Some("acme ltd"));
        assert_eq!(case_ignore("Acme\tLtd").as_deref(), Some("acme ltd"));
        assert_eq!(case_ignore("Acme\u{00A0}Ltd").as_deref(), Some("acme ltd"));
        assert_eq!(case_ignore("So\u{00AD}ftware").as_deref(), Some("software"));
        assert_eq!(case_ignore("x\u{202E}y\u{200B}").as_deref(), Some("xy"));
        assert_eq!(case_ignore("STRASSE"), case_ignore("straße"));
        assert_eq!(case_ignore("ΣΊΣΥΦΟΣ"), case_ignore("σίσυφος"));
        assert_eq!(case_ignore("").as_deref(), Some(""));
    }

    #[test]
    fn prohibited_characters_make_values_unmatchable_rfc4518_s2_4() {
        for bad in ["a\u{E000}", "\u{FFFD}", "x\u{0340}", "\u{FFFF}", "\u{10FFFF}"] {
            assert_eq!(case_ignore(bad), None, "{bad:?}");
        }
    }
}
