//! Real-estate-or-lease bucket.
//!
//! * Real estate in the deal (stated, or inferred from the multiple): full points. There is no
//!   lease to run out or rent to pay, the property supports a 25-year SBA term [PETROMAC], and in a
//!   fee-simple price the real estate is most of the value [CSE-DEARBORN][BBC]. Its price is judged
//!   by the price factor's with-real-estate band. The broker is asked for the split.
//! * Leasehold: years left incl. tenant options >= 10 covers a 10-year SBA loan
//!   [DEALROOM][SF-LEASE], 5-9 yellow, < 5 or month-to-month is a material risk and caps the score
//!   at 50 [TUPELO]; rent <= 22% of store gross profit is sustainable, <= 30% tight
//!   [CSNEWS-RENT]; without gross profit, rent <= 10% of inside sales [CAPRET][BEYOND].
//! * Unknown: neutral half points, and the broker is asked.

use gsa_schemas::RealEstateBasis;

use super::{band_low_better, field, low_threshold, BucketName, Ctx, Out, F, NEUTRAL};
use crate::text::{num, usd};

/// Asked when the real estate is inferred from the multiple.
pub(crate) const CONFIRM_INFERRED: &str =
    "The price suggests the real estate is included: please confirm the land and building are in the asking price.";
macro_rules! if_leased {
    () => {
        "If leased: monthly rent, years left and tenant renewal options?"
    };
}
/// What to ask for when the deal may be a leasehold.
pub(crate) const IF_LEASED: &str = if_leased!();
/// Asked when neither real estate nor a lease is stated.
pub(crate) const ASK_UNKNOWN: &str =
    concat!("Is the real estate included in the price? ", if_leased!());

pub(crate) fn score(ctx: &Ctx, out: &mut Out) {
    let cfg = ctx.cfg;
    let max = cfg.weights.lease_term + cfg.weights.rent_burden;
    let re_fact = ctx.ex.get("real_estate_included");
    match ctx.re.included {
        Some(true) => {
            let (evidence, basis) = match ctx.re.basis {
                RealEstateBasis::Inferred => (
                    vec![
                        field("asking_price", usd(ctx.listing.asking_price.unwrap_or_default())),
                        field("cash_flow", usd(ctx.listing.cash_flow.unwrap_or_default())),
                    ],
                    format!(
                        "inferred from a {:.2}x price/cash-flow multiple (>= {}x with no lease wording [SAAD-GSA])",
                        ctx.listing.multiple().unwrap_or_default(),
                        cfg.price.infer_real_estate_min_multiple
                    ),
                ),
                _ => (
                    re_fact.map(|f| vec![f.evidence()]).unwrap_or_default(),
                    "stated".to_string(),
                ),
            };
            out.add(F {
                name: "real_estate_in_deal",
                bucket: BucketName::RealEstateOrLease,
                max,
                share: 1.0,
                rule: format!(
                    "Real estate in the deal ({basis}): no lease to run out and no rent, the property supports a 25-year SBA term [PETROMAC], and fee-simple value is mostly real estate [CSE-DEARBORN][BBC]; {}",
                    match (ctx.listing.real_estate.value, ctx.listing.asking_price) {
                        (Some(v), Some(p)) if v > 0 && v < p =>
                            "the business part (price minus the stated real estate value) is judged on the business-only band",
                        _ => "its price is judged on the with-real-estate band",
                    }
                ),
                evidence,
                known: true,
                headline: match ctx.re.basis {
                    RealEstateBasis::Inferred => "real estate in the deal (inferred from the multiple)".into(),
                    _ => "real estate included".into(),
                },
            });
            if ctx.re.basis == RealEstateBasis::Inferred {
                out.ask(CONFIRM_INFERRED);
            }
            if ctx.listing.real_estate.value.is_none() {
                out.missing("real_estate_value");
            }
            // An implied value (asking minus a stated business-only price) is asked about by
            // the extraction's own question, with the figure.
            if ctx.listing.real_estate.value.is_none() && ctx.ex.get("real_estate_value").is_none()
            {
                out.ask(format!(
                    "How does the {} price split between real estate and business? Is there an appraisal?",
                    usd(ctx.listing.asking_price.unwrap_or_default())
                ));
            }
        }
        Some(false) => {
            lease_term(ctx, out);
            rent_burden(ctx, out);
        }
        None => {
            out.add(F {
                name: "real_estate_or_lease",
                bucket: BucketName::RealEstateOrLease,
                max,
                share: NEUTRAL,
                rule: "Neither real estate nor lease terms are stated: neutral half points".into(),
                evidence: vec![],
                known: false,
                headline: String::new(),
            });
            out.missing("real_estate_or_lease");
            out.ask(ASK_UNKNOWN);
        }
    }
}

fn lease_term(ctx: &Ctx, out: &mut Out) {
    let cfg = ctx.cfg;
    let max = cfg.weights.lease_term;
    let base = ctx.ex.get("lease_years_remaining");
    let opt = ctx.ex.get("lease_option_years");
    let Some(base_years) = base.and_then(|f| f.low()) else {
        out.add(F {
            name: "lease_term",
            bucket: BucketName::RealEstateOrLease,
            max,
            share: NEUTRAL,
            rule: "Leasehold, years left on the lease not stated: neutral half points".into(),
            evidence: vec![],
            known: false,
            headline: String::new(),
        });
        out.missing("lease_years_remaining");
        out.ask(format!(
            "How many years are left on the lease, and which renewal options does the tenant hold? SBA lenders want lease plus options of at least {} years [SF-LEASE].",
            num(cfg.lease.good_years)
        ));
        return;
    };
    let opt_years = opt.and_then(|f| f.low()).unwrap_or(0.0);
    let total = base_years + opt_years;
    let what = if opt_years > 0.0 {
        format!(
            "{} years + {} years of options = {} years",
            num(base_years),
            num(opt_years),
            num(total)
        )
    } else {
        format!("{} years", num(total))
    };
    let mut evidence: Vec<_> = base.map(|f| vec![f.evidence()]).unwrap_or_default();
    if let Some(o) = opt {
        if !evidence.iter().any(|e| e.quote == o.fact.quote) {
            evidence.push(o.evidence());
        }
    }
    let (share, label) = if total >= cfg.lease.good_years {
        (
            1.0,
            format!(
                ">= {} years: covers a 10-year SBA loan [DEALROOM][SF-LEASE]",
                num(cfg.lease.good_years)
            ),
        )
    } else if total >= cfg.lease.min_years {
        (
            cfg.lease.yellow_share,
            format!(
                "{}-{} years: shorter than a 10-year SBA loan [SF-LEASE]",
                num(cfg.lease.min_years),
                num(cfg.lease.good_years)
            ),
        )
    } else {
        out.cap(
            cfg.caps.short_lease,
            format!(
                "Lease with {what} left (< {} years): a material risk, and too short for SBA financing [TUPELO][SF-LEASE]",
                num(cfg.lease.min_years)
            ),
        );
        (
            0.0,
            format!(
                "< {} years: material risk, caps the score [TUPELO]",
                num(cfg.lease.min_years)
            ),
        )
    };
    out.add(F {
        name: "lease_term",
        bucket: BucketName::RealEstateOrLease,
        max,
        share,
        rule: format!("Lease: {what}, {label}"),
        evidence,
        known: true,
        headline: format!("lease of {what}"),
    });
}

fn rent_burden(ctx: &Ctx, out: &mut Out) {
    let cfg = ctx.cfg;
    let max = cfg.weights.rent_burden;
    let ex = ctx.ex;
    let Some(rent_f) = ex.get("rent_per_month") else {
        out.add(F {
            name: "rent_burden",
            bucket: BucketName::RealEstateOrLease,
            max,
            share: NEUTRAL,
            rule: "Leasehold, rent (with its period) not stated: neutral half points".into(),
            evidence: vec![],
            known: false,
            headline: String::new(),
        });
        out.missing("rent_per_month");
        out.ask(
            "What is the monthly rent, and is it NNN (who pays taxes, insurance, maintenance)?",
        );
        return;
    };
    let rent = rent_f.low().unwrap_or(0.0);
    let gallons = ex.get("gallons_per_month").and_then(|f| f.low());
    let cpg = ex
        .get("fuel_margin_cents_per_gallon")
        .or_else(|| ex.get("fuel_commission_cents_per_gallon"))
        .and_then(|f| f.low());
    let inside = ex.get("inside_sales_per_month").and_then(|f| f.low());
    let merch = ex.get("merchandise_margin_percent").and_then(|f| f.low());
    let mut evidence = vec![rent_f.evidence()];
    if let (Some(g), Some(c), Some(i), Some(m)) = (gallons, cpg, inside, merch) {
        let gp = g * c / 100.0 + i * m / 100.0;
        if gp > 0.0 {
            let pct = rent / gp * 100.0;
            let bounds = &cfg.lease.rent_to_gross_profit_bounds;
            let (i, share) = band_low_better(pct, bounds, &cfg.lease.rent_shares);
            for n in [
                "gallons_per_month",
                "fuel_margin_cents_per_gallon",
                "fuel_commission_cents_per_gallon",
                "inside_sales_per_month",
                "merchandise_margin_percent",
            ] {
                if let Some(f) = ex.get(n) {
                    evidence.push(f.evidence());
                }
            }
            out.add(F {
                name: "rent_burden",
                bucket: BucketName::RealEstateOrLease,
                max,
                share,
                rule: format!(
                    "Rent {}/month is {pct:.1}% of store gross profit {}/month (fuel + inside) ({}%; sustainable rent is about 22% of gross profit) [CSNEWS-RENT]",
                    usd(rent.round() as i64),
                    usd(gp.round() as i64),
                    low_threshold(i, bounds)
                ),
                evidence,
                known: true,
                headline: format!("rent {pct:.0}% of gross profit"),
            });
            return;
        }
    }
    if let Some(i_sales) = inside.filter(|v| *v > 0.0) {
        let pct = rent / i_sales * 100.0;
        let bounds = &cfg.lease.rent_to_inside_sales_bounds;
        let (i, share) = band_low_better(pct, bounds, &cfg.lease.rent_shares);
        if let Some(f) = ex.get("inside_sales_per_month") {
            evidence.push(f.evidence());
        }
        out.add(F {
            name: "rent_burden",
            bucket: BucketName::RealEstateOrLease,
            max,
            share,
            rule: format!(
                "Rent {}/month is {pct:.1}% of inside sales {}/month ({}%; gross profit unknown, so the retail rule rent <= 10% of sales is used) [CAPRET][BEYOND]",
                usd(rent.round() as i64),
                usd(i_sales.round() as i64),
                low_threshold(i, bounds)
            ),
            evidence,
            known: true,
            headline: format!("rent {pct:.0}% of inside sales"),
        });
        return;
    }
    out.add(F {
        name: "rent_burden",
        bucket: BucketName::RealEstateOrLease,
        max,
        share: NEUTRAL,
        rule: format!(
            "Rent {}/month stated, but no sales or gross profit to judge it against: neutral half points",
            usd(rent.round() as i64)
        ),
        evidence,
        known: false,
        headline: String::new(),
    });
    out.ask("What are the monthly inside sales and store gross profit, to judge the rent against (sustainable rent is about 22% of gross profit [CSNEWS-RENT])?");
}
