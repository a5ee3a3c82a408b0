//! `score`: one listing in, one score card out. Pure and deterministic: no clock, no randomness,
//! no I/O; the same listing and configuration always give the same card.

use gsa_schemas::{Bucket, Listing, RealEstateBasis, ScoreCard};

use crate::config::ScoringConfig;
use crate::rules::{self, BucketName, Ctx};
use crate::valuation::{cross_check, ValuationInput};
use crate::{applicability, confidence, dscr, facts, real_estate, summary};

/// Scores a listing. `listing_event_id` is the id of the listing event being scored.
///
/// The card has no history (`previous_score`, `previous_model_version`, `changes` empty):
/// [`crate::explain::attach`] adds it against the listing's previous card.
///
/// A listing that is not a US gas station, c-store with fuel or truck stop gets
/// `applicable: false`, the reason, `score: null`, and its facts (facts are extracted for every
/// listing).
pub fn score(listing: &Listing, listing_event_id: &str, cfg: &ScoringConfig) -> ScoreCard {
    let ex = facts::extract_all(listing);
    let app = applicability::assess(listing);
    let re = real_estate::assess(listing, &ex, cfg);
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

    let mut questions = ex.questions.clone();
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
