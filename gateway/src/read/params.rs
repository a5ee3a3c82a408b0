//! Parsing query parameters into typed values with stable 400 codes.
//!
//! HTML forms send every field, blank ones as `name=`; an empty value therefore means "not
//! given" everywhere, so the dashboard and the API share one parser.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ApiError;

/// Longest accepted cursor, in characters.
pub const MAX_CURSOR_LEN: usize = 512;

/// `None` for an absent or blank value, else the trimmed value.
pub fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// An integer in `min..=max`, or 400 `code`.
pub fn int(
    v: &Option<String>,
    name: &str,
    min: i64,
    max: i64,
    code: &'static str,
) -> Result<Option<i64>, ApiError> {
    match given(v) {
        None => Ok(None),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::bad(
                code,
                format!("{name} must be an integer in {min}..={max}"),
            )),
        },
    }
}

/// `true`/`false` (also `1`/`0`), or 400 `code`.
pub fn boolean(
    v: &Option<String>,
    name: &str,
    code: &'static str,
) -> Result<Option<bool>, ApiError> {
    match given(v) {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(_) => Err(ApiError::bad(code, format!("{name} must be true or false"))),
    }
}

/// Page size: `default` when absent, else 1..=`max`, or 400 `invalid_limit`.
pub fn limit(v: &Option<String>, default: u32, max: u32) -> Result<u32, ApiError> {
    match given(v) {
        None => Ok(default),
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::bad(
                "invalid_limit",
                format!("limit must be 1..={max}"),
            )),
        },
    }
}

/// An RFC 3339 time, or 400 `invalid_time`.
pub fn time(v: &Option<String>, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    match given(v) {
        None => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| {
                ApiError::bad(
                    "invalid_time",
                    format!("{name} must be an RFC 3339 time, e.g. 2025-06-02T14:00:00Z"),
                )
            }),
    }
}

/// Encodes a cursor as opaque base64url JSON.
pub fn encode_cursor<T: Serialize>(c: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(c).unwrap_or_default())
}

/// Decodes an opaque cursor, or 400 `invalid_cursor`.
pub fn cursor<T: DeserializeOwned>(v: &Option<String>) -> Result<Option<T>, ApiError> {
    let Some(s) = given(v) else { return Ok(None) };
    let bad = || ApiError::bad("invalid_cursor", "cursor is not valid");
    if s.len() > MAX_CURSOR_LEN {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map(Some).map_err(|_| bad())
}

/// Stored times are RFC 3339 in UTC as chrono writes them (`to_rfc3339`), which sort correctly
/// as text; query bounds are written the same way so plain string comparison (and the time
/// indexes) work.
pub fn sql_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_time_text_sorts_like_time() {
        let base: DateTime<Utc> = "2025-06-02T14:00:00Z".parse().unwrap();
        let mut ts: Vec<DateTime<Utc>> = [0, 5, 500, 550, 600, 1000, 1_500_000]
            .iter()
            .map(|us| base + chrono::Duration::microseconds(*us))
            .collect();
        ts.push(base + chrono::Duration::nanoseconds(1));
        let mut by_text = ts.clone();
        by_text.sort_by_key(sql_time);
        ts.sort();
        assert_eq!(by_text, ts);
    }

    #[test]
    fn blank_means_absent_and_bad_values_have_codes() {
        assert_eq!(int(&Some(" ".into()), "x", 0, 5, "c").unwrap(), None);
        assert_eq!(int(&Some("5".into()), "x", 0, 5, "c").unwrap(), Some(5));
        assert_eq!(
            int(&Some("6".into()), "x", 0, 5, "c").unwrap_err().code(),
            "c"
        );
        assert_eq!(
            boolean(&Some("false".into()), "b", "c").unwrap(),
            Some(false)
        );
        assert!(boolean(&Some("yes".into()), "b", "c").is_err());
        assert_eq!(limit(&None, 50, 200).unwrap(), 50);
        assert!(limit(&Some("0".into()), 50, 200).is_err());
        assert!(time(&Some("2025-06-02".into()), "from").is_err());
        assert_eq!(
            time(&Some("2025-06-02T16:00:00+02:00".into()), "from").unwrap(),
            Some("2025-06-02T14:00:00Z".parse().unwrap())
        );
        assert!(cursor::<Vec<i64>>(&Some("%%".into())).is_err());
        assert_eq!(
            cursor::<Vec<i64>>(&Some(encode_cursor(&vec![1, 2]))).unwrap(),
            Some(vec![1, 2])
        );
    }
}
