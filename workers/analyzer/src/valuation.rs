//! Valuation cross-check: what the earnings support, against the asking price.
//!
//! * Business: normalised SDE x 2.5 (rural) to 3.5 (metro) [SAAD-ISO][BBC]; normalised SDE is
//!   cash flow minus a manager wage when the store is owner-operated [OFFERS][PHELPS].
//! * Real estate in the deal with a stated value: business value + that value.
//! * Real estate in the deal with no stated value (stated without a figure, or inferred): the
//!   whole going concern at the sold-comps multiple with property, 4-6x cash flow [SAAD-ISO]
//!   (separate valuation "usually 20-30% lower than broker's bundle").
//! * Minus a tank replacement allowance (default $500,000 [CSI-EBITDA]) when tanks are at or past
//!   the 30-year warranty or single-wall [PACMIN][MESLLC].
//!
//! The result is shown, not scored: with inferred real estate it leans on the same multiple the
//! price factor already judges.

use gsa_schemas::Valuation;

use crate::config::ScoringConfig;
use crate::text::usd;

/// Inputs of the cross-check.
#[derive(Debug, Clone, Copy)]
pub struct ValuationInput {
    /// Asking price, USD.
    pub price: i64,
    /// Cash flow (SDE) after the manager-wage normalisation, USD/year.
    pub normalised_sde: i64,
    /// Whether a manager wage was deducted.
    pub wage_deducted: bool,
    /// Real estate in the deal (stated or inferred).
    pub real_estate_in_deal: bool,
    /// Stated real estate value, USD.
    pub real_estate_value: Option<i64>,
    /// Tanks need replacing (old or single-wall).
    pub tank_capex: bool,
}

/// The cross-check, or `None` when the normalised cash flow or the price is not positive.
pub fn cross_check(i: &ValuationInput, cfg: &ScoringConfig) -> Option<Valuation> {
    if i.normalised_sde <= 0 || i.price <= 0 {
        return None;
    }
    let v = &cfg.valuation;
    let sde = i.normalised_sde as f64;
    let mut steps: Vec<String> = Vec::new();
    let sde_text = if i.wage_deducted {
        format!(
            "normalised SDE {} (cash flow minus a {} manager wage [OFFERS][PHELPS])",
            usd(i.normalised_sde),
            usd(v.manager_wage_usd)
        )
    } else {
        format!("SDE {}", usd(i.normalised_sde))
    };
    let (mut low, mut high) = match (i.real_estate_in_deal, i.real_estate_value) {
        (true, Some(re)) if re > 0 => {
            steps.push(format!(
                "business {} x {}-{} = {}-{} [SAAD-ISO][BBC], plus the stated real estate {}",
                sde_text,
                v.business_multiple_low,
                v.business_multiple_high,
                usd((sde * v.business_multiple_low).round() as i64),
                usd((sde * v.business_multiple_high).round() as i64),
                usd(re)
            ));
            (
                sde * v.business_multiple_low + re as f64,
                sde * v.business_multiple_high + re as f64,
            )
        }
        (true, _) => {
            steps.push(format!(
                "going concern with property: {} x {}-{} (sold comps with property [SAAD-ISO]); the real estate value is not stated",
                sde_text, v.with_real_estate_multiple_low, v.with_real_estate_multiple_high
            ));
            (
                sde * v.with_real_estate_multiple_low,
                sde * v.with_real_estate_multiple_high,
            )
        }
        (false, _) => {
            steps.push(format!(
                "business only: {} x {}-{} [SAAD-ISO][BBC]",
                sde_text, v.business_multiple_low, v.business_multiple_high
            ));
            (
                sde * v.business_multiple_low,
                sde * v.business_multiple_high,
            )
        }
    };
    if i.tank_capex {
        steps.push(format!(
            "minus {} for tank replacement (tanks at or past warranty or single-wall) [CSI-EBITDA][PACMIN]",
            usd(v.tank_capex_usd)
        ));
        low -= v.tank_capex_usd as f64;
        high -= v.tank_capex_usd as f64;
    }
    let low = low.max(0.0).round() as i64;
    let high = high.max(0.0).round() as i64;
    let mid = (low as f64 + high as f64) / 2.0;
    let vs = if mid > 0.0 {
        ((i.price as f64 - mid) / mid * 1000.0).round() / 10.0
    } else {
        0.0
    };
    let word = if vs >= 0.0 { "premium" } else { "discount" };
    steps.push(format!(
        "fair value {}-{} (mid {}); asking {} is a {:.1}% {word} to the mid",
        usd(low),
        usd(high),
        usd(mid.round() as i64),
        usd(i.price),
        vs.abs()
    ));
    Some(Valuation {
        low_usd: low,
        high_usd: high,
        asking_vs_mid_percent: vs,
        method: steps.join("; "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ValuationInput {
        ValuationInput {
            price: 1_000_000,
            normalised_sde: 200_000,
            wage_deducted: false,
            real_estate_in_deal: false,
            real_estate_value: None,
            tank_capex: false,
        }
    }

    #[test]
    fn business_only_with_and_without_tank_capex() {
        let cfg = ScoringConfig::default();
        let v = cross_check(&input(), &cfg).unwrap();
        assert_eq!((v.low_usd, v.high_usd), (500_000, 700_000));
        assert_eq!(v.asking_vs_mid_percent, 66.7);
        let v = cross_check(
            &ValuationInput {
                tank_capex: true,
                ..input()
            },
            &cfg,
        )
        .unwrap();
        assert_eq!((v.low_usd, v.high_usd), (0, 200_000));
    }

    #[test]
    fn real_estate_stated_value_or_going_concern() {
        let cfg = ScoringConfig::default();
        let with_value = ValuationInput {
            real_estate_in_deal: true,
            real_estate_value: Some(600_000),
            ..input()
        };
        let v = cross_check(&with_value, &cfg).unwrap();
        assert_eq!((v.low_usd, v.high_usd), (1_100_000, 1_300_000));
        assert!(v.asking_vs_mid_percent < 0.0);
        let inferred = ValuationInput {
            real_estate_in_deal: true,
            ..input()
        };
        let v = cross_check(&inferred, &cfg).unwrap();
        assert_eq!((v.low_usd, v.high_usd), (800_000, 1_200_000));
        assert_eq!(v.asking_vs_mid_percent, 0.0);
        assert!(cross_check(
            &ValuationInput {
                normalised_sde: 0,
                ..input()
            },
            &cfg
        )
        .is_none());
    }
}
