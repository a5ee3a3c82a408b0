//! `score`: one listing in, one score card out. Pure and deterministic: no clock, no randomness,
//! no I/O; the same listing and configuration always give the same card.

use gsa_schemas::{Bucket, Listing, RealEstateBasis, ScoreCard};

use crate::config::ScoringConfig;
use crate::rules::{self, BucketName, Ctx};
use crate::valuation::{cross_check, ValuationInput};
use crate::{applicability, confidence, dscr, facts, real_estate, summary};

/// Largest dollar figure (USD) taken as stated. The largest gas station and truck stop deals
/// are in the hundreds of millions; a figure above $10 billion is a typo or garbage
/// ("$2000000000B"), every multiple, DSCR and valuation computed from it would mean nothing,
/// and its sums could overflow.
pub const MAX_PLAUSIBLE_USD: i64 = 10_000_000_000;

/// The listing with every dollar figure above [`MAX_PLAUSIBLE_USD`] (either sign) set aside as
/// not stated, and a question for each; borrowed (no copy) when all are plausible, as on every
/// real listing.
fn plausible(listing: &Listing) -> (std::borrow::Cow<'_, Listing>, Vec<String>) {
    let bad = |v: Option<i64>| v.is_some_and(|v| v.unsigned_abs() > MAX_PLAUSIBLE_USD as u64);
    let l = listing;
    let all = [
        l.asking_price,
        l.cash_flow,
        l.gross_revenue,
        l.ebitda,
        l.ffe,
        l.inventory,
        l.rent,
        l.real_estate.value,
    ];
    if !all.into_iter().any(bad) {
        return (std::borrow::Cow::Borrowed(listing), vec![]);
    }
    let mut l = listing.clone();
    let mut questions = Vec::new();
    for (name, f) in [
        ("asking price", &mut l.asking_price),
        ("cash flow", &mut l.cash_flow),
        ("gross revenue", &mut l.gross_revenue),
        ("EBITDA", &mut l.ebitda),
        ("FF&E", &mut l.ffe),
        ("inventory", &mut l.inventory),
        ("rent", &mut l.rent),
        ("real estate value", &mut l.real_estate.value),
    ] {
        if bad(*f) {
            questions.push(format!(
                "The listing gives a {name} of {}, beyond any real deal (over $10 billion): a typo? It was not used.",
                crate::text::usd(f.take().unwrap_or_default())
            ));
        }
    }
    (std::borrow::Cow::Owned(l), questions)
}

/// Scores a listing. `listing_event_id` is the id of the listing event being scored.
///
/// The card has no history (`previous_score`, `previous_model_version`, `changes` empty):
/// [`crate::explain::attach`] adds it against the listing's previous card.
///
/// A listing that is not a US gas station, c-store with fuel or truck stop gets
/// `applicable: false`, the reason, `score: null`, and its facts (facts are extracted for every
/// listing).
pub fn score(listing: &Listing, listing_event_id: &str, cfg: &ScoringConfig) -> ScoreCard {
    score_reading(listing, listing_event_id, cfg, None)
}

/// How the real estate is read when the listing does not state it: the two readings a card
/// compares (see [`other_reading_question`]).
#[derive(Clone, Copy, PartialEq)]
enum Reading {
    /// In the deal: judged on the with-real-estate band, 25-year SBA term.
    Included,
    /// Not known: judged as business-only (the cautious reading).
    BusinessOnly,
}

/// The question that puts a number on the real estate when the listing does not state it, in
/// the zone where the two readings give very different scores: inferred (asking price at least
/// `price.infer_real_estate_min_multiple` x cash flow), or unknown at a multiple above the
/// business-only band's last bound (4.12x), where a business-only deal is already "poor" but the
/// with-real-estate band (sold comps 4-6x [SAAD-ISO]) is not.
///
/// A threshold cannot be both monotone and faithful to the reference here: each reading falls
/// as the price rises, but the with-real-estate one starts far higher, so with $150,000 cash flow
/// and 70,000 gallons a month $899,000 (5.99x, judged business-only) scores 40 and $900,000
/// (6.0x, real estate inferred [SAAD-GSA]) scores 74 (docs/SCORING.md §3). The card therefore
/// gives the score under the other reading, so a buyer sees both and what to ask.
fn other_reading_question(
    listing: &Listing,
    listing_event_id: &str,
    cfg: &ScoringConfig,
    basis: RealEstateBasis,
    this_score: u8,
) -> Option<String> {
    let m = listing.multiple()?;
    let poor_above = cfg.price.business_only_bounds.last().copied()?;
    let (other, what_now, what_other) = match basis {
        RealEstateBasis::Inferred => (
            Reading::BusinessOnly,
            "with the real estate (inferred)",
            "as business-only",
        ),
        RealEstateBasis::Unknown if m > poor_above => (
            Reading::Included,
            "as business-only (not stated)",
            "with the real estate",
        ),
        _ => return None,
    };
    let other_score = score_reading(listing, listing_event_id, cfg, Some(other)).score?;
    (other_score != this_score).then(|| {
        format!(
            "Is the real estate in the asking price? At {m:.2}x cash flow this listing is judged {what_now} and scores {this_score}; judged {what_other} it would score {other_score}."
        )
    })
}

/// [`score`] with the real estate read as `reading` when the listing does not state it (`None`:
/// as [`real_estate::assess`] decides).
fn score_reading(
    listing: &Listing,
    listing_event_id: &str,
    cfg: &ScoringConfig,
    reading: Option<Reading>,
) -> ScoreCard {
    let (listing, set_aside) = plausible(listing);
    let listing = &*listing;
    let ex = facts::extract_all(listing);
    let app = applicability::assess(listing);
    let mut re = real_estate::assess(listing, &ex, cfg);
    if re.basis != RealEstateBasis::Stated {
        match reading {
            Some(Reading::Included) => re.included = Some(true),
            Some(Reading::BusinessOnly) => re.included = None,
            None => {}
        }
    }
    let conf = confidence::grade(listing, &ex, &re);
    let facts: Vec<_> = ex.found.iter().map(|f| f.fact.clone()).collect();
    let model_version = cfg.model_version();

    if !app.applicable {
        return ScoreCard {
            listing_id: listing.listing_id.clone(),
            listing_event_id: listing_event_id.to_string(),
            model_version,
            applicable: false,
            not_applicable_reason: Some(app.reason.clone()),
            score: None,
            confidence: conf,
            real_estate: re,
            buckets: vec![],
            factors: vec![],
            caps: vec![],
            facts,
            missing: vec![],
            questions: vec![],
            dscr: None,
            valuation: None,
            summary: format!("Not scored: {}", app.reason),
            previous_score: None,
            previous_model_version: None,
            changes: vec![],
        };
    }

    let owner = ex.get("owner_involvement").and_then(|f| f.text());
    let wage_deducted = owner == Some("owner_operated") && listing.cash_flow.is_some();
    let norm_sde = listing.cash_flow.map(|c| {
        if wage_deducted {
            c - cfg.valuation.manager_wage_usd
        } else {
            c
        }
    });
    let re_in_deal = re.included == Some(true);
    let dscr = match (listing.asking_price, norm_sde) {
        (Some(p), Some(s)) => dscr::compute(p, s, re_in_deal, &cfg.sba),
        _ => None,
    };
    let ctx = Ctx {
        listing,
        cfg,
        ex: &ex,
        re: &re,
        re_in_deal,
        norm_sde,
        wage_deducted,
        dscr: dscr.clone(),
        year: facts::listing_year(listing),
    };
    let out = rules::run(&ctx);

    let buckets: Vec<Bucket> = BucketName::ALL
        .iter()
        .map(|b| Bucket {
            name: b.as_str().to_string(),
            points: crate::text::round2(
                out.scored
                    .iter()
                    .filter(|s| s.factor.bucket == b.as_str())
                    .map(|s| s.factor.points)
                    .sum(),
            ),
            max_points: cfg.bucket_max(*b),
        })
        .collect();
    let sum: f64 = buckets.iter().map(|b| b.points).sum();
    let raw = sum.round().clamp(0.0, 100.0) as u8;
    let final_score = crate::caps::apply(raw, &out.caps);

    let mut questions = set_aside;
    questions.extend(ex.questions.iter().cloned());
    if let Some(m) = ex.mention("closed") {
        questions.push(format!(
            "The listing says \"{}\": when did the site stop operating, and what were its last full-year sales and gallons?",
            m.quote
        ));
    }
    if let Some(m) = ex.mention("real_estate_conflict") {
        questions.push(format!(
            "The wording says \"{}\" but the listing's real-estate field says otherwise: is the real estate in the asking price?",
            m.quote
        ));
    }
    for q in &out.questions {
        if !questions.contains(q) {
            questions.push(q.clone());
        }
    }

    if reading.is_none() {
        if let Some(q) =
            other_reading_question(listing, listing_event_id, cfg, re.basis, final_score)
        {
            questions.push(q);
        }
    }

    let valuation = match (listing.asking_price, norm_sde) {
        (Some(price), Some(sde)) => cross_check(
            &ValuationInput {
                price,
                normalised_sde: sde,
                wage_deducted,
                real_estate_in_deal: re_in_deal,
                real_estate_value: listing.real_estate.value.filter(|_| re_in_deal),
                tank_capex: rules::risk::tank_capex(&ctx),
            },
            cfg,
        ),
        _ => None,
    };
    let mut summary = summary::write(final_score, conf, cfg, &out.scored, &out.caps, &out.missing);
    if re.basis == RealEstateBasis::Inferred {
        summary.push_str(&format!(
            " Real estate is inferred from the {:.2}x multiple, not stated.",
            listing.multiple().unwrap_or_default()
        ));
    }

    ScoreCard {
        listing_id: listing.listing_id.clone(),
        listing_event_id: listing_event_id.to_string(),
        model_version,
        applicable: true,
        not_applicable_reason: None,
        score: Some(final_score),
        confidence: conf,
        real_estate: re,
        buckets,
        factors: out.scored.into_iter().map(|s| s.factor).collect(),
        caps: out.caps,
        facts,
        missing: out.missing,
        questions,
        dscr,
        valuation,
        summary,
        previous_score: None,
        previous_model_version: None,
        changes: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Around the multiple at which real estate is inferred the score jumps ($899,000 scored 40
    /// and $900,000 scored 74): each card gives the score under the other reading, so a buyer
    /// sees both numbers and what to ask.
    #[test]
    fn both_readings_of_unstated_real_estate_are_given_near_the_inference_multiple() {
        let cfg = ScoringConfig::default();
        let at = |price: i64| {
            let listing = Listing {
                listing_id: "t".into(),
                title: Some("Gas Station for Sale in Austin, TX".into()),
                description: Some(
                    "Shell gas station with a convenience store, pumping 70,000 gallons per month."
                        .into(),
                ),
                state: Some("TX".into()),
                asking_price: Some(price),
                cash_flow: Some(150_000),
                ..Default::default()
            };
            score(&listing, "e", &cfg)
        };
        let asked = |c: &ScoreCard| {
            c.questions
                .iter()
                .find(|q| q.starts_with("Is the real estate in the asking price? At "))
                .cloned()
        };
        let below = at(899_000);
        let above = at(900_000);
        assert_eq!(below.real_estate.basis, RealEstateBasis::Unknown);
        assert_eq!(above.real_estate.basis, RealEstateBasis::Inferred);
        // The numbers of the known jump; each card's other reading is the neighbour's score.
        assert_eq!((below.score, above.score), (Some(40), Some(74)));
        assert_eq!(
            asked(&below).unwrap(),
            "Is the real estate in the asking price? At 5.99x cash flow this listing is judged as business-only (not stated) and scores 40; judged with the real estate it would score 74."
        );
        assert_eq!(
            asked(&above).unwrap(),
            "Is the real estate in the asking price? At 6.00x cash flow this listing is judged with the real estate (inferred) and scores 74; judged as business-only it would score 40."
        );
        // Below the business-only band's last bound (4.12x) a business-only reading is not yet
        // poor, and no such question is asked; nor when the listing states the real estate.
        assert_eq!(asked(&at(600_000)), None);
    }

    /// "Cash Flow: $2000000000B" (2e18) made the valuation's sum overflow and, in a debug
    /// build, panic the analyzer and every service of `gsa up` (a break-it trial).
    #[test]
    fn an_implausible_figure_is_set_aside_and_asked_about() {
        let listing = Listing {
            listing_id: "t".into(),
            title: Some("Gas Station for Sale in Austin, TX".into()),
            description: Some("Shell gas station pumping 60,000 gallons per month.".into()),
            state: Some("TX".into()),
            asking_price: Some(1_000_000),
            cash_flow: Some(2_000_000_000_000_000_000),
            ..Default::default()
        };
        let card = score(&listing, "e", &ScoringConfig::default());
        assert!(card.applicable);
        assert!(card.dscr.is_none() && card.valuation.is_none());
        assert!(
            card.missing.iter().any(|m| m == "cash_flow"),
            "{:?}",
            card.missing
        );
        assert!(
            card.questions[0]
                .starts_with("The listing gives a cash flow of $2,000,000,000,000,000,000"),
            "{:?}",
            card.questions
        );
        // A real-sized figure is used as stated.
        let ok = Listing {
            cash_flow: Some(250_000),
            ..listing
        };
        let card = score(&ok, "e", &ScoringConfig::default());
        assert!(card.dscr.is_some());
        assert!(!card
            .questions
            .iter()
            .any(|q| q.contains("beyond any real deal")));
    }
}
