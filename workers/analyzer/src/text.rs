//! Small text helpers shared by the extractors: number parsing, byte-to-character offsets,
//! sentence context and money formatting. Pure functions, no I/O.

use once_cell::sync::Lazy;
use regex::Regex;

/// A plain number as listings write it: `1,335,413`, `5,999.00`, `125`, `.50`.
pub(crate) const NUM: &str = r"(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)";

/// An optional multiplier after a number: `K`, `M`, `MM`, `mil`, `million`, `thousand`.
pub(crate) const MULT: &str = r"(?:\s?(?:k|mm|m|mil|million|milllion|thousand)\b)?";

/// Parses a number written like [`NUM`] with an optional [`MULT`] suffix.
pub(crate) fn parse_amount(num: &str, mult: Option<&str>) -> Option<f64> {
    let cleaned: String = num
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let v: f64 = cleaned.parse().ok()?;
    let m = match mult.map(|m| m.trim().to_ascii_lowercase()) {
        None => 1.0,
        Some(m) if m.is_empty() => 1.0,
        Some(m) if m == "k" || m == "thousand" => 1e3,
        Some(m) if m == "m" || m == "mm" || m == "mil" || m.starts_with("mil") => 1e6,
        Some(_) => 1.0,
    };
    let out = v * m;
    out.is_finite().then_some(out)
}

/// Character offsets (not bytes) of the byte range `start..end` of `text`.
///
/// Facts and evidence carry character offsets, as the event contract says, so that a
/// consumer in any language can slice the description by characters.
pub(crate) fn char_span(text: &str, start: usize, end: usize) -> (usize, usize) {
    let s = text.get(..start).map(|t| t.chars().count()).unwrap_or(0);
    let len = text.get(start..end).map(|t| t.chars().count()).unwrap_or(0);
    (s, s + len)
}

/// The part of `text` before byte `at`, back to the start of its sentence, at most `max_chars`
/// characters. Used to see whether a figure is a projection or a possibility.
pub(crate) fn sentence_before(text: &str, at: usize, max_chars: usize) -> &str {
    let head = text.get(..at).unwrap_or("");
    // A sentence ends at ! ? newline, or a period followed by whitespace (not "0.80"). Scanned
    // backwards from `at`, and no further than `max_chars` characters can reach (4 bytes
    // each at most), so the cost is bounded by the window, not by the sentence: the extractor
    // asks this for every candidate match, and a long text without punctuation made it cost
    // time in the square of its length.
    let mut lo = at.saturating_sub(max_chars.saturating_mul(4));
    while lo > 0 && !head.is_char_boundary(lo) {
        lo -= 1;
    }
    let bytes = head.as_bytes();
    let mut cut = lo;
    for i in (lo..bytes.len()).rev() {
        let ends = match bytes[i] {
            b'!' | b'?' | b'\n' => true,
            b'.' => bytes
                .get(i + 1)
                .map(|n| n.is_ascii_whitespace())
                .unwrap_or(false),
            _ => false,
        };
        if ends {
            cut = i + 1;
            break;
        }
    }
    let sentence = &head[cut..];
    // Only the last `max_chars` characters: walk back that many char starts.
    let mut taken = 0;
    for (i, _) in sentence.char_indices().rev() {
        taken += 1;
        if taken == max_chars {
            return &sentence[i..];
        }
    }
    sentence
}

/// Compiles one of the extractor's static patterns, with every `\b` made an ASCII word
/// boundary (`(?-u:\b)`).
///
/// Why: regex's fast engine (the lazy DFA) cannot evaluate a Unicode word boundary once the text
/// holds a non-ASCII character, and then every search falls back to a backtracker or PikeVM,
/// several times slower. Real descriptions are full of curly quotes, dashes and bullets. All our
/// boundaries sit next to ASCII keywords and digits, where both kinds agree; they differ only
/// beside a non-ASCII letter (the ASCII kind sees a boundary between "f" and "é"), which no
/// pattern relies on. The pinned cards of the 1,613 real listings did not change.
pub(crate) fn regex(pattern: &str) -> Regex {
    Regex::new(&pattern.replace(r"\b", r"(?-u:\b)")).expect("static regex")
}

/// Words that make a feature hypothetical: a possibility, a former use, or something nearby
/// rather than on the site ("can also add gasoline", "former gas station", "next to a truck stop").
static HYPOTHETICAL: Lazy<Regex> = Lazy::new(|| {
    regex(
        r"(?i)\b(?:potential(?:ly)?|possib(?:le|ility)|could|can\s+(?:also\s+)?(?:add|easily|be)|add(?:ing)?|good\s+for|ideal\s+for|suitable\s+for|perfect\s+for|zoned\s+for|would|convert(?:ed)?|conversion|former(?:ly)?|previously|used\s+to\s+be|next\s+to|nearby|across\s+(?:the\s+street\s+)?from|adjacent\s+to|close\s+to|future|planned|proposed|room\s+(?:for|to))\b",
    )
});

/// Words that make a figure a projection rather than a result ("Projected ... volume is 1M/month").
static PROJECTION: Lazy<Regex> = Lazy::new(|| {
    regex(
        r"(?i)(?:project(?:ed|ion|ions|s)?|\bexpect(?:ed|s)?|potential(?:ly)?|possible|could|can\s+(?:reach|do|easily)|forecast(?:ed)?|pro\s*-?\s*forma|estimated|anticipated|should|would|upside)\b",
    )
});

/// Whether the sentence before byte `at` (up to `window` characters) makes what follows
/// hypothetical (possible, former, nearby).
pub(crate) fn is_hypothetical(text: &str, at: usize, window: usize) -> bool {
    HYPOTHETICAL.is_match(sentence_before(text, at, window))
}

/// Whether the sentence before byte `at` makes the figure that follows a projection.
pub(crate) fn is_projection(text: &str, at: usize) -> bool {
    PROJECTION.is_match(sentence_before(text, at, 60))
}

static NEGATION: Lazy<Regex> = Lazy::new(|| {
    regex(r"(?i)(?:\b(?:no|not|never|without|none|nor|free\s+of)\b|n't\b)\W*(?:\w+\W+){0,2}$")
});

/// Whether the two or three words right before byte `at` negate what follows ("does NOT have
/// Lottery", "no leaks").
pub(crate) fn is_negated(text: &str, at: usize) -> bool {
    NEGATION.is_match(sentence_before(text, at, 40))
}

static DIRECT_NEGATION: Lazy<Regex> =
    Lazy::new(|| regex(r"(?i)(?:\b(?:no|not|without|non|never)|n't)\W*$"));

/// Whether the word right before byte `at` negates what follows ("no gas", "non-branded"), for
/// terms where a negation two words back is about something else ("No Goodwill Gas station").
pub(crate) fn is_directly_negated(text: &str, at: usize) -> bool {
    DIRECT_NEGATION.is_match(sentence_before(text, at, 20))
}

/// `$1,234,567` (negative amounts keep their sign).
pub fn usd(v: i64) -> String {
    let mut out = String::with_capacity(16);
    if v < 0 {
        out.push('-');
    }
    out.push('$');
    push_grouped(&mut out, v.unsigned_abs());
    out
}

/// Appends `n` in decimal with a comma every three digits (`1,335,413`), without allocating.
fn push_grouped(out: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let digits = &buf[i..];
    for (k, &d) in digits.iter().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(char::from(d));
    }
}

/// A number with thousands separators and no unnecessary decimals: `275,000`, `0.5`.
pub fn num(v: f64) -> String {
    let mut out = String::with_capacity(12);
    push_num(&mut out, v);
    out
}

/// Appends [`num`]`(v)` to `out` (no intermediate strings: rule texts are built per factor
/// of every card, a tenth of the scoring time went to these conversions).
pub fn push_num(out: &mut String, v: f64) {
    if (v - v.round()).abs() < 1e-9 && v.abs() < 9.0e15 {
        let r = v.round() as i64;
        if r < 0 {
            out.push('-');
        }
        push_grouped(out, r.unsigned_abs());
    } else if v.is_finite() && v.abs() < 9.0e13 {
        // Two decimals at most, trailing zeros dropped, the whole part grouped like an
        // integer's: `81,985.33` (a fact list once showed `81985.33` beside `275,000`).
        let cents = (v.abs() * 100.0).round() as u64;
        if cents == 0 {
            out.push('0');
            return;
        }
        if v < 0.0 {
            out.push('-');
        }
        push_grouped(out, cents / 100);
        let frac = cents % 100;
        if frac != 0 {
            out.push('.');
            out.push(char::from(b'0' + (frac / 10) as u8));
            if !frac.is_multiple_of(10) {
                out.push(char::from(b'0' + (frac % 10) as u8));
            }
        }
    } else {
        use std::fmt::Write as _;
        let r = (v * 100.0).round() / 100.0;
        let _ = write!(out, "{r}");
    }
}

/// Rounds to two decimals (points, ratios).
pub(crate) fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window bounds the backward scan without changing what is returned: a sentence end
    /// inside the window still cuts it; beyond it, the last `max_chars` characters are kept.
    #[test]
    fn sentence_before_is_the_same_whatever_the_text_before_the_window() {
        let long = format!(
            "{}could add gas pumps {}",
            "word ".repeat(50_000),
            "é".repeat(10)
        );
        let at = long.len();
        assert_eq!(sentence_before(&long, at, 30).chars().count(), 30);
        assert!(sentence_before(&long, at, 30).ends_with("éééééééééé"));
        assert_eq!(
            sentence_before("Old sale. Could add gas", 23, 40),
            " Could add gas"
        );
        assert_eq!(sentence_before("x\nab", 4, 40), "ab");
        assert!(is_hypothetical(&long, long.find("gas pumps").unwrap(), 30));
    }

    #[test]
    fn amounts_with_separators_decimals_and_suffixes() {
        assert_eq!(parse_amount("1,335,413", None), Some(1_335_413.0));
        assert_eq!(parse_amount("5,999.00", None), Some(5_999.0));
        assert_eq!(parse_amount("55", Some("K")), Some(55_000.0));
        assert_eq!(parse_amount("1", Some("M")), Some(1_000_000.0));
        assert_eq!(parse_amount(".50", None), Some(0.5));
        assert_eq!(parse_amount("abc", None), None);
    }

    #[test]
    fn char_span_counts_characters_not_bytes() {
        let t = "Café – 80,000 gallons per month";
        let b = t.find("80,000").unwrap();
        let (s, e) = char_span(t, b, b + "80,000".len());
        let quote: String = t.chars().skip(s).take(e - s).collect();
        assert_eq!(quote, "80,000");
        assert_eq!(s, 7); // 'é' and '–' are multi-byte
    }

    #[test]
    fn hypothetical_and_negated_context() {
        let t = "Great store. You can also add gasoline inside it";
        assert!(is_hypothetical(t, t.find("gasoline").unwrap(), 60));
        let t = "Great store. It sells gasoline";
        assert!(!is_hypothetical(t, t.find("gasoline").unwrap(), 60));
        let t = "Seller does NOT have Lottery, ATM";
        assert!(is_negated(t, t.find("Lottery").unwrap()));
        let t = "PA Lottery is a additional source of Income";
        assert!(!is_negated(t, t.find("Lottery").unwrap()));
    }

    #[test]
    fn money_and_number_formatting() {
        assert_eq!(usd(8_499_000), "$8,499,000");
        assert_eq!(usd(-500), "-$500");
        assert_eq!(num(275_000.0), "275,000");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(usd(0), "$0");
        assert_eq!(usd(999), "$999");
        assert_eq!(usd(1_000), "$1,000");
        assert_eq!(usd(i64::MIN), "-$9,223,372,036,854,775,808");
        assert_eq!(num(-1_250.0), "-1,250");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(12.345), "12.35");
        assert_eq!(num(-2.5), "-2.5");
        assert_eq!(num(81_985.33), "81,985.33");
        assert_eq!(num(-1_234_567.5), "-1,234,567.5");
        assert_eq!(num(0.05), "0.05");
        assert_eq!(num(0.004), "0");
        assert_eq!(num(999.999), "1,000");
        let mut rule = String::from("x -> ");
        push_num(&mut rule, 7.0);
        rule.push('/');
        push_num(&mut rule, 12.5);
        assert_eq!(rule, "x -> 7/12.5");
    }
}
