//! Money strings to whole US dollars.
//!
//! Rule (project issues, `schemas::listing`): money is whole USD and `None` means "not
//! disclosed" — never 0 for unknown. Accepted forms, all seen in the corpus
//! (`testdata/bizbuysell`, see `/work/shared/reference/bizbuysell-pages.md` §c):
//! `$1,370,000`, `$224,000.00`, `1370000.00`, `$5.94M`, `$247K`, `$1.3 MIL`, `1 Million`,
//! `-$12,000`, `$-12,000`, `($12,000)`, `USD 1,000`. Ranges (`125-130K`), rates (`$20/hr`) and
//! any other free text give `None`: figures inside descriptions are not turned into fields.

/// Parses one money value into whole USD (cents rounded half up, away from zero).
///
/// Returns `None` for "Not Disclosed", "N/A", "null", "-", empty input, ranges, and anything
/// that is not a single amount. A leading label such as `Cash Flow:` is NOT stripped here
/// (callers that read label/value text split it first).
pub fn parse_money(s: &str) -> Option<i64> {
    let mut t = s.trim().trim_end_matches('*').trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "not disclosed" | "n/a" | "na" | "null" | "none" | "-" | "--" | "tbd" | "undisclosed"
    ) {
        return None;
    }
    let mut negative = false;
    if t.starts_with('(') && t.ends_with(')') && t.len() >= 2 {
        negative = true;
        t = t.get(1..t.len() - 1).unwrap_or("").trim();
    }
    // Leading sign / currency markers in any order: "-$", "$-", "USD", "US$".
    loop {
        if let Some(r) = t.strip_prefix('-').or_else(|| t.strip_prefix('\u{2212}')) {
            if negative {
                return None;
            }
            negative = true;
            t = r.trim_start();
        } else if let Some(r) = t.strip_prefix("US$") {
            t = r.trim_start();
        } else if let Some(r) = t.strip_prefix('$') {
            t = r.trim_start();
        } else if t.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("usd")) {
            t = t.get(3..).unwrap_or("").trim_start();
        } else {
            break;
        }
    }
    // Trailing currency code.
    if let Some(cut) = t.len().checked_sub(3) {
        if t.get(cut..).is_some_and(|p| p.eq_ignore_ascii_case("usd")) {
            t = t.get(..cut).unwrap_or("").trim_end();
        }
    }
    // Split number and suffix.
    let num_end = t
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == ',' || *c == '.'))
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    let (num, suffix) = t.split_at(num_end);
    let multiplier: i64 = match suffix.trim().to_ascii_lowercase().trim_end_matches('.') {
        "" => 1,
        "k" | "thousand" => 1_000,
        "m" | "mm" | "mil" | "mill" | "million" | "millions" => 1_000_000,
        "b" | "bn" | "billion" => 1_000_000_000,
        _ => return None,
    };
    let (int_part, frac_part) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num, ""),
    };
    if frac_part.contains('.') || frac_part.contains(',') {
        return None;
    }
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    // Thousands separators must group by three ("1,370,000").
    if int_part.contains(',') {
        let mut groups = int_part.split(',');
        let first = groups.next().unwrap_or("");
        if first.is_empty() || first.len() > 3 || groups.any(|g| g.len() != 3) {
            return None;
        }
    }
    let digits: String = int_part.chars().filter(|c| c.is_ascii_digit()).collect();
    let int_val: i64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    // Fraction scaled to the multiplier, computed in integers (no float error):
    // value = (int + frac/10^len) * mult, rounded to whole dollars.
    let frac_digits: Vec<i64> = frac_part
        .chars()
        .map(|c| c.to_digit(10).map(i64::from))
        .collect::<Option<Vec<_>>>()?;
    let mut value = int_val.checked_mul(multiplier)?;
    // Fractional contribution in units of 1/10 dollar first to round.
    let mut frac_scaled: i128 = 0;
    let mut denom: i128 = 1;
    for d in frac_digits.iter().take(12) {
        frac_scaled = frac_scaled * 10 + i128::from(*d);
        denom *= 10;
    }
    if denom > 1 {
        let num = frac_scaled * i128::from(multiplier);
        let whole = num / denom;
        let rem = num % denom;
        let rounded = if rem * 2 >= denom { whole + 1 } else { whole };
        value = value.checked_add(i64::try_from(rounded).ok()?)?;
    }
    Some(if negative { -value } else { value })
}

/// Rounds a JSON/API float (e.g. `1370000.00`) to whole USD; `None` for NaN/infinite/huge.
pub fn from_f64(v: f64) -> Option<i64> {
    if v.is_finite() && v.abs() < 9.0e15 {
        Some(v.round() as i64)
    } else {
        None
    }
}

/// Reads a money value from JSON: a number, or a string in any form [`parse_money`] accepts.
/// `null`, booleans, objects and arrays give `None`.
pub fn from_json(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(from_f64)),
        serde_json::Value::String(s) => parse_money(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_from_the_corpus() {
        assert_eq!(parse_money("$1,370,000"), Some(1_370_000));
        assert_eq!(parse_money("$625,000 "), Some(625_000));
        assert_eq!(parse_money("$224,000.00"), Some(224_000));
        assert_eq!(parse_money("1370000.00"), Some(1_370_000));
        assert_eq!(parse_money("$5.94M"), Some(5_940_000));
        assert_eq!(parse_money("$247K"), Some(247_000));
        assert_eq!(parse_money("$1.3 MIL"), Some(1_300_000));
        assert_eq!(parse_money("1 Million"), Some(1_000_000));
        assert_eq!(parse_money("-$12,000"), Some(-12_000));
        assert_eq!(parse_money("$-12,000"), Some(-12_000));
        assert_eq!(parse_money("($12,000)"), Some(-12_000));
        assert_eq!(parse_money("400,000"), Some(400_000));
        assert_eq!(parse_money("$0.50"), Some(1));
        assert_eq!(parse_money("$1.5mm"), Some(1_500_000));
    }

    #[test]
    fn not_disclosed_and_free_text_are_none() {
        for s in [
            "Not Disclosed",
            "N/A",
            "",
            "  ",
            "null",
            "-",
            "125-130K/month",
            "$20/hr",
            "1.2 Milllion",
            "Vacant gas Station",
            "$1,3",
            "1,2345",
            ".",
            "$",
            "--5",
            "1.2.3",
            "Cash Flow: $1,500,000",
        ] {
            assert_eq!(parse_money(s), None, "{s:?}");
        }
    }
}
