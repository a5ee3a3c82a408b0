//! Confidence grade: how much of what a buyer needs the listing discloses.
//!
//! * A: asking price, cash flow and revenue stated, and at least 3 of the operating items
//!   (gallons, inside sales, fuel margin or commission, merchandise margin, environmental status,
//!   tanks, real estate or lease terms).
//! * B: asking price and cash flow stated.
//! * C: asking price or cash flow missing: the score is a weak screen.
//!
//! A listing whose wording says the real estate is both included and not (leased, business
//! only) is graded one step lower: its price cannot be judged with certainty.

use gsa_schemas::{Confidence, Listing, RealEstateAssessment, RealEstateBasis};

use crate::facts::Extraction;

/// Number of operating items the listing states.
pub fn operating_items(ex: &Extraction, re: &RealEstateAssessment) -> usize {
    let has = |n: &str| ex.get(n).is_some();
    let env = ex
        .get("environmental_status")
        .and_then(|f| f.text())
        .is_some_and(|s| s != "not_mentioned");
    [
        has("gallons_per_month"),
        has("inside_sales_per_month"),
        has("fuel_margin_cents_per_gallon") || has("fuel_commission_cents_per_gallon"),
        has("merchandise_margin_percent"),
        env,
        has("tank_age_years") || has("tank_install_year") || has("tank_wall"),
        re.basis == RealEstateBasis::Stated || has("lease_years_remaining"),
    ]
    .iter()
    .filter(|b| **b)
    .count()
}

/// The grade.
pub fn grade(listing: &Listing, ex: &Extraction, re: &RealEstateAssessment) -> Confidence {
    let headline = listing.asking_price.is_some_and(|p| p > 0) && listing.cash_flow.is_some();
    if !headline {
        return Confidence::C;
    }
    let grade = if listing.gross_revenue.is_some() && operating_items(ex, re) >= 3 {
        Confidence::A
    } else {
        Confidence::B
    };
    // Wording that says the real estate is both in the deal and not: one grade lower.
    if ex.mention("real_estate_two_ways").is_some() {
        return match grade {
            Confidence::A => Confidence::B,
            _ => Confidence::C,
        };
    }
    grade
}
