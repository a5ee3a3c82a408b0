//! Table tests, one per rule: each asserts a value that would be wrong if the rule were wrong.

use chrono::{TimeZone, Utc};
use gsa_analyzer::{facts, score, ScoringConfig};
use gsa_schemas::{FactValue, Listing, RealEstateBasis, ScoreCard};

/// A leased US gas station: $1,000,000 asking, $250,000 cash flow, $3,000,000 revenue.
fn station(desc: &str) -> Listing {
    Listing {
        listing_id: "t-1".into(),
        title: Some("Shell gas station with c-store".into()),
        category: Some("Gas Stations".into()),
        city: Some("Dayton".into()),
        state: Some("OH".into()),
        country: Some("US".into()),
        asking_price: Some(1_000_000),
        cash_flow: Some(250_000),
        gross_revenue: Some(3_000_000),
        description: Some(desc.into()),
        fetched_at: Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).single().unwrap(),
        ..Default::default()
    }
}

fn card(l: &Listing) -> ScoreCard {
    score(l, "evt", &ScoringConfig::default())
}

fn factor<'a>(c: &'a ScoreCard, name: &str) -> &'a gsa_schemas::Factor {
    c.factors
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| {
            panic!(
                "no factor {name}: {:?}",
                c.factors.iter().map(|f| &f.name).collect::<Vec<_>>()
            )
        })
}

#[test]
fn nfa_costs_nothing_and_open_remediation_caps_at_40() {
    let base = card(&station("Busy station. 120,000 gallons per month."));
    let nfa = card(&station(
        "Busy station. 120,000 gallons per month. EPA remediation completed, NFA letter on file.",
    ));
    let open = card(&station(
        "Busy station. 120,000 gallons per month. Remediation ongoing, monitoring wells on site.",
    ));
    let env = |c: &ScoreCard| factor(c, "environmental").points;
    assert_eq!(env(&nfa), 7.0);
    assert!(nfa.caps.is_empty());
    assert!(nfa.score.unwrap() > base.score.unwrap());
    assert!(!nfa.missing.contains(&"environmental_status".to_string()));
    assert_eq!(env(&base), 3.5);
    assert_eq!(env(&open), 0.0);
    assert!(open.caps.iter().any(|c| c.limit == 40));
    assert!(open.score.unwrap() <= 40);
    // A leak word with no completed cleanup is open too.
    let leak = card(&station("Former LUST site, leak found in 2019."));
    assert!(leak.caps.iter().any(|c| c.limit == 40));
}

#[test]
fn missing_cash_flow_is_flagged_not_guessed() {
    let mut l = station("Busy station.");
    l.cash_flow = None;
    let c = card(&l);
    assert!(c.missing.contains(&"cash_flow".to_string()));
    assert!(c.dscr.is_none());
    assert!(c.valuation.is_none());
    assert_eq!(factor(&c, "price_to_cash_flow").points, 10.0); // neutral half of 20
    assert_eq!(factor(&c, "earnings_level").points, 4.0);
    assert_eq!(c.confidence, gsa_schemas::Confidence::C);
    assert!(c.questions.iter().any(|q| q.contains("cash flow")));
    assert!(c.facts.iter().all(|f| !f.estimate));
}

#[test]
fn non_fuel_and_canadian_listings_are_not_applicable() {
    let mut wash = station("Express tunnel car wash with 20 vacuums.");
    wash.title = Some("Express Car Wash".into());
    wash.category = Some("Car Washes".into());
    let c = card(&wash);
    assert!(!c.applicable && c.score.is_none());
    assert!(c.not_applicable_reason.unwrap().contains("car wash"));

    let mut liquor = station("Liquor store with a loyal customer base.");
    liquor.title = Some("Liquor Store for Sale".into());
    liquor.category = Some("Liquor Stores".into());
    assert!(!card(&liquor).applicable);

    let mut canada = station("Busy station. 120,000 gallons per month.");
    canada.country = Some("CA".into());
    canada.state = Some("ON".into());
    let c = card(&canada);
    assert!(!c.applicable);
    assert!(c.not_applicable_reason.unwrap().contains("Canada"));
    // Facts are still read.
    assert!(c.facts.iter().any(|f| f.name == "gallons_per_month"));
}

#[test]
fn dscr_below_one_caps_at_50() {
    let mut l = station("Leased site.");
    l.asking_price = Some(3_000_000);
    l.cash_flow = Some(200_000);
    let c = card(&l);
    let d = c.dscr.clone().unwrap();
    assert_eq!(d.term_years, 10);
    assert!(d.ratio < 1.0, "{}", d.ratio);
    assert!(c
        .caps
        .iter()
        .any(|cap| cap.limit == 50 && cap.reason.contains("DSCR")));
    assert!(c.score.unwrap() <= 50);
    assert_eq!(factor(&c, "dscr").points, 0.0);
}

#[test]
fn short_lease_caps_at_50_and_long_lease_earns_full_points() {
    let short = card(&station(
        "Leased. 3 years left on the lease. Rent is $4,000/month.",
    ));
    assert!(short
        .caps
        .iter()
        .any(|c| c.limit == 50 && c.reason.contains("Lease")));
    assert!(short.score.unwrap() <= 50);
    assert_eq!(factor(&short, "lease_term").points, 0.0);
    let long = card(&station("Leased. 10-year lease with 10-year option."));
    assert!(long.caps.is_empty());
    assert_eq!(factor(&long, "lease_term").points, 8.0);
    let mtm = card(&station("The lease is month-to-month."));
    assert!(mtm.caps.iter().any(|c| c.limit == 50));
}

#[test]
fn commission_site_is_not_a_margin() {
    let c = card(&station(
        "Leased dealer site, 90,000 gallons per month with a 3 cents per gallon commission.",
    ));
    assert!(c
        .facts
        .iter()
        .all(|f| f.name != "fuel_margin_cents_per_gallon"));
    let f = c
        .facts
        .iter()
        .find(|f| f.name == "fuel_commission_cents_per_gallon")
        .unwrap();
    assert_eq!(f.value, FactValue::Number(3.0));
    let fac = factor(&c, "fuel_commission");
    assert!(
        fac.rule.starts_with("Dealer commission 3c/gallon"),
        "{}",
        fac.rule
    );
    assert!(c.factors.iter().all(|f| f.name != "fuel_margin"));
    assert!(!c
        .missing
        .contains(&"fuel_margin_cents_per_gallon".to_string()));
}

#[test]
fn owner_operated_cash_flow_is_charged_a_manager_wage() {
    let c = card(&station("Owner operated for 20 years."));
    let d = c.dscr.clone().unwrap();
    assert_eq!(d.cash_flow_usd, 200_000);
    assert!(factor(&c, "price_to_cash_flow").rule.starts_with("5.00x"));
    let v = c.valuation.clone().unwrap();
    assert_eq!((v.low_usd, v.high_usd), (500_000, 700_000));
    let a = card(&station("Absentee owner, manager in place."));
    assert_eq!(a.dscr.unwrap().cash_flow_usd, 250_000);
}

#[test]
fn real_estate_inferred_only_without_lease_wording() {
    let mut l = station("Busy corner station.");
    l.asking_price = Some(1_750_000); // 7.0x
    let c = card(&l);
    assert_eq!(c.real_estate.basis, RealEstateBasis::Inferred);
    assert_eq!(c.dscr.unwrap().term_years, 25);
    let mut leased = station("Busy station. Rent is $6,000 per month.");
    leased.asking_price = Some(1_750_000);
    let c = card(&leased);
    assert_eq!(c.real_estate.basis, RealEstateBasis::Stated);
    assert_eq!(c.real_estate.included, Some(false));
    // Judged as an expensive business: 7.0x is above the 4.12x upper quartile.
    assert_eq!(factor(&c, "price_to_cash_flow").points, 0.0);
    // "including the real estate" (a pasted asking-price row kept as text) states it; the
    // same words before "taxes" are a cost.
    let mut with = station("Asking Price: $750,000 including the real estate.");
    with.asking_price = Some(750_000);
    assert_eq!(card(&with).real_estate.basis, RealEstateBasis::Stated);
    // A pasted "Real Estate: Available for purchase separately" row: the price is the business's.
    let mut apart = station("Real Estate: Available for purchase separately for $800,000");
    apart.asking_price = Some(1_750_000);
    assert_eq!(card(&apart).real_estate.included, Some(false));
    let mut taxes = station("Rent $6,000 a month, including the property taxes.");
    taxes.asking_price = Some(750_000);
    assert_eq!(card(&taxes).real_estate.included, Some(false));
}

#[test]
fn stated_real_estate_value_is_decomposed() {
    let mut l = station("Sale includes the land and building.");
    l.asking_price = Some(1_500_000);
    l.real_estate.value = Some(1_000_000);
    let c = card(&l);
    let p = factor(&c, "price_to_cash_flow");
    // (1,500,000 - 1,000,000) / 250,000 = 2.0x on the business-only band: excellent.
    assert!(p.rule.starts_with("2.00x business part"), "{}", p.rule);
    assert_eq!(p.points, 20.0);
    let v = c.valuation.unwrap();
    assert_eq!((v.low_usd, v.high_usd), (1_625_000, 1_875_000));
}

#[test]
fn gallons_bands_and_inside_floor() {
    let g = |d: &str| factor(&card(&station(d)), "gallons_per_month").points;
    assert_eq!(g("Sells 160,000 gallons per month."), 8.0);
    assert_eq!(g("Sells 90,000 gallons per month."), 6.0);
    assert_eq!(g("Sells 20,000 gallons per month."), 1.6);
    assert_eq!(g("No volume stated."), 4.0);
    // $20,000 inside on 100,000 gallons = $0.20/gal, under the $0.30 floor: halved.
    let c = card(&station(
        "100,000 gallons per month, inside sales of $20,000 per month.",
    ));
    assert_eq!(factor(&c, "inside_sales_per_month").points, 0.5);
}

#[test]
fn old_single_wall_tanks_cost_points_and_value() {
    let c = card(&station("Single-wall steel tanks installed in 1988."));
    let f = c
        .facts
        .iter()
        .find(|f| f.name == "tank_install_year")
        .unwrap();
    assert_eq!(f.value, FactValue::Number(1988.0));
    assert_eq!(factor(&c, "tanks").points, 0.0);
    let v = c.valuation.unwrap();
    assert!(v.method.contains("tank replacement"));
    assert_eq!(v.low_usd, 625_000 - 500_000);
}

#[test]
fn weights_are_configurable_and_buckets_follow() {
    let cfg = ScoringConfig::from_toml_str(
        "[weights]\nprice_to_cash_flow = 25.0\nprofit_centers = 0.0\nfinancing_signals = 0.0\n",
    )
    .unwrap();
    let c = score(&station("Busy."), "e", &cfg);
    let b = |n: &str| c.buckets.iter().find(|b| b.name == n).unwrap().max_points;
    assert_eq!(b("price"), 25.0);
    assert_eq!(b("location_upside"), 5.0);
    assert_eq!(c.buckets.iter().map(|b| b.max_points).sum::<f64>(), 100.0);
}

#[test]
fn every_scored_factor_cites_its_rule_and_points() {
    let c = card(&station(
        "Corner of I-75 exit, 120,000 gallons per month at 25 cents per gallon margin, inside sales $90,000 per month, 30% inside margin, tanks installed 2012, 10 years left on the lease, Phase I clean, seller financing available.",
    ));
    for f in &c.factors {
        assert!(f.rule.contains(" -> "), "{}", f.rule);
        if f.points != f.max_points / 2.0 && f.max_points > 0.0 {
            assert!(f.rule.contains('['), "no source tag: {}", f.rule);
        }
    }
    assert_eq!(c.confidence, gsa_schemas::Confidence::A);
    let facts = facts::extract(&station("10 years left on the lease"));
    assert!(facts
        .iter()
        .any(|f| f.name == "lease_years_remaining" && f.value == FactValue::Number(10.0)));
}
