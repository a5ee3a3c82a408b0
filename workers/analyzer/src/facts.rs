//! Facts read from a listing: what the description, the title and the fields state, and nothing
//! else.
//!
//! Every fact carries the exact text it was read from (`quote`). When that text is in the
//! description, `start..end` are **character** offsets (Unicode scalar values, not bytes) into
//! `listing.description`, so `description.chars().skip(start).take(end - start)` is the quote.
//! Facts read from the title or a field have `start`/`end` = `None`.
//!
//! Rules (see docs/SCORING.md, "Facts"):
//! * Periods are normalised to a month: per day x 30.4, per week x 52/12, per year / 12.
//! * A stated range ("50-55K gallons/month") stays a [`FactValue::Range`].
//! * A figure without a period ("GALLON: 45,000"), cut off ("50,000 gallons per..."), stated as a
//!   projection ("Projected ... volume is 1M/ month") or implausible ("100Gal/Mth", outside
//!   5,000-3,000,000 gallons a month) is **not** a fact: it becomes a question for the broker.
//! * A dealer commission per gallon is `fuel_commission_cents_per_gallon`, never a margin.
//! * A dollar amount written with a leading point (".50", "$0.80", ".02 cent") is dollars, i.e.
//!   50, 80 and 2 cents: that is how the trade writes cents per gallon.
//! * `estimate` is `true` only for a figure we derived rather than read word for word: a figure
//!   converted from the stated period to a month, years remaining computed from a stated
//!   expiry year and the listing's date (or "up in March" -> 0-1 years), and a real-estate value
//!   implied by two stated prices (asking price with property minus a stated business-only
//!   price). Conversions of a stated figure feed the score (the quantity is stated; only its unit
//!   changed, and the quote shows the original); the implied real-estate value never does.

use gsa_schemas::{Fact, FactValue, Listing, RealEstateOwnership};
use once_cell::sync::Lazy;
use regex::{Captures, Regex};

use crate::text::{char_span, is_hypothetical, is_negated, is_projection, parse_amount, MULT, NUM};

/// Facts that are estimates of a figure the listing does not state (`estimate: true`) and never
/// feed a factor, the DSCR or the valuation: shown and asked about only. Other facts with
/// `estimate: true` are a stated figure converted to a month or counted from a stated date, and
/// are scored (see the module docs).
pub const NEVER_SCORED: &[&str] = &["real_estate_value"];

/// Where a fact was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The listing description (the fact has character offsets).
    Description,
    /// The listing title.
    Title,
    /// A listing field, by its name in [`Listing`].
    Field(&'static str),
}

impl Source {
    /// The name used in [`gsa_schemas::Evidence::source`].
    pub fn name(&self) -> &'static str {
        match self {
            Source::Description => "description",
            Source::Title => "title",
            Source::Field(f) => f,
        }
    }
}

/// A fact and where it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The fact as published on the score card.
    pub fact: Fact,
    /// Where it was read.
    pub source: Source,
}

impl Found {
    /// The fact as evidence for a factor.
    pub fn evidence(&self) -> gsa_schemas::Evidence {
        gsa_schemas::Evidence {
            source: self.source.name().to_string(),
            quote: self.fact.quote.clone(),
            start: self.fact.start,
            end: self.fact.end,
        }
    }

    /// The value as a single number: a number, or the lower bound of a range (ranges are judged
    /// conservatively on their lower bound).
    pub fn low(&self) -> Option<f64> {
        match &self.fact.value {
            FactValue::Number(n) => Some(*n),
            FactValue::Range { min, .. } => Some(*min),
            _ => None,
        }
    }

    /// Marks the fact as derived rather than read (`estimate: true`): a figure converted from
    /// the stated period (per day x 30.4, per week x 52/12, per year / 12), years remaining
    /// computed from a stated year and the listing's date, or a split of two stated prices.
    pub(crate) fn estimated(mut self, derived: bool) -> Self {
        self.fact.estimate = derived;
        self
    }

    /// The value as text, for `Text` facts.
    pub fn text(&self) -> Option<&str> {
        match &self.fact.value {
            FactValue::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The value as a flag, for `Flag` facts.
    pub fn flag(&self) -> Option<bool> {
        match &self.fact.value {
            FactValue::Flag(b) => Some(*b),
            _ => None,
        }
    }
}

/// Something the text mentions that is not a published fact but a scoring signal (a highway, a
/// profit centre, "cash only"), with its quote.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    /// What it is: `highway`, `no_competition`, `lottery`, `atm`, `propane`, `alcohol`,
    /// `open_24_7`, `repair_garage`, `financing_negative`, `cash_business`, `branded`,
    /// `commission_site`, `closed`, `real_estate_conflict` (wording against a field),
    /// `real_estate_two_ways` (wording says included and also leased or business-only).
    pub kind: &'static str,
    /// The text.
    pub quote: String,
    /// Character offsets in the description (`None` for the title).
    pub start: Option<usize>,
    /// End character offset (exclusive).
    pub end: Option<usize>,
    /// Where it was read.
    pub source: Source,
}

impl Mention {
    /// The mention as evidence for a factor.
    pub fn evidence(&self) -> gsa_schemas::Evidence {
        gsa_schemas::Evidence {
            source: self.source.name().to_string(),
            quote: self.quote.clone(),
            start: self.start,
            end: self.end,
        }
    }
}

/// Everything read from a listing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extraction {
    /// The facts, in a stable order.
    pub found: Vec<Found>,
    /// Scoring signals that are not facts.
    pub mentions: Vec<Mention>,
    /// Questions for the broker about figures that could not be read (no period, cut off,
    /// projection, implausible).
    pub questions: Vec<String>,
}

impl Extraction {
    /// The first fact with this name.
    pub fn get(&self, name: &str) -> Option<&Found> {
        self.found.iter().find(|f| f.fact.name == name)
    }

    /// The first mention of this kind.
    pub fn mention(&self, kind: &str) -> Option<&Mention> {
        self.mentions.iter().find(|m| m.kind == kind)
    }

    /// All mentions of this kind.
    pub fn mentions_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Mention> + 'a {
        self.mentions.iter().filter(move |m| m.kind == kind)
    }

    fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn push(&mut self, f: Found) {
        // One fact per name: the first (best) reading wins.
        if !self.has(&f.fact.name) {
            self.found.push(f);
        }
    }

    fn ask(&mut self, q: String) {
        if !self.questions.contains(&q) {
            self.questions.push(q);
        }
    }
}

/// The facts of a listing (see the module docs for the rules).
pub fn extract(listing: &Listing) -> Vec<Fact> {
    extract_all(listing)
        .found
        .into_iter()
        .map(|f| f.fact)
        .collect()
}

/// Facts, scoring signals and broker questions of a listing.
pub fn extract_all(listing: &Listing) -> Extraction {
    let mut ex = Extraction::default();
    let desc = listing.description.as_deref().unwrap_or("");
    let title = listing.title.as_deref().unwrap_or("");
    let year = listing_year(listing);
    let d = Scan::new(desc, Source::Description);
    let t = Scan::new(title, Source::Title);

    gallons(&d, &mut ex);
    fuel_margin_and_commission(&d, &mut ex);
    inside_sales_and_merchandise_margin(&d, &mut ex);
    lottery(&d, &mut ex);
    rent(&d, listing, &mut ex);
    lease(&d, listing, year, &mut ex);
    tanks(&d, &t, year, &mut ex);
    environmental(&d, &mut ex);
    brand_and_supply(&d, &t, year, &mut ex);
    owner_involvement(&d, &t, &mut ex);
    financing(&d, &t, listing, &mut ex);
    traffic(&d, &mut ex);
    flags(&d, &t, &mut ex);
    real_estate(&d, &t, listing, &mut ex);
    mentions(&d, &t, &mut ex);
    ex
}

/// The calendar year the listing was read, used to turn "expires 2026" into years remaining.
/// `None` when `fetched_at` is unset (before 2000), so nothing is computed from a wrong date.
pub(crate) fn listing_year(listing: &Listing) -> Option<i32> {
    use chrono::Datelike;
    let y = listing.fetched_at.year();
    (y >= 2000).then_some(y)
}

/// A text being scanned, with its source.
struct Scan<'a> {
    text: &'a str,
    source: Source,
    /// `text` case-folded for [`Scan::has`]: ASCII lowercased, plus the two non-ASCII letters
    /// that regex's `(?i)` folds onto ASCII ones (KELVIN SIGN -> k, LONG S -> s).
    folded: String,
}

impl<'a> Scan<'a> {
    fn new(text: &'a str, source: Source) -> Self {
        // Almost no text holds either of the two letters: then ASCII lowercasing alone (a fast
        // byte loop) is the same fold as the char-by-char mapping below.
        let folded = if text.contains('\u{212A}') || text.contains('\u{17F}') {
            text.chars()
                .map(|c| match c {
                    '\u{212A}' => 'k',
                    '\u{17F}' => 's',
                    c => c.to_ascii_lowercase(),
                })
                .collect()
        } else {
            text.to_ascii_lowercase()
        };
        Scan {
            text,
            source,
            folded,
        }
    }

    /// Whether the text contains any of these lowercase keywords: a cheap gate in front of
    /// patterns that cannot match without one of them.
    ///
    /// Why: a pattern scans the whole description even when it finds nothing, and most patterns
    /// find nothing in most listings (the profile of `benches/score.rs` had two thirds of the
    /// extraction in the regex engines' scans). Each gate lists a keyword that every
    /// alternative of its patterns requires (noted where it is used), so skipping a pattern
    /// whose keywords are absent cannot change a result; the pinned cards of the 1,613 real
    /// listings check it.
    fn has(&self, any: &[&str]) -> bool {
        any.iter().any(|k| self.folded.contains(k))
    }

    fn fact(&self, name: &str, value: FactValue, unit: Option<&str>, s: usize, e: usize) -> Found {
        let quote = self.text.get(s..e).unwrap_or("").trim_end().to_string();
        let e = s + quote.len();
        let (start, end) = match self.source {
            Source::Description => {
                let (cs, ce) = char_span(self.text, s, e);
                (Some(cs), Some(ce))
            }
            _ => (None, None),
        };
        Found {
            fact: Fact {
                name: name.to_string(),
                value,
                unit: unit.map(str::to_string),
                quote,
                start,
                end,
                estimate: false,
            },
            source: self.source,
        }
    }

    fn mention(&self, kind: &'static str, s: usize, e: usize) -> Mention {
        let quote = self.text.get(s..e).unwrap_or("").trim_end().to_string();
        let (start, end) = match self.source {
            Source::Description => {
                let (cs, ce) = char_span(self.text, s, s + quote.len());
                (Some(cs), Some(ce))
            }
            _ => (None, None),
        };
        Mention {
            kind,
            quote,
            start,
            end,
            source: self.source,
        }
    }

    fn quote(&self, s: usize, e: usize) -> &str {
        self.text.get(s..e).unwrap_or("").trim()
    }

    /// First match of `re` that is neither negated nor hypothetical.
    fn first_real<'r>(&self, re: &'r Regex) -> Option<regex::Match<'a>> {
        re.find_iter(self.text).find(|m| {
            !is_negated(self.text, m.start()) && !is_hypothetical(self.text, m.start(), 30)
        })
    }
}

fn re(p: &str) -> Regex {
    crate::text::regex(p)
}

/// `NUM MULT` [range] as named groups a1/m1/a2/m2 (range separator group `sep`).
fn range_pat() -> String {
    format!(
        r"(?P<between>between\s+)?\$?(?P<a1>{NUM})(?P<m1>{MULT})(?:\s*(?P<sep>-|–|to|and)\s*\$?(?P<a2>{NUM})(?P<m2>{MULT}))?"
    )
}

/// Reads a number or range from named groups a1/m1/a2/m2 ("and" only after "between").
fn range_value(c: &Captures) -> Option<(f64, Option<f64>)> {
    let a1 = c.name("a1")?.as_str();
    let m1 = c
        .name("m1")
        .map(|m| m.as_str())
        .filter(|m| !m.trim().is_empty());
    let m2 = c
        .name("m2")
        .map(|m| m.as_str())
        .filter(|m| !m.trim().is_empty());
    let second = match (c.name("a2"), c.name("sep").map(|s| s.as_str())) {
        (Some(a2), Some("and")) if c.name("between").is_none() => {
            let _ = a2;
            None
        }
        (Some(a2), Some(_)) => Some(a2.as_str()),
        _ => None,
    };
    let hi = match second {
        Some(a2) => Some(parse_amount(a2, m2)?),
        None => None,
    };
    // "50-55K": the first number shares the second's multiplier.
    let lo_mult = if m1.is_none() && hi.is_some() && parse_amount(a1, None)? < 1000.0 {
        m2
    } else {
        m1
    };
    let lo = parse_amount(a1, lo_mult)?;
    Some((lo, hi))
}

/// Monthly factor of a period word.
fn per_month(period: &str) -> Option<f64> {
    let p = period.trim().to_ascii_lowercase();
    let p = p.trim_start_matches("a ").trim_start_matches("an ");
    match p {
        "month" | "mo" | "mth" | "monthly" => Some(1.0),
        "day" | "daily" => Some(30.4),
        "week" | "wk" | "weekly" => Some(52.0 / 12.0),
        "year" | "yr" | "annum" | "annually" | "yearly" => Some(1.0 / 12.0),
        _ => None,
    }
}

fn value_of(lo: f64, hi: Option<f64>) -> FactValue {
    match hi {
        Some(h) if (h - lo).abs() > f64::EPSILON => FactValue::Range {
            min: lo.min(h),
            max: lo.max(h),
        },
        _ => FactValue::Number(lo),
    }
}

fn scaled(lo: f64, hi: Option<f64>, k: f64) -> (f64, Option<f64>) {
    let r = |v: f64| (v * k * 100.0).round() / 100.0;
    (r(lo), hi.map(r))
}

// ---------------------------------------------------------------------------------------------
// Gallons
// ---------------------------------------------------------------------------------------------

static GALLONS_PERIOD: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i){}\s*\+?\s*(?:gallons?|gals?\b\.?)(?:\s+(?:of\s+)?(?:fuel|gas|gasoline|diesel))?\s*(?:(?:/|per|a|an|each|every)\s*(?P<p>month|mth|mo\b|day|week|wk\b|year|yr\b|annum)|(?P<p2>monthly|daily|weekly|annually|yearly)\b)",
        range_pat()
    ))
});
static GALLONS_MONTHLY_LABEL: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i)\b(?:average\s+|avg\.?\s+)?monthly\s+(?:fuel\s+|gas\s+)?(?:gallon(?:s|age)?|volume)(?:\s+sales)?\s*(?::|of|is|=|-)?\s*{}(?:\s*gal(?:lon)?s?\b)?",
        range_pat()
    ))
});
static GALLONS_ANNUAL_LABEL: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i)\b(?:annual|yearly|(?:19|20)\d\d(?:\s+total)?|total\s+annual)\s+(?:fuel\s+|gas\s+)?(?:gallon(?:s|age)?|volume)(?:\s+sales)?\s*(?::|of|is|=|-)?\s*(?P<a1>{NUM})(?P<m1>{MULT})(?:\s*gal(?:lon)?s?\b)?"
    ))
});
static FUEL_VOLUME_PERIOD: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i)\b(?:(?:fuel|gas|diesel|gasoline)\s+volume\s*(?:is|of|:|=)?|(?:fuel\s+|gas\s+)?gallons?\s*(?::|=))\s*(?P<a1>{NUM})(?P<m1>{MULT})(?:\s*gal(?:lon)?s?)?\s*(?:/|per|a)\s*(?P<p>month|mth|mo\b|day|week|year|yr\b)"
    ))
});
static GALLONS_BARE: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i)(?P<dollar>\$\s?)?(?P<a1>{NUM})(?P<m1>{MULT})\s*(?:gallons?|gals?\b)(?P<colon>\s*:)?(?P<cut>\s*(?:per|a|/)?\s*(?:\.\.\.|…))?"
    ))
});
static GALLONS_COLON: Lazy<Regex> =
    Lazy::new(|| re(&format!(r"(?i)gallons?\s*:\s*(?P<a1>{NUM})(?P<m1>{MULT})")));
static TANK_CONTEXT: Lazy<Regex> =
    Lazy::new(|| re(r"(?i)\b(?:capacity|tanks?|USTs?|UST's|storage)\b"));

struct Cand {
    s: usize,
    e: usize,
    lo: f64,
    hi: Option<f64>,
    monthly_stated: bool,
    /// Converted from another period (per day, week, year).
    converted: bool,
}

/// Smallest plausible monthly fuel volume; below it a figure is a typo or a cut ("100Gal/Mth").
pub const GALLONS_PLAUSIBLE_MIN: f64 = 5_000.0;
/// Largest plausible monthly fuel volume (a very large truck stop).
pub const GALLONS_PLAUSIBLE_MAX: f64 = 3_000_000.0;

fn gallons(d: &Scan, ex: &mut Extraction) {
    // Every gallons pattern needs "gal" (gallon, gals, gal) or "volume".
    if !d.has(&["gal", "volume"]) {
        return;
    }
    let cfg_min = GALLONS_PLAUSIBLE_MIN;
    let cfg_max = GALLONS_PLAUSIBLE_MAX;
    let text = d.text;
    let mut cands: Vec<Cand> = Vec::new();
    let mut covered: Vec<(usize, usize)> = Vec::new();
    for c in GALLONS_PERIOD.captures_iter(text) {
        let m = c.get(0).map(|m| (m.start(), m.end())).unwrap_or((0, 0));
        let period = c.name("p").or_else(|| c.name("p2")).map(|p| p.as_str());
        if let (Some((lo, hi)), Some(k)) = (range_value(&c), period.and_then(per_month)) {
            let (lo, hi) = scaled(lo, hi, k);
            cands.push(Cand {
                s: m.0,
                e: m.1,
                lo,
                hi,
                monthly_stated: k == 1.0,
                converted: k != 1.0,
            });
        }
        covered.push(m);
    }
    for c in GALLONS_MONTHLY_LABEL.captures_iter(text) {
        let m = c.get(0).map(|m| (m.start(), m.end())).unwrap_or((0, 0));
        if let Some((lo, hi)) = range_value(&c) {
            cands.push(Cand {
                s: m.0,
                e: m.1,
                lo,
                hi,
                monthly_stated: true,
                converted: false,
            });
        }
        covered.push(m);
    }
    for c in GALLONS_ANNUAL_LABEL
        .captures_iter(text)
        .chain(FUEL_VOLUME_PERIOD.captures_iter(text))
    {
        let m = c.get(0).map(|m| (m.start(), m.end())).unwrap_or((0, 0));
        let k = c
            .name("p")
            .map(|p| p.as_str())
            .map_or(Some(1.0 / 12.0), per_month);
        if let (Some(a1), Some(k)) = (c.name("a1"), k) {
            let m1 = c.name("m1").map(|m| m.as_str());
            if let Some(v) = parse_amount(a1.as_str(), m1) {
                let (lo, _) = scaled(v, None, k);
                cands.push(Cand {
                    s: m.0,
                    e: m.1,
                    lo,
                    hi: None,
                    monthly_stated: k == 1.0,
                    converted: k != 1.0,
                });
            }
        }
        covered.push(m);
    }
    cands.sort_by_key(|c| c.s);

    let mut good: Vec<Cand> = Vec::new();
    for c in cands {
        let quote = d.quote(c.s, c.e).to_string();
        let hi = c.hi.unwrap_or(c.lo);
        if is_projection(text, c.s) {
            ex.ask(format!(
                "The listing gives \"{quote}\" as a projection: how many gallons a month does the site actually sell (last 12 months)?"
            ));
        } else if c.lo < cfg_min || hi > cfg_max {
            ex.ask(format!(
                "The listing says \"{quote}\", which is not a plausible monthly fuel volume: how many gallons a month does the site sell?"
            ));
        } else {
            good.push(c);
        }
    }
    // Prefer a figure stated per month; otherwise the first normalised one.
    let best = good
        .iter()
        .position(|c| c.monthly_stated)
        .or(if good.is_empty() { None } else { Some(0) });
    if let Some(i) = best {
        let c = &good[i];
        let f = d
            .fact(
                "gallons_per_month",
                value_of(c.lo, c.hi),
                Some("gallons/month"),
                c.s,
                c.e,
            )
            .estimated(c.converted);
        ex.push(f);
        return;
    }
    // Figures without a period, or cut off: questions, never facts.
    let overlaps = |s: usize, e: usize| covered.iter().any(|&(a, b)| s < b && a < e);
    for c in GALLONS_BARE
        .captures_iter(text)
        .chain(GALLONS_COLON.captures_iter(text))
    {
        let Some(m) = c.get(0) else { continue };
        // "$45,000 GALLON: 45,000": the number before a "GALLON:" label belongs to something else.
        if overlaps(m.start(), m.end()) || c.name("colon").is_some() || c.name("dollar").is_some() {
            continue;
        }
        let before = crate::text::sentence_before(text, m.start(), 40);
        let after = text.get(m.end()..).unwrap_or("");
        let after: String = after.chars().take(25).collect();
        if TANK_CONTEXT.is_match(before) || TANK_CONTEXT.is_match(&after) {
            continue;
        }
        let quote = d.quote(m.start(), m.end());
        if c.name("cut").is_some() {
            ex.ask(format!(
                "The text is cut off at \"{quote}\": how many gallons a month does the site sell?"
            ));
        } else {
            ex.ask(format!(
                "The listing says \"{quote}\" without a period: is that gallons per month, and over which months?"
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fuel margin and dealer commission
// ---------------------------------------------------------------------------------------------

const CENTS: &str = r"(?P<a1>\$\s?\d*\.\d+|\$\s?\d+|\d*\.\d+|\d+(?:\.\d+)?)";
const CENTS2: &str = r"(?P<a2>\$\s?\d*\.\d+|\d*\.\d+|\d+(?:\.\d+)?)";
const CUNIT1: &str = r"(?P<u1>¢|cents?\b|cpg\b)?";
const CUNIT2: &str = r"(?P<u2>¢|cents?\b|cpg\b)?";

static MARGIN_PER_GALLON: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i){CENTS}\s*-?\s*{CUNIT1}(?:\s*(?:-|–|to)\s*{CENTS2}\s*-?\s*{CUNIT2})?\s*(?:per|/|a)\s*gal(?:lon)?\.?\s*(?:fuel\s+|gross\s+|pool\s+)?(?P<kind>margins?|profit|commiss?ion)"
    ))
});
static MARGIN_CENTS_WORD: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i){CENTS}\s*-?\s*{CUNIT1}(?:\s*(?:-|–|to)\s*{CENTS2}\s*-?\s*{CUNIT2})?\s*(?:fix(?:ed)?\s+|fuel\s+|gas\s+|pool\s+|gross\s+)?(?P<kind>margins?|commiss?ion)"
    ))
});
static MARGIN_LABEL_FIRST: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i)\b(?:fuel\s+|gas\s+|pool\s+|gallon\s+)?(?P<kind>margins?|commiss?ion)\s*(?:of|is|are|at|@|:|averag\w*|around|about|~|\s)*\s*{CENTS}\s*-?\s*{CUNIT1}(?:\s*(?:-|–|to)\s*{CENTS2}\s*-?\s*{CUNIT2})?\s*(?P<pg>(?:per|/|a)\s*gal(?:lon)?)?"
    ))
});
static COMMISSION_WORD: Lazy<Regex> = Lazy::new(|| re(r"(?i)\bcommiss?ion(?:ed)?\b"));
static FUEL_WORD: Lazy<Regex> = Lazy::new(|| re(r"(?i)\b(?:gas|fuel|gallons?|diesel|cents?)\b|¢"));

/// Cents per gallon of one written amount: "$0.80" / ".50" are dollars; "60 cent", "25¢",
/// "25 cpg" are cents.
fn cents(raw: &str, unit: Option<&str>, per_gallon: bool) -> Option<f64> {
    let r = raw.trim();
    let v: f64 = r
        .trim_start_matches('$')
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())?;
    let cents = if r.starts_with('$') || r.starts_with('.') {
        v * 100.0
    } else if unit.is_some() {
        v
    } else if v < 1.0 {
        v * 100.0
    } else if per_gallon && v <= 100.0 {
        v
    } else {
        return None;
    };
    (cents > 0.0 && cents <= 150.0).then_some((cents * 100.0).round() / 100.0)
}

fn fuel_margin_and_commission(d: &Scan, ex: &mut Extraction) {
    // Each pattern ends in or starts with margin / commi(s)sion; the per-gallon one also with
    // profit, after "gal" (see [`Scan::has`]). Most descriptions say "profit(able)" and few say
    // "margin", so the two patterns without "profit" are gated apart: they start with a number
    // and would otherwise scan the whole text for nothing.
    let per_gallon = d.has(&["gal"]) && d.has(&["margin", "profit", "commi"]);
    let margin_word = d.has(&["margin", "commi"]);
    if !per_gallon && !margin_word {
        return;
    }
    let text = d.text;
    let gated = |on: bool| if on { text } else { "" };
    let mut hits: Vec<(usize, usize, bool, f64, Option<f64>)> = Vec::new();
    for (re, label_first, on) in [
        (&*MARGIN_PER_GALLON, false, per_gallon),
        (&*MARGIN_CENTS_WORD, false, margin_word),
        (&*MARGIN_LABEL_FIRST, true, margin_word),
    ] {
        // An empty text where the gate is shut: offsets of matches still index `text`.
        for c in re.captures_iter(gated(on)) {
            let Some(m) = c.get(0) else { continue };
            let u1 = c.name("u1").map(|u| u.as_str());
            let u2 = c.name("u2").map(|u| u.as_str());
            let per_gallon = !label_first || c.name("pg").is_some();
            let Some(a1) = c.name("a1") else { continue };
            // "margin of 30%" is a percentage, not cents per gallon.
            if text
                .get(m.end()..)
                .is_some_and(|t| t.trim_start().starts_with('%'))
            {
                continue;
            }
            // A label-first reading needs a unit: "$0.25", "25 cents", "25¢", or "per gallon".
            let has_unit = u1.is_some()
                || u2.is_some()
                || a1.as_str().contains('$')
                || a1.as_str().starts_with('.')
                || per_gallon;
            if label_first && !has_unit {
                continue;
            }
            let unit_for_first = u1.or(u2);
            let Some(lo) = cents(a1.as_str(), unit_for_first, per_gallon) else {
                continue;
            };
            let hi = c
                .name("a2")
                .and_then(|a2| cents(a2.as_str(), u2.or(u1), per_gallon));
            let kind = c.name("kind").map(|k| k.as_str().to_ascii_lowercase());
            let commission = kind.as_deref().is_some_and(|k| k.starts_with("commis"))
                || sentence_has_commission(text, m.start(), m.end());
            hits.push((m.start(), m.end(), commission, lo, hi));
        }
    }
    hits.sort_by_key(|h| h.0);
    for (s, e, commission, lo, hi) in hits {
        if is_projection(text, s) {
            continue;
        }
        let name = if commission {
            "fuel_commission_cents_per_gallon"
        } else {
            "fuel_margin_cents_per_gallon"
        };
        ex.push(d.fact(name, value_of(lo, hi), Some("cents/gallon"), s, e));
    }
    // A commission site with no figure: the dealer does not own the fuel margin.
    if let Some(m) = COMMISSION_WORD.find_iter(text).find(|m| {
        let sent = crate::text::sentence_before(text, m.start(), 80);
        let after: String = text.get(m.end()..).unwrap_or("").chars().take(30).collect();
        FUEL_WORD.is_match(sent) || FUEL_WORD.is_match(&after)
    }) {
        ex.mentions
            .push(d.mention("commission_site", m.start(), m.end()));
    }
}

fn sentence_has_commission(text: &str, s: usize, e: usize) -> bool {
    let before = crate::text::sentence_before(text, s, 40);
    let after: String = text.get(e..).unwrap_or("").chars().take(20).collect();
    COMMISSION_WORD.is_match(before) || COMMISSION_WORD.is_match(&after)
}

// ---------------------------------------------------------------------------------------------
// Inside sales, merchandise margin, lottery
// ---------------------------------------------------------------------------------------------

const STORE_LABEL: &str = r"(?:inside|in-store|instore|in\s+store|convenience\s+store|c-store|cstore|food\s+mart|merchandise|merch|grocery|market|store)";
const PERIOD_AFTER: &str = r"\s*\+?\s*(?:(?:/|per|a|an|each)\s*(?P<p>month|mth|mo\b|day|week|wk\b|year|yr\b|annum)\.?|(?P<p2>monthly|daily|weekly|annually|yearly)\b)";

/// A store label followed by "sale": part of every store-sales pattern but
/// [`INSIDE_LABEL_DOLLAR`] and [`INSIDE_NO_PERIOD`] (their store words and "sales" spelled by or
/// inside [`STORE_LABEL`]), so a text without it cannot match them. Used as a gate only.
static STORE_SALES: Lazy<Regex> = Lazy::new(|| re(&format!(r"(?i){STORE_LABEL}\s+sale")));
static INSIDE_LABEL_FIRST: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i)\b{STORE_LABEL}\s+sales?\b[^$\d.!?]{{0,40}}?{}{PERIOD_AFTER}",
        range_pat()
    ))
});
static INSIDE_AMOUNT_FIRST: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i){}{PERIOD_AFTER}\s*(?:in\s+)?{STORE_LABEL}\s+sales?\b",
        range_pat()
    ))
});
static INSIDE_LABEL_DOLLAR: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i)\b(?:market|store|inside|c-store|merchandise)\s*:?\s*\$(?P<a1>{NUM})(?P<m1>{MULT}){PERIOD_AFTER}"
    ))
});
static INSIDE_YEAR_LABEL: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i)\b(?:(?:19|20)\d\d|annual|yearly)\s+{STORE_LABEL}\s+sales?\s*(?::|of|were|was|is)?\s*\$\s?(?P<a1>{NUM})(?P<m1>{MULT})"
    ))
});
static INSIDE_SHARED_PERIOD: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i)\$?(?P<a1>{NUM})(?P<m1>{MULT})\s+(?:inside|in-store|store)\s+sales?\s+and\s+[^.!?]{{0,40}}?(?:/|per|a)\s*(?P<p>month|mo|mth|day|year|yr)\b"
    ))
});
static INSIDE_NO_PERIOD: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i)(?:inside|in-store)(?:\s+sales?)?\s*:\s*\$\s?(?P<a1>{NUM})(?P<m1>{MULT})"
    ))
});
static INSIDE_CUT: Lazy<Regex> =
    Lazy::new(|| re(r"(?i)\b(?:inside|in-store)\s+sales?\b[^.!?$\d]{0,30}?(?:\.\.\.|…)"));
static MARGIN_AFTER_SALES: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)^\s*@\s*(?:almost|about|around|approx\.?|approximately|~|over|nearly)?\s*(?P<pct>\d{1,2}(?:\.\d+)?)\s*%\s*(?:GP\b|gross\s+profit|gross\s+margin|margin)",
    )
});
static MERCH_MARGIN: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:inside|in-store|merchandise|store|grocery|c-store)\s+(?:gross\s+)?(?:profit\s+)?margins?\s*(?:of|is|are|at|:|averag\w*|around|about|over|~|\s)*\s*(?P<pct>\d{1,2}(?:\.\d+)?)\s*(?:%|percent\b)|(?P<pct2>\d{1,2}(?:\.\d+)?)\s*(?:%|percent\b)\s*(?:gross\s+)?(?:profit\s+)?margins?\s+(?:on|in)\s+(?:inside|in-store|merchandise|store|grocery)|\b(?P<pct3>\d{1,2}(?:\.\d+)?)\s*(?:%|percent\b)\s*(?:inside|in-store|merchandise|store|grocery|c-store)\s+(?:gross\s+)?(?:profit\s+)?margins?\b",
    )
});

fn inside_sales_and_merchandise_margin(d: &Scan, ex: &mut Extraction) {
    let text = d.text;
    // Gates (see [`Scan::has`]); a pattern whose gate is shut scans an empty text (offsets still
    // index `text`). Every pattern but two holds a store label followed by "sale": one cheap
    // search for [`STORE_SALES`] (it finds the literal "sale" first) stands for that, where the
    // patterns that start with a number would each scan the whole text. The two others need
    // "$" and a store word; the margin pattern needs "margin".
    let store_sales = d.has(&["sale"]) && STORE_SALES.is_match(text);
    let dollar = d.has(&["$"]) && d.has(&["inside", "store", "market", "merch"]);
    let sales_text = if store_sales { text } else { "" };
    let dollar_text = if dollar { text } else { "" };
    let margin_text = if d.has(&["margin"]) { text } else { "" };
    // (start, end, low, high, converted from another period)
    let mut cands: Vec<(usize, usize, f64, Option<f64>, bool)> = Vec::new();
    for (re, text) in [
        (&*INSIDE_LABEL_FIRST, sales_text),
        (&*INSIDE_AMOUNT_FIRST, sales_text),
        (&*INSIDE_LABEL_DOLLAR, dollar_text),
        (&*INSIDE_SHARED_PERIOD, sales_text),
    ] {
        for c in re.captures_iter(text) {
            let Some(m) = c.get(0) else { continue };
            let period = c.name("p").or_else(|| c.name("p2")).map(|p| p.as_str());
            let (Some((lo, hi)), Some(k)) = (range_value(&c), period.and_then(per_month)) else {
                continue;
            };
            let (lo, hi) = scaled(lo, hi, k);
            cands.push((m.start(), m.end(), lo, hi, k != 1.0));
        }
    }
    for c in INSIDE_YEAR_LABEL.captures_iter(sales_text) {
        let Some(m) = c.get(0) else { continue };
        let (Some(a1), m1) = (c.name("a1"), c.name("m1").map(|m| m.as_str())) else {
            continue;
        };
        if let Some(v) = parse_amount(a1.as_str(), m1) {
            let (lo, _) = scaled(v, None, 1.0 / 12.0);
            cands.push((m.start(), m.end(), lo, None, true));
        }
    }
    cands.sort_by_key(|c| c.0);
    let good = cands.into_iter().find(|&(s, _, lo, hi, _)| {
        !is_projection(text, s) && lo >= 5_000.0 && hi.unwrap_or(lo) <= 5_000_000.0
    });
    if let Some((s, e, lo, hi, converted)) = good {
        ex.push(
            d.fact(
                "inside_sales_per_month",
                value_of(lo, hi),
                Some("USD/month"),
                s,
                e,
            )
            .estimated(converted),
        );
        // "Market $150K+/Mth @ almost 50% GP": the margin right after the store sales.
        if let Some(c) = text.get(e..).and_then(|t| MARGIN_AFTER_SALES.captures(t)) {
            if let (Some(m), Some(p)) = (c.get(0), c.name("pct")) {
                if let Ok(v) = p.as_str().parse::<f64>() {
                    let off = e + (m.as_str().len() - m.as_str().trim_start().len());
                    ex.push(d.fact(
                        "merchandise_margin_percent",
                        FactValue::Number(v),
                        Some("percent"),
                        off,
                        e + m.end(),
                    ));
                }
            }
        }
    } else {
        for c in INSIDE_NO_PERIOD.captures_iter(dollar_text) {
            if let Some(m) = c.get(0) {
                let q = d.quote(m.start(), m.end());
                ex.ask(format!(
                    "The listing says \"{q}\" without a period: are those inside sales per month?"
                ));
            }
        }
        if let Some(m) = INSIDE_CUT.find(sales_text) {
            let q = d.quote(m.start(), m.end());
            ex.ask(format!(
                "The text is cut off at \"{q}\": what are the inside sales per month?"
            ));
        }
    }
    if let Some(c) = MERCH_MARGIN.captures(margin_text) {
        let p = c
            .name("pct")
            .or_else(|| c.name("pct2"))
            .or_else(|| c.name("pct3"));
        if let (Some(m), Some(p)) = (c.get(0), p) {
            if let Ok(v) = p.as_str().parse::<f64>() {
                if !is_projection(text, m.start()) {
                    ex.push(d.fact(
                        "merchandise_margin_percent",
                        FactValue::Number(v),
                        Some("percent"),
                        m.start(),
                        m.end(),
                    ));
                }
            }
        }
    }
}

static LOTTERY_SALES: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i)\b(?:lotto|lottery)\s+(?:ticket\s+)?sales?\b[^$\d.!?]{{0,30}}?\$?(?P<a1>{NUM})(?P<m1>{MULT}){PERIOD_AFTER}|\$(?P<b1>{NUM})(?P<n1>{MULT})\s*(?:/|per|a)\s*(?P<q>month|mo|week|wk|year|yr)\b\s*(?:in\s+|of\s+)?(?:lotto|lottery)"
    ))
});

fn lottery(d: &Scan, ex: &mut Extraction) {
    if !d.has(&["lott"]) {
        return;
    }
    for c in LOTTERY_SALES.captures_iter(d.text) {
        let Some(m) = c.get(0) else { continue };
        if is_negated(d.text, m.start()) || is_projection(d.text, m.start()) {
            continue;
        }
        let (a, mult, p) = match (c.name("a1"), c.name("b1")) {
            (Some(a), _) => (a, c.name("m1"), c.name("p").or_else(|| c.name("p2"))),
            (None, Some(b)) => (b, c.name("n1"), c.name("q")),
            _ => continue,
        };
        let (Some(v), Some(k)) = (
            parse_amount(a.as_str(), mult.map(|m| m.as_str())),
            p.and_then(|p| per_month(p.as_str())),
        ) else {
            continue;
        };
        let (v, _) = scaled(v, None, k);
        ex.push(
            d.fact(
                "lottery_sales_per_month",
                FactValue::Number(v),
                Some("USD/month"),
                m.start(),
                m.end(),
            )
            .estimated(k != 1.0),
        );
        return;
    }
}

// ---------------------------------------------------------------------------------------------
// Rent and lease
// ---------------------------------------------------------------------------------------------

static RENT: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i)(?:(?i:\b(?P<lbl>monthly\s+|base\s+|annual\s+|yearly\s+)?rent)|(?-i:RENT))\s*(?:is|of|:|@|at|=)?\s*\$\s?(?P<a1>{NUM})(?P<m1>{MULT})(?:\s*(?:(?:/|per|a)\s*(?P<p>month|mo|mth|year|yr|annum)\b|(?P<p2>monthly|annually|yearly)\b))?|\blease\s*(?:@|at|for|of|:)\s*\$\s?(?P<b1>{NUM})(?P<n1>{MULT})\s*(?:/|per|a)\s*(?P<q>month|mo|mth|year|yr)\b"
    ))
});

fn rent(d: &Scan, listing: &Listing, ex: &mut Extraction) {
    // RENT needs "rent" or "lease".
    let rent_text = if d.has(&["rent", "lease"]) {
        d.text
    } else {
        ""
    };
    for c in RENT.captures_iter(rent_text) {
        let Some(m) = c.get(0) else { continue };
        let (a, mult, period) = match (c.name("a1"), c.name("b1")) {
            (Some(a), _) => {
                let lbl = c
                    .name("lbl")
                    .map(|l| l.as_str().trim().to_ascii_lowercase());
                let p = c
                    .name("p")
                    .or_else(|| c.name("p2"))
                    .map(|p| p.as_str().to_string())
                    .or(match lbl.as_deref() {
                        Some("monthly") => Some("month".into()),
                        Some("annual") | Some("yearly") => Some("year".into()),
                        _ => None,
                    });
                (a, c.name("m1"), p)
            }
            (None, Some(b)) => (b, c.name("n1"), c.name("q").map(|q| q.as_str().to_string())),
            _ => continue,
        };
        let Some(v) = parse_amount(a.as_str(), mult.map(|m| m.as_str())) else {
            continue;
        };
        match period.as_deref().and_then(per_month) {
            Some(k) => {
                let (v, _) = scaled(v, None, k);
                ex.push(
                    d.fact(
                        "rent_per_month",
                        FactValue::Number(v),
                        Some("USD/month"),
                        m.start(),
                        m.end(),
                    )
                    .estimated(k != 1.0),
                );
                return;
            }
            None => {
                let q = d.quote(m.start(), m.end());
                ex.ask(format!(
                    "The listing says \"{q}\" without a period: is the rent per month or per year, and what does it include (CAM, taxes)?"
                ));
            }
        }
    }
    if !ex.has("rent_per_month") {
        if let Some(r) = listing.rent {
            ex.ask(format!(
                "Rent is listed as {} without a period: is that per month or per year?",
                crate::text::usd(r)
            ));
        }
    }
}

static LEASE_PLUS: Lazy<Regex> = Lazy::new(|| {
    re(r"(?i)\b(?P<y1>\d{1,2})\s*\+\s*(?P<y2>\d{1,2})\s*-?\s*(?:years?|yrs?)\s*lease\b")
});
static LEASE_YEARS: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\blease\s*(?:term\s*)?(?:of|for|:|is|has|with)?\s*(?P<y1>\d{1,2})\s*(?:more\s+)?(?:years?|yrs?)(?:\s*(?:left|remaining))?(?:\s*(?:plus|\+|with|and)\s*(?:an?\s+|one\s+|two\s+|2\s*x\s*)?(?P<y2>\d{1,2})\s*-?\s*(?:years?|yrs?)?\s*(?:renewal\s+)?options?)?",
    )
});
static YEARS_LEFT_ON_LEASE: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?P<y1>\d{1,2})\s*(?:years?|yrs?)\s*(?:left|remaining)\s*on\s*(?:the\s*)?lease(?:\s*(?:plus|\+|with)\s*(?:an?\s+)?(?P<y2>\d{1,2})\s*-?\s*(?:years?|yrs?)?\s*(?:renewal\s+)?options?)?",
    )
});
static YEAR_LEASE: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?P<y1>\d{1,2})\s*-?\s*(?:years?|yrs?)\s*(?:NNN\s+|ground\s+|new\s+|triple\s+net\s+)?lease(?:\s*(?:plus|\+|with)\s*(?:an?\s+)?(?P<y2>\d{1,2})\s*-?\s*(?:years?|yrs?)?\s*(?:renewal\s+)?options?)?",
    )
});
static LEASE_EXPIRES: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\blease\s*(?:expires|expiring|ends|runs\s+(?:through|until)|through|until|expiration\s*:?)\s*(?:in\s+|on\s+)?(?:[A-Za-z]+\.?\s+)?(?:\d{1,2},?\s+)?(?P<yr>(?:19|20)\d\d)\b",
    )
});
static MONTH_TO_MONTH: Lazy<Regex> = Lazy::new(|| re(r"(?i)\bmonth[- ]to[- ]month\b"));
static YEAR_IN_TEXT: Lazy<Regex> = Lazy::new(|| re(r"\b(?P<yr>(?:19|20)\d\d)\b"));

fn lease(d: &Scan, listing: &Listing, year: Option<i32>, ex: &mut Extraction) {
    let text = d.text;
    // Every lease pattern needs "lease"; month-to-month needs "month".
    let lease_text = if d.has(&["lease"]) { text } else { "" };
    let month_text = if d.has(&["month"]) { text } else { "" };
    for re in [
        &*LEASE_PLUS,
        &*YEARS_LEFT_ON_LEASE,
        &*LEASE_YEARS,
        &*YEAR_LEASE,
    ] {
        if let Some(c) = re.captures(lease_text) {
            let (Some(m), Some(y1)) = (c.get(0), c.name("y1")) else {
                continue;
            };
            let Ok(base) = y1.as_str().parse::<f64>() else {
                continue;
            };
            ex.push(d.fact(
                "lease_years_remaining",
                FactValue::Number(base),
                Some("years"),
                m.start(),
                m.end(),
            ));
            if let Some(opt) = c.name("y2").and_then(|y| y.as_str().parse::<f64>().ok()) {
                ex.push(d.fact(
                    "lease_option_years",
                    FactValue::Number(opt),
                    Some("years"),
                    m.start(),
                    m.end(),
                ));
            }
            return;
        }
    }
    if let Some(m) = MONTH_TO_MONTH.find(month_text) {
        let sent = crate::text::sentence_before(text, m.start(), 60);
        let after: String = text.get(m.end()..).unwrap_or("").chars().take(20).collect();
        if sent.to_ascii_lowercase().contains("lease")
            || sent.to_ascii_lowercase().contains("rent")
            || after.to_ascii_lowercase().contains("lease")
        {
            ex.push(d.fact(
                "lease_years_remaining",
                FactValue::Number(0.0),
                Some("years"),
                m.start(),
                m.end(),
            ));
            return;
        }
    }
    if let Some(c) = LEASE_EXPIRES.captures(lease_text) {
        if let (Some(m), Some(yr)) = (c.get(0), c.name("yr")) {
            match (yr.as_str().parse::<i32>().ok(), year) {
                (Some(y), Some(now)) => {
                    ex.push(
                        d.fact(
                            "lease_years_remaining",
                            FactValue::Number(f64::from((y - now).max(0))),
                            Some("years"),
                            m.start(),
                            m.end(),
                        )
                        .estimated(true),
                    );
                    return;
                }
                _ => ex.ask(format!(
                    "The listing says \"{}\": how many years are left on the lease today, with which options?",
                    d.quote(m.start(), m.end())
                )),
            }
        }
    }
    if let Some(exp) = listing.lease_expiration.as_deref() {
        let f = Scan::new(exp, Source::Field("lease_expiration"));
        if MONTH_TO_MONTH.is_match(exp) {
            ex.push(f.fact(
                "lease_years_remaining",
                FactValue::Number(0.0),
                Some("years"),
                0,
                exp.len(),
            ));
        } else if let (Some(y), Some(now)) = (
            YEAR_IN_TEXT
                .captures(exp)
                .and_then(|c| c.name("yr"))
                .and_then(|y| y.as_str().parse::<i32>().ok()),
            year,
        ) {
            ex.push(
                f.fact(
                    "lease_years_remaining",
                    FactValue::Number(f64::from((y - now).max(0))),
                    Some("years"),
                    0,
                    exp.len(),
                )
                .estimated(true),
            );
        } else {
            ex.ask(format!(
                "The lease expiration is given as \"{}\": when does the lease end, and which renewal options does the tenant hold?",
                exp.trim()
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tanks and environmental status
// ---------------------------------------------------------------------------------------------

static TANK_YEAR: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:tanks?|USTs?)\b[^.!?]{0,40}?\b(?:replaced|installed|upgraded|put\s+in|new|built)\s*(?:in\s*)?(?P<yr>(?:19|20)\d\d)\b|\b(?P<yr2>(?:19|20)\d\d)\s+(?:(?:double|single)[- ]?wall(?:ed)?\s+|fiberglass\s+|new\s+|steel\s+)*(?:tanks|USTs)\b|\b(?:tanks?|USTs?)\s*(?:\(|from\s+|installed\s+in\s+|dated?\s+)(?P<yr3>(?:19|20)\d\d)\b",
    )
});
static TANK_AGE: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:tanks?|USTs?)\b[^.!?\d]{0,20}?(?P<cmp>less\s+than|under|only|about|around|approximately)?\s*(?P<n>\d{1,2})\s*(?:years?|yrs?)\s*old\b",
    )
});
static TANK_NEW: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:brand[- ]new|new)\s+(?:[\w-]+\s+){0,4}?(?:tanks|USTs?|underground\s+storage\s+tanks)\b",
    )
});
static TANK_WALL: Lazy<Regex> = Lazy::new(|| re(r"(?i)\b(?P<w>double|single)[- ]?wall(?:ed)?\b"));
static NEEDS: Lazy<Regex> =
    Lazy::new(|| re(r"(?i)\b(?:needs?|require[sd]?|will\s+need|must\s+replace|replace)\s*$"));

fn tanks(d: &Scan, t: &Scan, year: Option<i32>, ex: &mut Extraction) {
    // The tank patterns need "tank" or "ust" (UST, USTs); the wall pattern needs "wall".
    let tank_words: &[&str] = &["tank", "ust"];
    let text = if d.has(tank_words) { d.text } else { "" };
    if let Some(c) = TANK_YEAR.captures(text) {
        let yr = c
            .name("yr")
            .or_else(|| c.name("yr2"))
            .or_else(|| c.name("yr3"));
        if let (Some(m), Some(y)) = (c.get(0), yr.and_then(|y| y.as_str().parse::<f64>().ok())) {
            ex.push(d.fact(
                "tank_install_year",
                FactValue::Number(y),
                Some("year"),
                m.start(),
                m.end(),
            ));
        }
    }
    let _ = year;
    for s in [d, t] {
        if ex.has("tank_age_years") {
            break;
        }
        if !s.has(tank_words) {
            continue;
        }
        if let Some(c) = TANK_AGE.captures(s.text) {
            if let (Some(m), Some(n)) = (
                c.get(0),
                c.name("n").and_then(|n| n.as_str().parse::<f64>().ok()),
            ) {
                let v = match c.name("cmp").map(|c| c.as_str().to_ascii_lowercase()) {
                    Some(cmp) if cmp.starts_with("less") || cmp == "under" => {
                        FactValue::Range { min: 0.0, max: n }
                    }
                    _ => FactValue::Number(n),
                };
                ex.push(s.fact("tank_age_years", v, Some("years"), m.start(), m.end()));
                break;
            }
        }
        if let Some(m) = TANK_NEW.find_iter(s.text).find(|m| {
            let before = crate::text::sentence_before(s.text, m.start(), 30);
            !NEEDS.is_match(before) && !is_hypothetical(s.text, m.start(), 30)
        }) {
            ex.push(s.fact(
                "tank_age_years",
                FactValue::Number(0.0),
                Some("years"),
                m.start(),
                m.end(),
            ));
        }
    }
    for s in [d, t] {
        if !s.has(&["wall"]) {
            continue;
        }
        if let Some(c) = TANK_WALL.captures(s.text) {
            if let (Some(m), Some(w)) = (c.get(0), c.name("w")) {
                // Only about tanks: "double wall" near tank words.
                let around: String = s
                    .text
                    .get(m.start()..)
                    .unwrap_or("")
                    .chars()
                    .take(60)
                    .collect();
                let before = crate::text::sentence_before(s.text, m.start(), 60);
                if TANK_CONTEXT.is_match(&around) || TANK_CONTEXT.is_match(before) {
                    ex.push(s.fact(
                        "tank_wall",
                        FactValue::Text(w.as_str().to_ascii_lowercase()),
                        None,
                        m.start(),
                        m.end(),
                    ));
                    break;
                }
            }
        }
    }
}

static ENV_OPEN_EXPLICIT: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:remediation|clean[- ]?up|monitoring)\s+(?:is\s+|still\s+)*(?:ongoing|in\s+progress|pending|underway|under\s+way|continuing|not\s+(?:yet\s+)?(?:complete|completed|finished))\b|\bongoing\s+(?:remediation|clean[- ]?up|monitoring)\b|\b(?:open|active)\s+(?:LUST|leak|remediation|contamination|case|file)\b|\bmonitoring\s+wells?\b|\bcontamination\s+(?:was\s+|has\s+been\s+)?(?:found|detected|present|identified)\b|\bsold\s+as[- ]is\b",
    )
});
static ENV_DONE: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\bno\s+further\s+action\b|\bNFA\b|\bclosure\s+letter\b|\b(?:remediation|clean[- ]?up)\s+(?:was\s+|has\s+been\s+|is\s+)?(?:completed?|finished|done|closed)\b|\b(?:completed|finished)\s+(?:the\s+)?(?:remediation|clean[- ]?up)\b|\bcase\s+(?:is\s+)?closed\b|\bclosed\s+(?:LUST|leak)\s+(?:case|incident|file)\b",
    )
});
static ENV_CLEAN: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\bphase\s*(?:I|1|one)\b(?:\s+ESA)?\s+(?:is\s+|was\s+)?(?:clean|completed?|passed|available|on\s+file|done)\b|\bclean\s+(?:phase|environmental)\b|\bno\s+environmental\s+(?:issues?|problems?|concerns?)\b|\benvironmentally\s+clean\b",
    )
});
static ENV_RISK_WORD: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:LUST|leak(?:s|ing|ed|age)?|contaminat\w*|remediat\w*|spills?|EPA\s+(?:issues?|violations?|clean[- ]?up|remediation|case|order|problems?)|environmental\s+(?:issues?|problems?|concerns?|violations?))\b",
    )
});

/// Gates of the four environmental patterns (see [`Scan::has`]): for each pattern, a keyword of
/// every one of its alternatives. One gate per pattern rather than one for all four: the
/// common words ("clean", "open", "case") would otherwise run all four on most descriptions.
const ENV_OPEN_WORDS: &[&str] = &[
    "remediat",
    "clean",
    "monitoring",
    "ongoing",
    "open",
    "active",
    "contaminat",
    "sold",
];
/// See [`ENV_OPEN_WORDS`].
const ENV_DONE_WORDS: &[&str] = &[
    "further", "nfa", "closure", "remediat", "clean", "case", "closed",
];
/// See [`ENV_OPEN_WORDS`].
const ENV_RISK_WORDS: &[&str] = &[
    "lust",
    "leak",
    "contaminat",
    "remediat",
    "spill",
    "epa",
    "environmental",
];
/// See [`ENV_OPEN_WORDS`].
const ENV_CLEAN_WORDS: &[&str] = &["phase", "clean", "environmental"];

fn environmental(d: &Scan, ex: &mut Extraction) {
    // A pattern whose gate is shut scans an empty text.
    let gated = |words: &[&str]| if d.has(words) { d.text } else { "" };
    let pick = |re: &Regex, text: &'_ str| {
        re.find_iter(text)
            .find(|m| !is_negated(text, m.start()))
            .map(|m| (m.start(), m.end()))
    };
    let first = |re: &Regex, text: &'_ str| re.find(text).map(|m| (m.start(), m.end()));
    let (status, m) = if let Some(m) = pick(&ENV_OPEN_EXPLICIT, gated(ENV_OPEN_WORDS)) {
        ("open", Some(m))
    } else if let Some(m) = first(&ENV_DONE, gated(ENV_DONE_WORDS)) {
        ("closed_nfa", Some(m))
    } else if let Some(m) = pick(&ENV_RISK_WORD, gated(ENV_RISK_WORDS)) {
        ("open", Some(m))
    } else if let Some(m) = first(&ENV_CLEAN, gated(ENV_CLEAN_WORDS)) {
        ("clean", Some(m))
    } else {
        ("not_mentioned", None)
    };
    let f = match m {
        Some((start, end)) => d.fact(
            "environmental_status",
            FactValue::Text(status.into()),
            None,
            start,
            end,
        ),
        None => Found {
            fact: Fact {
                name: "environmental_status".into(),
                value: FactValue::Text("not_mentioned".into()),
                unit: None,
                quote: String::new(),
                start: None,
                end: None,
                estimate: false,
            },
            source: Source::Description,
        },
    };
    ex.push(f);
}

// ---------------------------------------------------------------------------------------------
// Brand and supply contract
// ---------------------------------------------------------------------------------------------

static BRAND: Lazy<Regex> = Lazy::new(|| {
    re(
        r"\b(?P<b>ExxonMobil|Exxon|EXXON|Mobil|MOBIL|Chevron|CHEVRON|Texaco|TEXACO|Valero|VALERO|Sunoco|SUNOCO|Citgo|CITGO|CITGO|Phillips\s+66|PHILLIPS\s+66|ConocoPhillips|Conoco|CONOCO|ARCO|Arco|Sinclair|SINCLAIR|Circle\s+K|CIRCLE\s+K|Marathon|MARATHON|Shell|SHELL|BP|Gulf|GULF|Amoco|AMOCO|Cenex|CENEX|Union\s+76|Speedway|SPEEDWAY)\b(?P<next>\s+\w+)?",
    )
});
static UNBRANDED: Lazy<Regex> =
    Lazy::new(|| re(r"(?i)\b(?:unbranded|no[- ]brand|non[- ]branded|open\s+dealer)\b"));
static BRANDED_WORD: Lazy<Regex> =
    Lazy::new(|| re(r"(?i)\b(?:branded|major\s+brand|national\s+brand)\b"));
static SUPPLY_YEARS_LEFT: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?P<n>\d{1,2})\s*\+?\s*(?:years?|yrs?)\s*(?:left|remaining)\s*on\s*(?:the\s+|its\s+|a\s+)?(?P<w>(?:[a-z0-9&'-]+\s+){0,3}?)(?:contract|agreement)\b",
    )
});
/// "supply contract has 8 years remaining", "Supply agreement with 8 years left".
static SUPPLY_HAS_YEARS: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:supply|fuel|branded|brand|dealer|jobber|distributor)\s+(?:contract|agreement)\s+(?:has|with|of)\s+(?:about\s+|approximately\s+|approx\.?\s+|over\s+|nearly\s+|almost\s+)?(?P<n>\d{1,2})\s*\+?\s*(?:years?|yrs?)\s+(?:left|remaining|to\s+go)\b",
    )
});
/// Contracts that are not the fuel supply agreement ("5 years left on the lease agreement").
const NOT_SUPPLY_CONTRACT: &[&str] = &[
    "lease",
    "rent",
    "franchise",
    "employ",
    "compete",
    "management",
    "loan",
    "note",
    "service",
    "maintenance",
    "consult",
    "purchase",
    "sale",
];
static SUPPLY_EXPIRES: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:supply|fuel|branded|brand|jobber)\s+(?:contract|agreement)\s*(?:expires|ends|runs\s+(?:through|until)|through|until|is\s+up)\s*(?:in\s+|on\s+)?(?:[A-Za-z]+\.?\s+)?(?P<yr>(?:19|20)\d\d)\b",
    )
});
static SUPPLY_UP_SOON: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:fuel\s+supply|supply\s+(?:contract|agreement)|fuel\s+(?:contract|agreement))\s+(?:is\s+up|expires|ends|renews)\s+(?:in|this)\s+(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|spring|summer|fall|autumn|winter)\b",
    )
});

fn canonical_brand(b: &str) -> String {
    let collapsed: String = b.split_whitespace().collect::<Vec<_>>().join(" ");
    let l = collapsed.to_ascii_lowercase();
    match l.as_str() {
        "exxonmobil" => "ExxonMobil".into(),
        "exxon" => "Exxon".into(),
        "mobil" => "Mobil".into(),
        "chevron" => "Chevron".into(),
        "texaco" => "Texaco".into(),
        "valero" => "Valero".into(),
        "sunoco" => "Sunoco".into(),
        "citgo" => "Citgo".into(),
        "phillips 66" => "Phillips 66".into(),
        "conocophillips" | "conoco" => "Conoco".into(),
        "arco" => "ARCO".into(),
        "sinclair" => "Sinclair".into(),
        "circle k" => "Circle K".into(),
        "marathon" => "Marathon".into(),
        "shell" => "Shell".into(),
        "bp" => "BP".into(),
        "gulf" => "Gulf".into(),
        "amoco" => "Amoco".into(),
        "cenex" => "Cenex".into(),
        "union 76" => "76".into(),
        "speedway" => "Speedway".into(),
        _ => collapsed,
    }
}

fn brand_and_supply(d: &Scan, t: &Scan, year: Option<i32>, ex: &mut Extraction) {
    'outer: for s in [t, d] {
        for c in BRAND.captures_iter(s.text) {
            let Some(b) = c.name("b") else { continue };
            let next = c
                .name("next")
                .map(|n| n.as_str().trim().to_ascii_lowercase())
                .unwrap_or_default();
            // "Gulf Coast", "Marathon County", "Shell company" are places and words, not brands.
            let bl = b.as_str().to_ascii_lowercase();
            if (bl == "gulf" && ["coast", "shores", "breeze", "of"].contains(&next.as_str()))
                || (bl == "marathon" && next == "county")
                || (bl == "shell" && ["company", "corporation"].contains(&next.as_str()))
            {
                continue;
            }
            if is_hypothetical(s.text, b.start(), 30) {
                continue;
            }
            ex.push(s.fact(
                "brand",
                FactValue::Text(canonical_brand(b.as_str())),
                None,
                b.start(),
                b.end(),
            ));
            break 'outer;
        }
    }
    if !ex.has("brand") {
        for s in [d, t] {
            if let Some(m) = s.first_real(&UNBRANDED) {
                ex.push(s.fact(
                    "brand",
                    FactValue::Text("unbranded".into()),
                    None,
                    m.start(),
                    m.end(),
                ));
                break;
            }
        }
    }
    for s in [t, d] {
        if let Some(m) = s.first_real(&BRANDED_WORD) {
            ex.mentions.push(s.mention("branded", m.start(), m.end()));
            break;
        }
    }
    // The supply patterns need "contract", "agreement" or "supply".
    let text = if d.has(&["contract", "agreement", "supply"]) {
        d.text
    } else {
        ""
    };
    let years_left = SUPPLY_YEARS_LEFT
        .captures_iter(text)
        .find(|c| {
            let w = c.name("w").map_or("", |w| w.as_str()).to_ascii_lowercase();
            !NOT_SUPPLY_CONTRACT.iter().any(|x| w.contains(x))
        })
        .or_else(|| SUPPLY_HAS_YEARS.captures(text));
    if let Some(c) = years_left {
        if let (Some(m), Some(n)) = (
            c.get(0),
            c.name("n").and_then(|n| n.as_str().parse::<f64>().ok()),
        ) {
            ex.push(d.fact(
                "supply_contract_years_remaining",
                FactValue::Number(n),
                Some("years"),
                m.start(),
                m.end(),
            ));
            return;
        }
    }
    if let Some(c) = SUPPLY_EXPIRES.captures(text) {
        if let (Some(m), Some(yr)) = (
            c.get(0),
            c.name("yr").and_then(|y| y.as_str().parse::<i32>().ok()),
        ) {
            match year {
                Some(now) => {
                    ex.push(
                        d.fact(
                            "supply_contract_years_remaining",
                            FactValue::Number(f64::from((yr - now).max(0))),
                            Some("years"),
                            m.start(),
                            m.end(),
                        )
                        .estimated(true),
                    );
                    return;
                }
                None => ex.ask(format!(
                    "The listing says \"{}\": how many years are left on the supply contract?",
                    d.quote(m.start(), m.end())
                )),
            }
        }
    }
    if let Some(m) = SUPPLY_UP_SOON.find(text) {
        ex.push(
            d.fact(
                "supply_contract_years_remaining",
                FactValue::Range { min: 0.0, max: 1.0 },
                Some("years"),
                m.start(),
                m.end(),
            )
            .estimated(true),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Owner involvement and financing
// ---------------------------------------------------------------------------------------------

static SEMI_ABSENTEE: Lazy<Regex> =
    Lazy::new(|| re(r"(?i)\bsemi[- ]?absentee(?:[- ](?:run|ran|owned|owner|operated))?\b"));
static ABSENTEE: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:fully\s+|100%\s+)?absentee(?:[- ](?:run|ran|owned|owner|operated))?\b|\babsent\s+owner\b|\bowner\s+is\s+absent(?:ee)?\b|\b100%\s+employee[- ]operated\b|\bemployee[- ]run\b|\bmanage(?:r|ment)\s+in\s+place\b",
    )
});
static OWNER_OPERATED: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\bowner[- ](?:operated|run|managed)\b|\bfamily[- ](?:run|operated)\b|\boperated\s+by\s+(?:the\s+)?owners?\b|\bowners?\s+(?:works?|working)\s+(?:in\s+)?the\s+(?:store|business)\b",
    )
});

fn owner_involvement(d: &Scan, t: &Scan, ex: &mut Extraction) {
    for s in [d, t] {
        // semi-absentee / absentee, absent owner, employee-run, manager or management in
        // place; owner-operated, family-run, operated by the owner.
        if !s.has(&["absent", "employee", "manage", "owner", "family"]) {
            continue;
        }
        for (re, value) in [
            (&*SEMI_ABSENTEE, "semi_absentee"),
            (&*ABSENTEE, "absentee"),
            (&*OWNER_OPERATED, "owner_operated"),
        ] {
            if let Some(m) = re.find_iter(s.text).find(|m| {
                // "semi-absentee" also contains "absentee".
                let semi = value == "absentee" && preceded_by_semi(s.text, m.start());
                let unreal =
                    is_negated(s.text, m.start()) || is_hypothetical(s.text, m.start(), 30);
                !(unreal || semi)
            }) {
                ex.push(s.fact(
                    "owner_involvement",
                    FactValue::Text(value.into()),
                    None,
                    m.start(),
                    m.end(),
                ));
                return;
            }
        }
    }
}

fn preceded_by_semi(text: &str, at: usize) -> bool {
    text.get(..at)
        .map(|h| {
            h.to_ascii_lowercase()
                .trim_end_matches(['-', ' '])
                .ends_with("semi")
        })
        .unwrap_or(false)
}

static SELLER_FINANCING: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:seller|owner)\s+(?:financ\w*|carry|will\s+carry|will\s+finance|note)\b|\bseller[- ]financed\b",
    )
});
static SBA_PREQUAL: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\bSBA[- ](?:pre-?qualified|pre-?approved|approved|eligible)\b|\bpre-?(?:qualified|approved)\s+(?:for\s+)?(?:an?\s+)?SBA\b|\bSBA\s+financing\s+(?:is\s+)?available\b",
    )
});
static FINANCING_NEGATIVE: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\bcash\s+only\b|\bno\s+SBA\b|\bnot\s+SBA[- ]eligible\b|\b(?:seller|owner)\s+financing\s+(?:is\s+)?required\b|\bmust\s+be\s+(?:seller|owner)[- ]financed\b",
    )
});

fn financing(d: &Scan, t: &Scan, listing: &Listing, ex: &mut Extraction) {
    let fin_text = listing.financing.as_deref().unwrap_or("");
    let f = Scan::new(fin_text, Source::Field("financing"));
    for s in [d, t, &f] {
        // seller / owner financing, carry, note; seller-financed.
        let words = s.has(&["seller", "owner"]);
        if let Some(m) = words.then(|| s.first_real(&SELLER_FINANCING)).flatten() {
            ex.push(s.fact(
                "seller_financing",
                FactValue::Flag(true),
                None,
                m.start(),
                m.end(),
            ));
            break;
        }
    }
    if !ex.has("seller_financing") {
        if let Some(b) = listing.seller_financing {
            ex.push(Found {
                fact: Fact {
                    name: "seller_financing".into(),
                    value: FactValue::Flag(b),
                    unit: None,
                    quote: b.to_string(),
                    start: None,
                    end: None,
                    estimate: false,
                },
                source: Source::Field("seller_financing"),
            });
        }
    }
    for s in [d, t, &f] {
        if let Some(m) = s
            .has(&["sba"])
            .then(|| s.first_real(&SBA_PREQUAL))
            .flatten()
        {
            ex.push(s.fact(
                "sba_prequalified",
                FactValue::Flag(true),
                None,
                m.start(),
                m.end(),
            ));
            break;
        }
    }
    for s in [d, t, &f] {
        if let Some(m) = FINANCING_NEGATIVE.find(s.text) {
            ex.mentions
                .push(s.mention("financing_negative", m.start(), m.end()));
            break;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Location, profit centres, real estate
// ---------------------------------------------------------------------------------------------

static TRAFFIC: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i)(?P<a1>{NUM})(?P<m1>{MULT})\s*\+?\s*(?:cars|vehicles|vehicle\s+trips)\s*(?:(?:/|per|a)\s*day|daily)\b|(?P<b1>{NUM})(?P<n1>{MULT})\s*\+?\s*(?:VPD|AADT|ADT)\b|\b(?:AADT|ADT|VPD|daily\s+traffic(?:\s+count)?)\s*(?:of|is|:|=)?\s*(?:over\s+|about\s+|approx\.?\s+)?(?P<c1>{NUM})(?P<o1>{MULT})"
    ))
});

fn traffic(d: &Scan, ex: &mut Extraction) {
    // cars / vehicles (vehicle trips) per day, VPD, AADT, ADT, daily traffic ("cars", not
    // "car": it is in "care", "carry", "card" of most descriptions).
    if !d.has(&["cars", "vehicle", "vpd", "adt", "traffic"]) {
        return;
    }
    for c in TRAFFIC.captures_iter(d.text) {
        let Some(m) = c.get(0) else { continue };
        let (a, mult) = if let Some(a) = c.name("a1") {
            (a, c.name("m1"))
        } else if let Some(b) = c.name("b1") {
            (b, c.name("n1"))
        } else if let Some(x) = c.name("c1") {
            (x, c.name("o1"))
        } else {
            continue;
        };
        if let Some(v) = parse_amount(a.as_str(), mult.map(|m| m.as_str())) {
            if v >= 100.0 && !is_projection(d.text, m.start()) {
                ex.push(d.fact(
                    "traffic_count_per_day",
                    FactValue::Number(v),
                    Some("vehicles/day"),
                    m.start(),
                    m.end(),
                ));
                return;
            }
        }
    }
}

static CORNER: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:(?:hard|prime|signalized|signalled|lighted|busy|high[- ]traffic|main|major|very\s+busy)\s+)?(?:corner|intersection)\b(?P<next>\s+\w+)?|\btraffic\s+(?:light|signal)\b",
    )
});
static CAR_WASH: Lazy<Regex> = Lazy::new(|| re(r"(?i)\b(?:hand\s+)?car\s*wash(?:es)?\b"));
static FOOD: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:deli|full\s+kitchen|kitchen|QSR|restaurants?|subway|dunkin|pizza|fried\s+chicken|hot\s+food|food\s*service|fast[- ]food|taco|drive[- ]thru|drive[- ]through|food\s+court|sandwich(?:es)?)\b",
    )
});

fn flags(d: &Scan, t: &Scan, ex: &mut Extraction) {
    for s in [d, t] {
        if ex.has("corner_location") {
            break;
        }
        // corner, intersection, traffic light / signal.
        let text = if s.has(&["corner", "intersection", "traffic"]) {
            s.text
        } else {
            ""
        };
        for c in CORNER.captures_iter(text) {
            let Some(m) = c.get(0) else { continue };
            let next = c
                .name("next")
                .map(|n| n.as_str().trim().to_ascii_lowercase())
                .unwrap_or_default();
            if ["store", "shop", "market", "deli", "bar"].contains(&next.as_str())
                || is_negated(s.text, m.start())
                || is_hypothetical(s.text, m.start(), 30)
            {
                continue;
            }
            let end = c.name("next").map(|n| n.start()).unwrap_or(m.end());
            ex.push(s.fact(
                "corner_location",
                FactValue::Flag(true),
                None,
                m.start(),
                end,
            ));
            break;
        }
    }
    // (name, pattern, a keyword of each alternative, see [`Scan::has`])
    let food_words: &[&str] = &[
        "deli",
        "kitchen",
        "qsr",
        "restaurant",
        "subway",
        "dunkin",
        "pizza",
        "chicken",
        "food",
        "taco",
        "drive",
        "sandwich",
    ];
    for (name, re, words) in [
        ("car_wash", &*CAR_WASH, &["wash"][..]),
        ("food_service", &*FOOD, food_words),
    ] {
        for s in [d, t] {
            if !s.has(words) {
                continue;
            }
            if let Some(m) = s.first_real(re) {
                ex.push(s.fact(name, FactValue::Flag(true), None, m.start(), m.end()));
                break;
            }
        }
    }
}

static RE_INCLUDED: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\breal\s+estate\s+(?:is\s+)?included\b|\binclud(?:es?|ing)\s+(?:the\s+)?(?:real\s+estate|land|property|building)\b|(?:\bwith|\bw/|\bplus|\+)\s*(?:the\s+)?(?:real\s+estate|property|land(?:\s+and\s+building)?)\b|(?:\band|&)\s+(?:the\s+)?real\s+estate\b|\bland\s+(?:and|&)\s+building\b|\bfee\s+simple\b|\bproperty\s+(?:is\s+)?included\b|\bsale\s+(?:price\s+)?(?:also\s+)?includes\b[^.!?]{0,60}?\b(?:real\s+estate|property|land|house|building|pad)\b|\bowner\s+will\s+sell\s+(?:the\s+)?property\b",
    )
});
static RE_NOT_INCLUDED: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\breal\s+estate\s*:?\s+(?:is\s+)?(?:not\s+included|(?:available|offered)\s+(?:for\s+(?:purchase|sale)\s+)?separately|sold\s+separately)\b|\bwithout\s+(?:the\s+)?(?:real\s+estate|property)\b|\bfor\s+lease\b|\blease\s*(?:@|at|:|of|for)\s*\$|\b(?:base\s+)?rent\s*(?:is|of|:|@|=)?\s*\$|\bleased\b|\bground\s+lease\b|\bNNN\b|\bbusiness\s+only\b|\blease\s+\d{1,2}\s*(?:years?|yrs?)\b|\b\d{1,2}\s*\+\s*\d{1,2}\s*-?\s*(?:years?|yrs?)\s+lease\b|\b(?:years?|yrs?)\s+(?:left|remaining)\s+on\s+(?:the\s+)?lease\b|\blease\s+(?:is\s+)?(?:month[- ]to[- ]month|expires|expiring|ends|runs)\b|\b\d{1,2}\s*-?\s*(?:years?|yrs?)\s+(?:NNN\s+|ground\s+|new\s+)?lease\b",
    )
});

/// "Business only $199,999.00": a business-only price offered beside the asking price.
static BUSINESS_ONLY_PRICE: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"(?i)\bbusiness\s+only\s*(?:price\s*)?(?:is\s+|for\s+|at\s+|@\s*|:\s*|-\s*)?\$\s?(?P<a1>{NUM})(?P<m1>{MULT})"
    ))
});

/// The wording says the real estate is in the deal (`inside`) and also that it is not
/// (`outside`: a lease, "business only"). Nothing is silently picked: the conflict is a
/// `real_estate_two_ways` mention (the real-estate reason says so and the grade drops), and the
/// broker is asked. When the text offers the business alone at a stated price below the asking
/// price (fl-003: "with property", asking $999,999; "Business only $199,999.00 + Inventory";
/// "Lease @ $5,999.00/ month"), the asking price is read as the price with the property, and the
/// difference is shown as `real_estate_value` with `estimate: true` (never scored).
fn real_estate_two_ways(
    d: &Scan,
    listing: &Listing,
    inside: &Found,
    outside: &Found,
    ex: &mut Extraction,
) {
    ex.mentions.push(Mention {
        kind: "real_estate_two_ways",
        quote: outside.fact.quote.clone(),
        start: outside.fact.start,
        end: outside.fact.end,
        source: outside.source,
    });
    let lease = ex
        .get("rent_per_month")
        .or_else(|| ex.get("lease_years_remaining"))
        .map(|f| format!(" with a lease (\"{}\")", f.fact.quote))
        .unwrap_or_default();
    let alternative = BUSINESS_ONLY_PRICE.captures(d.text).and_then(|c| {
        let m = c.get(0)?;
        let v = parse_amount(c.name("a1")?.as_str(), c.name("m1").map(|m| m.as_str()))?;
        Some((m, v))
    });
    match (alternative, listing.asking_price) {
        (Some((m, business)), Some(asking)) if business >= 1.0 && business < asking as f64 => {
            let value = (asking as f64 - business).round();
            ex.push(
                d.fact(
                    "real_estate_value",
                    FactValue::Number(value),
                    Some("USD"),
                    m.start(),
                    m.end(),
                )
                .estimated(true),
            );
            ex.ask(format!(
                "The listing offers the station with its real estate (\"{}\") at the asking price of {}, and also \"{}\"{lease}: is {} the price with the land and building, and does an appraisal support the implied real-estate value of about {}?",
                inside.fact.quote,
                crate::text::usd(asking),
                d.quote(m.start(), m.end()),
                crate::text::usd(asking),
                crate::text::usd(value as i64)
            ));
        }
        _ => ex.ask(format!(
            "The listing says \"{}\" (real estate included) but also \"{}\" (a leasehold or business-only sale): is the real estate in the asking price? If leased: rent, years left and options?",
            inside.fact.quote, outside.fact.quote
        )),
    }
}

fn real_estate(d: &Scan, t: &Scan, listing: &Listing, ex: &mut Extraction) {
    let field_flag = |name: &'static str, b: bool, quote: String| Found {
        fact: Fact {
            name: "real_estate_included".into(),
            value: FactValue::Flag(b),
            unit: None,
            quote,
            start: None,
            end: None,
            estimate: false,
        },
        source: Source::Field(name),
    };
    let wording_in = [t, d].into_iter().find_map(|s| {
        RE_INCLUDED
            .find_iter(s.text)
            .find(|m| {
                // "rent $5,000/month (plus real estate taxes, ...)" is a cost, not the property.
                let taxes = s.text.get(m.end()..).is_some_and(|a| {
                    a.trim_start()
                        .get(..3)
                        .is_some_and(|w| w.eq_ignore_ascii_case("tax"))
                });
                !taxes && !is_negated(s.text, m.start()) && !is_hypothetical(s.text, m.start(), 30)
            })
            .map(|m| {
                s.fact(
                    "real_estate_included",
                    FactValue::Flag(true),
                    None,
                    m.start(),
                    m.end(),
                )
            })
    });
    // For the contradiction check, only wording about this deal's tenancy: not a rented-out
    // house or unit on the property ("The rental home currently is leased", fl-029), and not a
    // bare "leased" or "NNN", which also describe a landlord's income.
    let leasehold_wording = || {
        let text = d.text;
        RE_NOT_INCLUDED.find_iter(text).find(|m| {
            let w = m.as_str().to_ascii_lowercase();
            let sentence = crate::text::sentence_before(text, m.start(), 200).to_ascii_lowercase();
            w != "leased"
                && w != "nnn"
                && !["rental", "rented", "tenant"]
                    .iter()
                    .any(|k| sentence.contains(k))
        })
    };
    let wording_out = [d, t].into_iter().find_map(|s| {
        RE_NOT_INCLUDED.find(s.text).map(|m| {
            s.fact(
                "real_estate_included",
                FactValue::Flag(false),
                None,
                m.start(),
                m.end(),
            )
        })
    });
    let re = &listing.real_estate;
    let chosen = if re.included == Some(true) {
        Some(field_flag(
            "real_estate.included",
            true,
            "Included in asking price".into(),
        ))
    } else if let Some(w) = wording_in {
        if re.included == Some(false) || re.ownership == Some(RealEstateOwnership::Leased) {
            ex.mentions.push(Mention {
                kind: "real_estate_conflict",
                quote: w.fact.quote.clone(),
                start: w.fact.start,
                end: w.fact.end,
                source: w.source,
            });
        }
        if let Some(m) = leasehold_wording() {
            let o = d.fact(
                "real_estate_included",
                FactValue::Flag(false),
                None,
                m.start(),
                m.end(),
            );
            real_estate_two_ways(d, listing, &w, &o, ex);
        }
        Some(w)
    } else if re.ownership == Some(RealEstateOwnership::Leased) {
        Some(field_flag("real_estate.ownership", false, "Leased".into()))
    } else if let Some(w) = wording_out {
        Some(w)
    } else if listing.rent.is_some() {
        Some(field_flag(
            "rent",
            false,
            format!(
                "Rent: {}",
                crate::text::usd(listing.rent.unwrap_or_default())
            ),
        ))
    } else if re.included == Some(false) {
        Some(field_flag(
            "real_estate.included",
            false,
            "Not included in asking price".into(),
        ))
    } else {
        None
    };
    if let Some(f) = chosen {
        ex.push(f);
    }
}

static HIGHWAY: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:interstate|freeway|fwy|highway|hwy|turnpike|state\s+route|US\s*-?\s*\d{1,3}|I\s*-\s*\d{1,3}|route\s+\d{1,3}|exit\s+\d+|off[- ]ramp|on[- ]ramp)\b",
    )
});
static NO_COMPETITION: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\bno\s+(?:nearby\s+)?competi(?:tion|tors?)\b|\bonly\s+(?:gas\s+)?station\s+(?:in|for|within)\b|\bno\s+other\s+(?:gas\s+)?stations?\b",
    )
});
static LOTTERY_WORD: Lazy<Regex> = Lazy::new(|| re(r"(?i)\b(?:lotto|lottery)\b"));
static ATM: Lazy<Regex> = Lazy::new(|| re(r"\bATM\b"));
static PROPANE: Lazy<Regex> = Lazy::new(|| re(r"(?i)\bpropane\b"));
static ALCOHOL: Lazy<Regex> =
    Lazy::new(|| re(r"(?i)\b(?:beer\s+(?:and|&)\s+wine|liquor|spirits|off[- ]sale)\b"));
static OPEN_24: Lazy<Regex> = Lazy::new(|| re(r"(?i)\b(?:24\s*/\s*7|24\s*hours?|open\s+24)\b"));
static GARAGE: Lazy<Regex> = Lazy::new(|| {
    re(r"(?i)\b(?:auto\s+repair|repair\s+(?:shop|bays?)|service\s+bays?|mechanic\s+shop|garage)\b")
});
static CASH_BUSINESS: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:unreported|off\s+the\s+books|under\s+the\s+table|cash\s+(?:income\s+)?not\s+reported)\b",
    )
});
static CLOSED: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:currently\s+closed|vacant\s+(?:gas\s+)?station|not\s+(?:currently\s+)?operating|closed\s+(?:since|for))\b",
    )
});

fn mentions(d: &Scan, t: &Scan, ex: &mut Extraction) {
    // (kind, pattern, a keyword of each alternative; empty: no gate, see [`Scan::has`])
    let list: [(&'static str, &Regex, &[&str]); 9] = [
        ("highway", &HIGHWAY, &[]),
        (
            "no_competition",
            &NO_COMPETITION,
            &["competi", "only", "other"],
        ),
        ("lottery", &LOTTERY_WORD, &["lott"]),
        ("atm", &ATM, &["atm"]),
        ("propane", &PROPANE, &["propane"]),
        ("alcohol", &ALCOHOL, &["beer", "liquor", "spirits", "off"]),
        ("open_24_7", &OPEN_24, &["24"]),
        (
            "repair_garage",
            &GARAGE,
            &["repair", "service", "mechanic", "garage"],
        ),
        ("closed", &CLOSED, &["closed", "vacant", "operating"]),
    ];
    for (kind, re, words) in list {
        for s in [d, t] {
            if !words.is_empty() && !s.has(words) {
                continue;
            }
            let hit = re.find_iter(s.text).find(|m| {
                // "no competition" is itself a negation; everything else must not be negated.
                let negated = kind != "no_competition" && is_negated(s.text, m.start());
                // ATM revenue that goes to a third party is not the buyer's.
                let third_party = kind == "atm"
                    && s.text.get(m.end()..).is_some_and(|a| {
                        a.chars()
                            .take(40)
                            .collect::<String>()
                            .to_ascii_lowercase()
                            .contains("third party")
                    });
                !(negated || third_party || is_hypothetical(s.text, m.start(), 30))
            });
            if let Some(m) = hit {
                ex.mentions.push(s.mention(kind, m.start(), m.end()));
                break;
            }
        }
    }
    let cash_words = d.has(&["unreported", "books", "table", "cash"]);
    if let Some(m) = cash_words.then(|| CASH_BUSINESS.find(d.text)).flatten() {
        ex.mentions
            .push(d.mention("cash_business", m.start(), m.end()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(desc: &str) -> Listing {
        Listing {
            listing_id: "t".into(),
            description: Some(desc.into()),
            ..Default::default()
        }
    }

    fn get(desc: &str, name: &str) -> Option<Fact> {
        extract(&listing(desc)).into_iter().find(|f| f.name == name)
    }

    fn quote_at(desc: &str, f: &Fact) -> String {
        let (s, e) = (f.start.unwrap(), f.end.unwrap());
        desc.chars().skip(s).take(e - s).collect()
    }

    #[test]
    fn gallons_per_day_week_year_are_normalised() {
        let f = get("Pumps 3,000 gallons a day.", "gallons_per_month").unwrap();
        assert_eq!(f.value, FactValue::Number(91_200.0));
        let f = get("Sells 1.2M gallons per year.", "gallons_per_month").unwrap();
        assert_eq!(f.value, FactValue::Number(100_000.0));
        let f = get("About 20,000 gallons per week", "gallons_per_month").unwrap();
        assert_eq!(f.value, FactValue::Number(86_666.67));
    }

    #[test]
    fn gallons_without_period_cut_off_projection_or_implausible_are_questions() {
        for desc in [
            "GALLON: 45,000 RENT: $2,000",
            "Outside sales are 50,000 gallons per...",
            "Projected gas and Diesel volume  is 1M/ month",
            "Gas & Diesel 100Gal/Mth @ .70+",
            "It should do 90,000 gallons a month once re-imaged",
        ] {
            let ex = extract_all(&listing(desc));
            assert!(ex.get("gallons_per_month").is_none(), "{desc}");
            assert!(!ex.questions.is_empty(), "no question for {desc}");
        }
    }

    #[test]
    fn tank_capacity_is_not_volume_and_asks_nothing() {
        let ex = extract_all(&listing("3 UST's each with a capacity of 12,000 gallons"));
        assert!(ex.get("gallons_per_month").is_none());
        assert!(ex.questions.is_empty(), "{:?}", ex.questions);
    }

    /// A label with the period after the figure ("Gallons: 45,000 per month.", a trial's
    /// paste); without a period it stays a question.
    #[test]
    fn gallons_label_then_figure_then_period() {
        let desc = "Gallons: 45,000 per month.";
        let f = get(desc, "gallons_per_month").unwrap();
        assert_eq!(f.value, FactValue::Number(45_000.0));
        assert_eq!(quote_at(desc, &f), f.quote);
        let f = get("Fuel gallons: 1,500 a day", "gallons_per_month").unwrap();
        assert_eq!(f.value, FactValue::Number(45_600.0));
        let ex = extract_all(&listing("GALLON: 45,000 RENT: $2,000"));
        assert!(ex.get("gallons_per_month").is_none());
    }

    /// Wordings a new-user trial pasted that were reported as "not stated" (2026-12-04).
    #[test]
    fn merchandise_margin_and_supply_years_in_other_wordings() {
        for (desc, pct) in [
            ("Strong store with a 32% merchandise margin.", 32.0),
            ("Inside margin of 32 percent on groceries.", 32.0),
            ("Merchandise margin is 32%.", 32.0),
            ("35% margin on inside sales", 35.0),
        ] {
            let f = get(desc, "merchandise_margin_percent").unwrap_or_else(|| panic!("{desc}"));
            assert_eq!(f.value, FactValue::Number(pct), "{desc}");
            assert_eq!(quote_at(desc, &f), f.quote);
        }
        for (desc, years) in [
            ("Shell supply contract has 8 years remaining.", 8.0),
            ("Supply agreement with 8 years left.", 8.0),
            ("There are 6 years left on the Shell contract.", 6.0),
            ("10 yrs remaining on branded supply agreement", 10.0),
        ] {
            let f =
                get(desc, "supply_contract_years_remaining").unwrap_or_else(|| panic!("{desc}"));
            assert_eq!(f.value, FactValue::Number(years), "{desc}");
        }
        // Other contracts are not the fuel supply agreement.
        for desc in [
            "5 years left on the lease agreement.",
            "3 years remaining on the franchise agreement",
            "2 years left on the non-compete agreement",
        ] {
            assert!(
                get(desc, "supply_contract_years_remaining").is_none(),
                "{desc}"
            );
        }
        assert!(get(
            "A 32% discount for the store margin",
            "merchandise_margin_percent"
        )
        .is_none());
    }

    #[test]
    fn commission_is_never_a_margin() {
        let desc =
            "The station pumps an average of 50,000 gallons per month with a 2-cent commission.";
        let facts = extract(&listing(desc));
        assert!(facts
            .iter()
            .all(|f| f.name != "fuel_margin_cents_per_gallon"));
        let c = facts
            .iter()
            .find(|f| f.name == "fuel_commission_cents_per_gallon")
            .unwrap();
        assert_eq!(c.value, FactValue::Number(2.0));
        assert_eq!(quote_at(desc, c), c.quote);
    }

    #[test]
    fn margin_in_dollars_and_cents() {
        let f = get(
            "with an average of $0.80 per gallon margin",
            "fuel_margin_cents_per_gallon",
        )
        .unwrap();
        assert_eq!(f.value, FactValue::Number(80.0));
        let f = get(
            "pumping 50-55K gallons/month at .50- 60 cent margins",
            "fuel_margin_cents_per_gallon",
        )
        .unwrap();
        assert_eq!(
            f.value,
            FactValue::Range {
                min: 50.0,
                max: 60.0
            }
        );
        assert!(get("store margin of 30%", "fuel_margin_cents_per_gallon").is_none());
    }

    #[test]
    fn environmental_status_reads_completion_and_open_files() {
        let s = |d: &str| get(d, "environmental_status").unwrap().value;
        assert_eq!(
            s("EPA remediation completed, NFA letter on file."),
            FactValue::Text("closed_nfa".into())
        );
        assert_eq!(
            s("Remediation ongoing, state fund pays."),
            FactValue::Text("open".into())
        );
        assert_eq!(s("Former leak on site."), FactValue::Text("open".into()));
        assert_eq!(
            s("Phase I completed and clean."),
            FactValue::Text("clean".into())
        );
        assert_eq!(
            s("No leaks ever. Great store."),
            FactValue::Text("not_mentioned".into())
        );
        assert_eq!(s("Great store."), FactValue::Text("not_mentioned".into()));
    }

    #[test]
    fn owner_operator_potential_is_not_owner_operated() {
        let f = get(
            "Fully Absentee-Run | Huge Owner-Operator Potential",
            "owner_involvement",
        )
        .unwrap();
        assert_eq!(f.value, FactValue::Text("absentee".into()));
        let f = get(
            "Semi-Absentee-Run Marathon Gas Station",
            "owner_involvement",
        )
        .unwrap();
        assert_eq!(f.value, FactValue::Text("semi_absentee".into()));
        assert!(get(
            "A perfect fit for a creative owner operator.",
            "owner_involvement"
        )
        .is_none());
    }

    #[test]
    fn lease_with_options_and_rent_with_period() {
        let desc = "Lease @ $5,999.00/ month.5+5 year Lease.";
        let facts = extract(&listing(desc));
        let by = |n: &str| facts.iter().find(|f| f.name == n).unwrap().value.clone();
        assert_eq!(by("rent_per_month"), FactValue::Number(5_999.0));
        assert_eq!(by("lease_years_remaining"), FactValue::Number(5.0));
        assert_eq!(by("lease_option_years"), FactValue::Number(5.0));
        let ex = extract_all(&listing("RENT: $3,750, Zanesville"));
        assert!(ex.get("rent_per_month").is_none());
        assert!(ex.questions.iter().any(|q| q.contains("RENT: $3,750")));
    }

    #[test]
    fn negated_lottery_is_not_a_profit_centre() {
        let ex = extract_all(&listing("Seller does NOT have Lottery, ATM, nor an..."));
        assert!(ex.mention("lottery").is_none());
        assert!(ex.mention("atm").is_none());
    }

    #[test]
    fn keyword_gates_fold_case_like_the_patterns() {
        // (?i) folds KELVIN SIGN onto k and LONG S onto s; the gate in front of the tank
        // patterns must let such text through, or the gate would change a result.
        let desc = "Double wall TAN\u{212A}S installed in 1999.";
        assert_eq!(
            get(desc, "tank_install_year").map(|f| f.value),
            Some(FactValue::Number(1999.0))
        );
        let d = Scan::new(
            "Gas \u{17F}ALES of 9,000 GALLONS a day",
            Source::Description,
        );
        assert!(d.has(&["sale"]) && d.has(&["gal"]) && !d.has(&["lease"]));
        // No keyword, no scan, and still the "not mentioned" environmental fact.
        assert_eq!(
            get("A quiet store.", "environmental_status").map(|f| f.value),
            Some(FactValue::Text("not_mentioned".into()))
        );
    }

    #[test]
    fn quotes_match_character_offsets_with_multibyte_text() {
        let desc = "Café — “Shell” station, 120,000 gallons per month, 35% inside margin.";
        for f in extract(&listing(desc)) {
            if let (Some(_), Some(_)) = (f.start, f.end) {
                assert_eq!(quote_at(desc, &f), f.quote, "{}", f.name);
            }
        }
        assert_eq!(
            get(desc, "gallons_per_month").unwrap().value,
            FactValue::Number(120_000.0)
        );
    }
}
