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
    // backwards from `at`, so the cost is the sentence's length, not the offset's: the extractor
    // asks this for every candidate match of a long description.
    let bytes = head.as_bytes();
    let mut cut = 0;
    for i in (0..bytes.len()).rev() {
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

/// A case-insensitive extractor pattern, compiled to run on the ASCII-lowercased text.
///
/// Why: with `(?i)` every letter of a pattern is a two-letter class, so the regex engine's
/// literal prefilter (memchr, Teddy) has many more candidates to look for and confirms far more
/// false starts. The same pattern lowercased and run on the lowercased text finds the same
/// matches at the same byte offsets (ASCII lowercasing keeps every byte's position) two to
/// four times faster on the real descriptions. The one exception is a text holding KELVIN SIGN
/// or LONG S, which `(?i)` folds onto `k` and `s` but ASCII lowercasing does not: for such a
/// text [`FoldedRegex::on`] gives the original `(?i)` pattern, run on the original text (see
/// [`Hay`]).
pub(crate) struct FoldedRegex {
    folded: Regex,
    pattern: String,
    original: once_cell::sync::OnceCell<Regex>,
}

impl FoldedRegex {
    /// Compiles `pattern`, which must start with `(?i)` and be foldable (see `fold_pattern`).
    ///
    /// # Panics
    /// On a pattern that is not: these are the extractor's own static patterns, every one of
    /// them compiled by the tests.
    pub(crate) fn new(pattern: &str) -> Self {
        let folded = fold_pattern(pattern)
            .unwrap_or_else(|| panic!("static pattern cannot run on folded text: {pattern}"));
        FoldedRegex {
            folded: regex(&folded),
            pattern: pattern.to_string(),
            original: once_cell::sync::OnceCell::new(),
        }
    }

    /// The regex to run on `hay`'s text ([`Hay::text`]) or a part of it.
    pub(crate) fn on(&self, hay: &Hay) -> On<'_> {
        if hay.folded {
            On {
                re: &self.folded,
                folded: true,
            }
        } else {
            On {
                re: self.original.get_or_init(|| regex(&self.pattern)),
                folded: false,
            }
        }
    }
}

/// A [`FoldedRegex`] ready for one [`Hay`]: the searches of [`Regex`], on [`Hay::text`] or a
/// slice of it. Debug builds (the tests) check that a folded pattern is never given a text
/// with an ASCII capital, which it would silently fail to match.
pub(crate) struct On<'r> {
    re: &'r Regex,
    folded: bool,
}

impl<'r> On<'r> {
    fn check(&self, hay: &str) {
        debug_assert!(
            !self.folded || !hay.bytes().any(|b| b.is_ascii_uppercase()),
            "a folded pattern was given text that is not lowercased: {hay:?}"
        );
    }

    pub(crate) fn is_match(&self, hay: &str) -> bool {
        self.check(hay);
        self.re.is_match(hay)
    }

    pub(crate) fn find<'h>(&self, hay: &'h str) -> Option<regex::Match<'h>> {
        self.check(hay);
        self.re.find(hay)
    }

    pub(crate) fn find_iter<'h>(&self, hay: &'h str) -> regex::Matches<'r, 'h> {
        self.check(hay);
        self.re.find_iter(hay)
    }

    pub(crate) fn captures<'h>(&self, hay: &'h str) -> Option<regex::Captures<'h>> {
        self.check(hay);
        self.re.captures(hay)
    }

    pub(crate) fn captures_iter<'h>(&self, hay: &'h str) -> regex::CaptureMatches<'r, 'h> {
        self.check(hay);
        self.re.captures_iter(hay)
    }
}

/// A text prepared for the extractor's searches: its case fold for keyword gates, and the
/// haystack of the [`FoldedRegex`] patterns.
pub(crate) struct Hay<'a> {
    original: &'a str,
    /// ASCII lowercased, plus the two non-ASCII letters that `(?i)` folds onto ASCII ones
    /// (KELVIN SIGN -> k, LONG S -> s).
    lower: String,
    /// Whether `lower` keeps every byte offset of `original` (neither of those two letters).
    folded: bool,
}

impl<'a> Hay<'a> {
    /// The haystack for `original`.
    pub(crate) fn new(original: &'a str) -> Self {
        // Almost no text holds either letter: then ASCII lowercasing alone (a fast byte loop)
        // is the fold.
        if original.contains('\u{212A}') || original.contains('\u{17F}') {
            let lower = original
                .chars()
                .map(|c| match c {
                    '\u{212A}' => 'k',
                    '\u{17F}' => 's',
                    c => c.to_ascii_lowercase(),
                })
                .collect();
            Hay {
                original,
                lower,
                folded: false,
            }
        } else {
            Hay {
                original,
                lower: original.to_ascii_lowercase(),
                folded: true,
            }
        }
    }

    /// The text the [`FoldedRegex`] patterns search (take the regex from [`FoldedRegex::on`]):
    /// the lowercased text, or the original one when lowercasing would move byte offsets. Byte
    /// offsets into it are byte offsets into the original either way.
    pub(crate) fn text(&self) -> &str {
        if self.folded {
            &self.lower
        } else {
            self.original
        }
    }

    /// Whether the text contains `keyword` (lowercase), case-insensitively.
    pub(crate) fn contains(&self, keyword: &str) -> bool {
        self.lower.contains(keyword)
    }
}

/// The pattern of a `(?i)` regex for text that is already ASCII-lowercased: the leading `(?i)`
/// dropped and every ASCII letter that is a literal lowercased (escapes such as `\s`, `\b`,
/// `\p{..}` and group syntax such as `(?P<name>` are kept as they are). `None` when the pattern
/// does not start with `(?i)`, changes case sensitivity inside (`(?-i:`, `(?i:`), or holds a
/// non-ASCII letter that has a case (ASCII lowercasing of the text would not fold it).
fn fold_pattern(p: &str) -> Option<String> {
    let rest = p.strip_prefix("(?i)")?;
    if rest.contains("(?-i") || rest.contains("(?i:") {
        return None;
    }
    let b = rest.as_bytes();
    let mut out = String::with_capacity(rest.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            // An escape: copy it verbatim (`\b`, `\s`, `\p{..}`, `\x..`).
            out.push('\\');
            i += 1;
            if i < b.len() {
                let e = b[i];
                if (e == b'p' || e == b'P' || e == b'x' || e == b'u') && b.get(i + 1) == Some(&b'{')
                {
                    let end = rest[i..].find('}').map(|k| i + k + 1).unwrap_or(b.len());
                    out.push_str(&rest[i..end]);
                    i = end;
                    continue;
                }
                let ch = rest[i..].chars().next().unwrap();
                out.push(ch);
                i += ch.len_utf8();
            }
            continue;
        }
        if c == b'(' && b.get(i + 1) == Some(&b'?') {
            // A group's syntax: `(?:`, `(?P<name>`, `(?-u:`: copied verbatim up to its `:`
            // or `>`.
            let end = rest[i..]
                .find([':', '>', ')'])
                .map(|k| i + k + 1)
                .unwrap_or(b.len());
            out.push_str(&rest[i..end]);
            i = end;
            continue;
        }
        let ch = rest[i..].chars().next().unwrap();
        if ch.is_ascii() {
            out.push(ch.to_ascii_lowercase());
        } else if ch.is_lowercase() == ch.is_uppercase() {
            out.push(ch);
        } else {
            // A non-ASCII cased letter: ASCII lowercasing of the text would not fold it.
            return None;
        }
        i += ch.len_utf8();
    }
    Some(out)
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
        let mut rule = String::from("x -> ");
        push_num(&mut rule, 7.0);
        rule.push('/');
        push_num(&mut rule, 12.5);
        assert_eq!(rule, "x -> 7/12.5");
    }
}
