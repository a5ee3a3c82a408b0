//! Score history that explains itself: `explain::diff` between two cards of the same real
//! listing says, factor by factor, what moved and why.

mod common;

use gsa_analyzer::{explain, score, ScoringConfig};
use gsa_schemas::ScoreChange;

fn change<'a>(changes: &'a [ScoreChange], factor: &str) -> &'a ScoreChange {
    changes
        .iter()
        .find(|c| c.factor == factor)
        .unwrap_or_else(|| panic!("no change of {factor}: {changes:#?}"))
}

#[test]
fn the_same_card_has_no_changes() {
    let cfg = ScoringConfig::default();
    let l = common::hubbard();
    let a = score(&l, "e1", &cfg);
    assert!(explain::diff(&a, &a.clone()).is_empty());
    // A fresh card carries no history until it is attached.
    assert_eq!(a.previous_score, None);
    assert_eq!(a.previous_model_version, None);
    assert!(a.changes.is_empty());
}

/// Hubbard ($8,499,000 asking, $1,200,000 cash flow, no real-estate wording): under a model that
/// infers real estate only from 8x, it is a pricey leasehold; under the default model (6x) the
/// real estate is inferred from the 7.08x multiple, and the history says so.
#[test]
fn real_estate_inferred_under_a_new_model_is_explained() {
    let l = common::hubbard();
    let strict = ScoringConfig::from_toml_str("[price]\ninfer_real_estate_min_multiple = 8.0\n")
        .expect("config");
    let default = ScoringConfig::default();
    let old = score(&l, "e1", &strict);
    let mut new = score(&l, "e1", &default);
    assert_ne!(old.model_version, new.model_version);
    assert_eq!(old.real_estate.included, None);
    assert_eq!(new.real_estate.included, Some(true));
    explain::attach(&mut new, &old);

    assert_eq!(new.previous_score, old.score);
    assert_eq!(
        new.previous_model_version.as_deref(),
        Some(old.model_version.as_str())
    );
    assert!(new.score > old.score, "{:?} -> {:?}", old.score, new.score);
    let re = change(&new.changes, "real_estate");
    assert!(
        re.reason
            .starts_with("real estate unknown -> included (inferred): "),
        "{}",
        re.reason
    );
    assert!(re.reason.contains("7.08x"), "{}", re.reason);
    let f = change(&new.changes, "real_estate_in_deal");
    assert_eq!(f.old_points, None);
    assert_eq!(f.new_points, Some(15.0));
    assert!(
        f.reason.starts_with(
            "real_estate_in_deal none -> 15: real estate now included (inferred): Inferred: the asking price is 7.08x cash flow"
        ),
        "{}",
        f.reason
    );
    // The price band follows the real estate.
    let p = change(&new.changes, "price_to_cash_flow");
    assert!(
        p.reason.contains("real estate now included (inferred)"),
        "{}",
        p.reason
    );
    // The lease factors it replaces are reported as no longer scored.
    let lease = change(&new.changes, "real_estate_or_lease");
    assert_eq!(lease.new_points, None);
    assert!(
        lease.reason.contains("no longer scored"),
        "{}",
        lease.reason
    );
    // Largest change first.
    let factors: Vec<&ScoreChange> = new
        .changes
        .iter()
        .filter(|c| !matches!(c.factor.as_str(), "real_estate" | "applicable" | "cap"))
        .collect();
    let delta = |c: &ScoreChange| (c.new_points.unwrap_or(0.0) - c.old_points.unwrap_or(0.0)).abs();
    assert!(factors.windows(2).all(|w| delta(w[0]) >= delta(w[1])));
}

/// A price cut on a real fuel listing: the price factor's reason names the old and new price.
#[test]
fn a_price_cut_is_explained_by_the_price() {
    let cfg = ScoringConfig::default();
    let before = common::api_listing(
        (0..common::api_len())
            .find(|&i| common::api_listing(i).listing_id == "2419343")
            .expect("BP-branded gas station 2419343"),
    );
    let mut after = before.clone();
    let price = before.asking_price.expect("asking price");
    let cut = price * 6 / 10;
    after.asking_price = Some(cut);
    let old = score(&before, "e1", &cfg);
    let mut new = score(&after.with_content_hash(), "e2", &cfg);
    explain::attach(&mut new, &old);
    let p = change(&new.changes, "price_to_cash_flow");
    assert!(p.new_points > p.old_points, "{p:?}");
    let money = |v: i64| {
        let s = v.to_string();
        let mut out = String::new();
        for (i, ch) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(ch);
        }
        format!("${out}")
    };
    let want = format!("asking price cut from {} to {}", money(price), money(cut));
    assert!(p.reason.contains(&want), "{} lacks {want}", p.reason);
    assert!(p.reason.starts_with("price_to_cash_flow "), "{}", p.reason);
    // Nothing unrelated to price is reported as changed.
    for c in &new.changes {
        assert!(
            matches!(
                c.factor.as_str(),
                "price_to_cash_flow" | "dscr" | "verifiability" | "financing_signals"
            ),
            "unexpected change {c:?}"
        );
    }
}

/// The food truck 2416498 was applicable under rules-1; a card that flips to not applicable says
/// why, and every factor it had is reported as no longer scored.
#[test]
fn applicability_flips_and_caps_are_explained() {
    let cfg = ScoringConfig::default();
    let truck = common::api_listing(358);
    assert_eq!(truck.listing_id, "2416498");
    let gas = common::hubbard();
    let old = score(&gas, "e1", &cfg);
    let mut new = score(&truck, "e1", &cfg);
    new.listing_id = old.listing_id.clone();
    explain::attach(&mut new, &old);
    let a = change(&new.changes, "applicable");
    assert!(
        a.reason
            .starts_with("applicable -> not applicable: Not a gas station"),
        "{}",
        a.reason
    );
    assert!(new
        .changes
        .iter()
        .filter(|c| c.factor != "applicable" && c.factor != "real_estate")
        .all(|c| c.new_points.is_none()));

    // An open environmental problem caps the score at 40, and the history says so.
    let mut open = gas.clone();
    open.description = Some(format!(
        "{} Remediation ongoing, monitoring wells on site.",
        gas.description.clone().unwrap_or_default()
    ));
    let mut capped = score(&open, "e2", &cfg);
    explain::attach(&mut capped, &old);
    let cap = change(&capped.changes, "cap");
    assert_eq!(cap.new_points, Some(40.0));
    assert!(cap.reason.starts_with("capped at 40: "), "{}", cap.reason);
    let env = change(&capped.changes, "environmental");
    assert!(
        env.reason.contains("description now states"),
        "{}",
        env.reason
    );
}
