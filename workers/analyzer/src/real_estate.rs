//! Is the real estate in the deal, and how do we know?
//!
//! 1. **Stated**: a field ("Real Estate: Owned / Included in asking price", "Leased", a rent) or
//!    the wording of the title or description ("with property", "Business + Real Estate",
//!    "for lease", "Lease @ $5,999/month").
//! 2. **Inferred**: nothing is stated, and the asking price is at least
//!    `price.infer_real_estate_min_multiple` (default 6.0) times cash flow. A station business
//!    alone asks 2-3.5x SDE [BBC][AZBBA]; "Price/SDE > 6 with no lease text suggests real estate is
//!    included" [SAAD-GSA].
//!    When the wording says both (included, and leased or business-only), the reason says so
//!    and the broker is asked (see `facts::real_estate_two_ways`).
//! 3. **Unknown** otherwise: the deal is judged as business-only (the cautious reading), and the
//!    broker is asked.

use gsa_schemas::{Listing, RealEstateAssessment, RealEstateBasis};

use crate::config::ScoringConfig;
use crate::facts::{Extraction, Source};

/// Decides whether real estate is in the deal.
pub fn assess(listing: &Listing, ex: &Extraction, cfg: &ScoringConfig) -> RealEstateAssessment {
    if let Some(f) = ex.get("real_estate_included") {
        let included = f.flag();
        let from = match f.source {
            Source::Field(name) => format!("the listing's {name} field (\"{}\")", f.fact.quote),
            Source::Title => format!("the title (\"{}\")", f.fact.quote),
            Source::Description => format!("the description (\"{}\")", f.fact.quote),
        };
        let mut reason = match included {
            Some(true) => format!("Real estate is included: stated in {from}."),
            _ => format!("Leasehold, real estate not included: stated in {from}."),
        };
        // The wording also says leased or business-only: say so, never pick silently.
        if let Some(m) = ex.mention("real_estate_two_ways") {
            match ex.get("real_estate_value").filter(|v| v.fact.estimate) {
                Some(v) => reason.push_str(&format!(
                    " The description also offers the business alone (\"{}\"), and its lease terms belong to that offer; the asking price is judged as the price with the real estate, which the broker is asked to confirm.",
                    v.fact.quote
                )),
                None => reason.push_str(&format!(
                    " But the listing also says \"{}\": the wording contradicts itself, so the broker is asked and the confidence grade is lowered.",
                    m.quote
                )),
            }
        }
        return RealEstateAssessment {
            included,
            basis: RealEstateBasis::Stated,
            reason,
        };
    }
    if let Some(m) = listing.multiple() {
        let min = cfg.price.infer_real_estate_min_multiple;
        if m >= min {
            return RealEstateAssessment {
                included: Some(true),
                basis: RealEstateBasis::Inferred,
                reason: format!(
                    "Inferred: the asking price is {m:.2}x cash flow, far above the 2-3.5x a station business alone sells for [BBC][AZBBA]; at or above {min:.1}x with no lease wording the real estate is most likely included [SAAD-GSA]. Confirm with the broker."
                ),
            };
        }
        return RealEstateAssessment {
            included: None,
            basis: RealEstateBasis::Unknown,
            reason: format!(
                "{} At {m:.2}x cash flow, below the {min:.1}x at which the real estate is inferred [SAAD-GSA], the deal is judged as business-only (the cautious reading), and the broker is asked.",
                not_stated(listing)
            ),
        };
    }
    RealEstateAssessment {
        included: None,
        basis: RealEstateBasis::Unknown,
        reason: format!(
            "{} Without both an asking price and a positive cash flow it cannot be inferred.",
            not_stated(listing)
        ),
    }
}

/// The opening of an unknown reason: "Real Estate: Owned" says who owns the property, not that
/// it is sold with the business.
fn not_stated(listing: &Listing) -> &'static str {
    if listing.real_estate.ownership == Some(gsa_schemas::RealEstateOwnership::Owned) {
        "The real estate is owned, but the listing does not say it is in the asking price."
    } else {
        "Not stated."
    }
}
