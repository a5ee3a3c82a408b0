//! The scoring rules, one module per bucket. Each rule reads the facts and fields, earns a share
//! of its factor's maximum points, and says why in plain English with its threshold and source
//! tag. A figure the listing does not give earns half the points (neutral), is listed as missing
//! and becomes a question for the broker; nothing is guessed.

use gsa_schemas::{Cap, Dscr, Evidence, Factor, Listing, RealEstateAssessment};

use crate::config::ScoringConfig;
use crate::facts::Extraction;

pub(crate) mod cash_flow;
pub(crate) mod location_upside;
pub(crate) mod operations;
pub(crate) mod price;
pub(crate) mod real_estate_or_lease;
pub(crate) mod risk;

/// The six summary buckets, in card order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketName {
    /// Asking price against cash flow.
    Price,
    /// Debt service coverage and earnings level.
    CashFlow,
    /// Real estate in the deal, or the lease and rent.
    RealEstateOrLease,
    /// Fuel and store operations.
    Operations,
    /// Environmental, tanks, supply contract, verifiability.
    Risk,
    /// Location, profit centres, financing signals.
    LocationUpside,
}

impl BucketName {
    /// All buckets in card order.
    pub const ALL: [BucketName; 6] = [
        BucketName::Price,
        BucketName::CashFlow,
        BucketName::RealEstateOrLease,
        BucketName::Operations,
        BucketName::Risk,
        BucketName::LocationUpside,
    ];

    /// Stable name used in [`Factor::bucket`] and [`gsa_schemas::Bucket::name`].
    pub fn as_str(&self) -> &'static str {
        match self {
            BucketName::Price => "price",
            BucketName::CashFlow => "cash_flow",
            BucketName::RealEstateOrLease => "real_estate_or_lease",
            BucketName::Operations => "operations",
            BucketName::Risk => "risk",
            BucketName::LocationUpside => "location_upside",
        }
    }
}

/// Everything the rules read, computed once.
pub(crate) struct Ctx<'a> {
    pub listing: &'a Listing,
    pub cfg: &'a ScoringConfig,
    pub ex: &'a Extraction,
    pub re: &'a RealEstateAssessment,
    /// Real estate in the deal (stated or inferred).
    pub re_in_deal: bool,
    /// Cash flow after the manager-wage normalisation, USD/year.
    pub norm_sde: Option<i64>,
    /// A manager wage was deducted.
    pub wage_deducted: bool,
    pub dscr: Option<Dscr>,
    /// Year the listing was read.
    pub year: Option<i32>,
}

/// A factor plus what the summary needs.
#[derive(Debug, Clone)]
pub(crate) struct Scored {
    pub factor: Factor,
    /// The listing gave what the rule needs (not a neutral half).
    pub known: bool,
    /// Short phrase for the summary, e.g. "275,000 gallons a month".
    pub headline: String,
}

/// What the rules produce.
#[derive(Debug, Default)]
pub(crate) struct Out {
    pub scored: Vec<Scored>,
    pub missing: Vec<String>,
    pub questions: Vec<String>,
    pub caps: Vec<Cap>,
}

/// One factor under construction.
pub(crate) struct F {
    pub name: &'static str,
    pub bucket: BucketName,
    pub max: f64,
    pub share: f64,
    pub rule: String,
    pub evidence: Vec<Evidence>,
    pub known: bool,
    pub headline: String,
}

impl Out {
    pub fn add(&mut self, f: F) {
        let points = crate::text::round2(f.share.clamp(0.0, 1.0) * f.max);
        // "<rule> -> <points>/<max>", built in one buffer.
        let mut rule = String::with_capacity(f.rule.len() + 16);
        rule.push_str(&f.rule);
        rule.push_str(" -> ");
        crate::text::push_num(&mut rule, points);
        rule.push('/');
        crate::text::push_num(&mut rule, f.max);
        self.scored.push(Scored {
            factor: Factor {
                name: f.name.to_string(),
                bucket: f.bucket.as_str().to_string(),
                points,
                max_points: f.max,
                rule,
                evidence: f.evidence,
            },
            known: f.known,
            headline: f.headline,
        });
    }

    pub fn missing(&mut self, what: &str) {
        if !self.missing.iter().any(|m| m == what) {
            self.missing.push(what.to_string());
        }
    }

    pub fn ask(&mut self, q: impl Into<String>) {
        let q = q.into();
        if !self.questions.contains(&q) {
            self.questions.push(q);
        }
    }

    pub fn cap(&mut self, limit: u8, reason: String) {
        self.caps.push(Cap { limit, reason });
    }
}

/// Neutral share for a missing figure.
pub(crate) const NEUTRAL: f64 = 0.5;

/// Band of a value where lower is better: `bounds` ascending upper bounds. Returns (index, share).
pub(crate) fn band_low_better(v: f64, bounds: &[f64], shares: &[f64]) -> (usize, f64) {
    let i = bounds.iter().position(|b| v <= *b).unwrap_or(bounds.len());
    (i, shares.get(i).copied().unwrap_or(0.0))
}

/// Band of a value where higher is better: `bounds` descending lower bounds.
pub(crate) fn band_high_better(v: f64, bounds: &[f64], shares: &[f64]) -> (usize, f64) {
    let i = bounds.iter().position(|b| v >= *b).unwrap_or(bounds.len());
    (i, shares.get(i).copied().unwrap_or(0.0))
}

/// "<= 7.5" / "> 10" for a lower-is-better band index.
pub(crate) fn low_threshold(i: usize, bounds: &[f64]) -> String {
    match bounds.get(i) {
        Some(b) => format!("<= {}", crate::text::num(*b)),
        None => format!(
            "> {}",
            crate::text::num(bounds.last().copied().unwrap_or(0.0))
        ),
    }
}

/// ">= 1.25" / "< 1.0" for a higher-is-better band index.
pub(crate) fn high_threshold(i: usize, bounds: &[f64]) -> String {
    match bounds.get(i) {
        // A floor of 0 says nothing ("below half the median (>= 0x)"): give the ceiling.
        Some(b) if *b <= 0.0 && i > 0 => format!(
            "< {}",
            crate::text::num(bounds.get(i - 1).copied().unwrap_or(0.0))
        ),
        Some(b) => format!(">= {}", crate::text::num(*b)),
        None => format!(
            "< {}",
            crate::text::num(bounds.last().copied().unwrap_or(0.0))
        ),
    }
}

/// Evidence from a listing field.
pub(crate) fn field(name: &str, quote: impl Into<String>) -> Evidence {
    Evidence {
        source: name.to_string(),
        quote: quote.into(),
        start: None,
        end: None,
    }
}

/// Runs every bucket's rules.
pub(crate) fn run(ctx: &Ctx) -> Out {
    let mut out = Out::default();
    price::score(ctx, &mut out);
    cash_flow::score(ctx, &mut out);
    real_estate_or_lease::score(ctx, &mut out);
    operations::score(ctx, &mut out);
    risk::score(ctx, &mut out);
    location_upside::score(ctx, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_pick_the_first_matching_bound() {
        let b = [2.0, 2.4, 3.5, 4.12];
        let s = [1.0, 0.8, 0.55, 0.3, 0.0];
        assert_eq!(band_low_better(2.0, &b, &s), (0, 1.0));
        assert_eq!(band_low_better(2.5, &b, &s), (2, 0.55));
        assert_eq!(band_low_better(9.0, &b, &s), (4, 0.0));
        let d = [1.5, 1.25, 1.10, 1.0];
        assert_eq!(
            band_high_better(1.38, &d, &[1.0, 0.8, 0.5, 0.25, 0.0]),
            (1, 0.8)
        );
        assert_eq!(
            band_high_better(0.9, &d, &[1.0, 0.8, 0.5, 0.25, 0.0]),
            (4, 0.0)
        );
        assert_eq!(high_threshold(4, &d), "< 1");
        assert_eq!(low_threshold(1, &b), "<= 2.4");
    }
}
