//! The seed case: Hubbard, Oregon [SAAD-GSA]. Asking $8,499,000, cash flow $1,200,000, revenue
//! $12,512,022, "275,000 gallons a month", and no "real estate included" wording. The 7.08x
//! multiple means the real estate is in the deal (inferred), which earns its points, and the
//! listing must land in the high band (>= 75).

mod common;

use gsa_analyzer::{score, writeup, ScoringConfig};
use gsa_schemas::{FactValue, RealEstateBasis};

#[test]
fn hubbard_scores_high_with_inferred_real_estate() {
    let cfg = ScoringConfig::default();
    let l = common::hubbard();
    let card = score(&l, "evt-1", &cfg);
    assert!(card.applicable);
    let s = card.score.unwrap();
    assert!(s >= 75, "Hubbard scored {s}: {:#?}", card.factors);
    assert_eq!(card.real_estate.basis, RealEstateBasis::Inferred);
    assert_eq!(card.real_estate.included, Some(true));
    assert!(card.real_estate.reason.contains("7.08x"));
    let g = card
        .facts
        .iter()
        .find(|f| f.name == "gallons_per_month")
        .unwrap();
    assert_eq!(g.value, FactValue::Number(275_000.0));
    assert_eq!(g.quote, "275,000 gallons a month");
    // SBA: 90% loan, 25 years because real estate is in the deal, DSCR 1.38.
    let d = card.dscr.clone().unwrap();
    assert_eq!(d.term_years, 25);
    assert_eq!(d.ratio, 1.38);
    // The real estate earns the bucket, and the price is judged on the with-real-estate band.
    let re = card
        .factors
        .iter()
        .find(|f| f.name == "real_estate_in_deal")
        .unwrap();
    assert_eq!(re.points, re.max_points);
    let p = card
        .factors
        .iter()
        .find(|f| f.name == "price_to_cash_flow")
        .unwrap();
    assert!(
        p.rule.contains("with-real-estate band") && p.rule.contains("inferred"),
        "{}",
        p.rule
    );
    assert!(card.caps.is_empty());
    // The missing pieces become questions.
    assert!(card.missing.contains(&"environmental_status".to_string()));
    assert!(card.missing.contains(&"real_estate_value".to_string()));
    // The inference is a question with both readings' scores (one real-estate question).
    assert!(
        card.questions.iter().any(|q| q
            == "Is the real estate in the asking price? At 7.08x cash flow this listing is judged with the real estate (inferred) and scores 76; judged as business-only it would score 43."),
        "{:?}",
        card.questions
    );
    assert!(!card
        .questions
        .iter()
        .any(|q| q.contains("confirm the land and building")));
    // The loan is above the SBA 7(a) limit: asked, not hidden.
    assert!(card.questions.iter().any(|q| q.contains("7(a)")));
    // Valuation: going concern at 4-6x cash flow, asking at a premium.
    let v = card.valuation.clone().unwrap();
    assert_eq!((v.low_usd, v.high_usd), (4_800_000, 7_200_000));
    assert!(v.asking_vs_mid_percent > 40.0);
    // The write-up says why.
    let md = writeup::markdown(&l, &card);
    assert!(md.contains("Inferred"), "{md}");
    assert!(md.contains("7.08x"), "{md}");
    assert!(md.contains("screen, not an appraisal"));
    assert!(card.summary.contains("Worth a call"));
    assert!(card.summary.contains("inferred"));
}

#[test]
fn scoring_is_deterministic_and_names_its_model() {
    let cfg = ScoringConfig::default();
    let l = common::hubbard();
    let a = score(&l, "evt-1", &cfg);
    let b = score(&l, "evt-1", &cfg);
    assert_eq!(a, b);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    assert_eq!(a.model_version, cfg.model_version());
    assert!(a.model_version.starts_with("rules-4+cfg."));
    let other = ScoringConfig::from_toml_str("[sba]\nrate_percent = 7.0\n").unwrap();
    let c = score(&l, "evt-1", &other);
    assert_ne!(c.model_version, a.model_version);
    assert!(c.dscr.unwrap().ratio > a.dscr.unwrap().ratio);
}
