//! Dates and times in verified claims. The schema (OpenID Identity
//! Assurance Schema Definition 1.0 §5.4) writes time stamps as ISO 8601
//! `YYYY-MM-DDThh:mm[:ss]TZD` and dates as `YYYY-MM-DD`; stored records
//! here use the stricter RFC 3339 `date-time` (seconds present) and
//! `full-date`, which are what the JSON schema's `format`s name.

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime};

/// An RFC 3339 `date-time`, as Unix seconds.
pub fn date_time(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// Whether an RFC 3339 `date-time` is in UTC (offset `Z` or `+00:00`).
/// IDA 1.0 §8: time stamps "should be represented in Coordinated Universal
/// Time", since an offset can reveal where the customer was.
pub fn is_utc(text: &str) -> bool {
    OffsetDateTime::parse(text, &Rfc3339).is_ok_and(|t| t.offset().is_utc())
}

/// An RFC 3339 `full-date` (`YYYY-MM-DD`).
pub fn full_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(number(5..7)?).ok()?).ok()?;
    let day = u8::try_from(number(8..10)?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// The last second a date or time stamp covers, as Unix seconds: the
/// instant itself for a `date-time`, 23:59:59 UTC for a `full-date`
/// (Identity Assurance 1.0 §5.4.2: elapsed time counts "from the last
/// valid second of the date value").
pub fn last_second(text: &str) -> Option<i64> {
    if let Some(t) = date_time(text) {
        return Some(t);
    }
    let date = full_date(text)?;
    Some(date.midnight().assume_utc().unix_timestamp() + 86_399)
}

/// Whether at most `max_age` seconds passed from `text`'s last second to
/// `now` (Identity Assurance 1.0 §5.4.2 `max_age`). A value that is not a
/// date or time never satisfies it; one in the future always does.
pub fn within_max_age(text: &str, max_age: u64, now: u64) -> bool {
    let Some(last) = last_second(text) else {
        return false;
    };
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    let elapsed = now.saturating_sub(last).max(0);
    u64::try_from(elapsed).is_ok_and(|e| e <= max_age)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_date_times_and_full_dates() {
        assert_eq!(date_time("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(date_time("2021-04-09T14:12Z"), None, "seconds are required here");
        assert!(is_utc("2021-04-09T14:12:00Z") && is_utc("2021-04-09T14:12:00+00:00"));
        assert!(!is_utc("2021-04-09T14:12:00+02:00"));
        assert!(full_date("2021-02-28").is_some());
        assert!(full_date("2021-02-30").is_none());
        assert!(full_date("21-02-28").is_none());
        assert!(full_date("2021-0a-28").is_none());
        assert_eq!(last_second("1970-01-01"), Some(86_399));
    }

    #[test]
    fn max_age_counts_from_the_last_second_ida_s5_4_2() {
        // A date covers its whole day: at 00:00 the next day, one second passed.
        assert!(within_max_age("1970-01-01", 1, 86_400));
        assert!(!within_max_age("1970-01-01", 0, 86_400));
        assert!(within_max_age("1970-01-01T00:00:10Z", 5, 15));
        assert!(!within_max_age("1970-01-01T00:00:10Z", 4, 15));
        assert!(
            within_max_age("2100-01-01T00:00:00Z", 0, 15),
            "future counts as fresh"
        );
        assert!(!within_max_age("yesterday", 1_000_000, 15));
    }
}
