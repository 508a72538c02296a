//! Money as an integer count of 1/100000 of the currency unit: Open Banking
//! amounts are `^\d{1,13}$|^\d{1,13}\.\d{1,5}$` (`OBActiveCurrencyAndAmount_SimpleType`),
//! so 13 integer digits and 5 fraction digits fit an `i64` exactly, and
//! ledger arithmetic never rounds.

/// Fraction digits kept.
const SCALE_DIGITS: usize = 5;
/// 10^SCALE_DIGITS.
const SCALE: i64 = 100_000;

/// Parses an Open Banking amount; `None` when it is not one.
pub fn parse(text: &str) -> Option<i64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |p: &str| p.bytes().all(|c| c.is_ascii_digit());
    if int.is_empty() || int.len() > 13 || !digits(int) || !digits(frac) || frac.len() > SCALE_DIGITS {
        return None;
    }
    if text.contains('.') && frac.is_empty() {
        return None;
    }
    let whole: i64 = int.parse().ok()?;
    let mut fraction: i64 = 0;
    for i in 0..SCALE_DIGITS {
        let digit = frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        fraction = fraction * 10 + digit;
    }
    whole.checked_mul(SCALE)?.checked_add(fraction)
}

/// Formats an amount with at least two fraction digits (`123.50`, `0.00125`).
pub fn format(units: i64) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let units = units.unsigned_abs();
    let scale = SCALE.unsigned_abs();
    let fraction = format!("{:05}", units % scale);
    let trimmed = fraction.trim_end_matches('0');
    let shown = if trimmed.len() < 2 {
        &fraction[..2]
    } else {
        trimmed
    };
    format!("{sign}{}.{shown}", units / scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_banking_amounts_parse_exactly() {
        assert_eq!(parse("123.50"), Some(12_350_000));
        assert_eq!(parse("123.5"), parse("123.50"));
        assert_eq!(parse("0.00001"), Some(1));
        assert_eq!(parse("7"), Some(700_000));
        for bad in ["", "-1", "1.", ".5", "1.000001", "1e3", "12345678901234", "1,5"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn amounts_format_with_two_or_more_decimals() {
        assert_eq!(format(12_350_000), "123.50");
        assert_eq!(format(1), "0.00001");
        assert_eq!(format(0), "0.00");
        assert_eq!(format(-150_000), "-1.50");
    }
}
