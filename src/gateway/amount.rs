//! Payment amounts as both consent shapes carry them (RFC 9396
//! `instructedAmount.amount`, UK OBIE `InstructedAmount.Amount`): decimal
//! strings, compared by value.

/// Decimal amounts compared by value: `123.5` is `123.50`.
pub fn same_amount(a: &str, b: &str) -> bool {
    fn canonical(s: &str) -> Option<(String, String)> {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |p: &str| p.bytes().all(|c| c.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) {
            return None;
        }
        let int = int.trim_start_matches('0');
        Some((int.to_string(), frac.trim_end_matches('0').to_string()))
    }
    matches!((canonical(a), canonical(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_compare_by_value() {
        assert!(same_amount("0010.10", "10.1"));
        assert!(!same_amount("10.1", "10.01"));
        assert!(!same_amount("-1", "-1"));
    }
}
