//! Price bucket: asking price against cash flow, on the business-only band or the
//! with-real-estate band.
//!
//! * Business only (or real estate unknown): <= 2.0x excellent, <= 2.4x good (about the 2.38x
//!   asking median), <= 3.5x fair (top of the 2-3.5x leasehold range), <= 4.12x rich (asking upper
//!   quartile), above poor [AZBBA][BBC].
//! * Real estate in the deal: <= 6x excellent (within sold comps 4-6x), <= 7.5x good (low end of
//!   active asking 7-10x), <= 8.5x fair, <= 10x rich, above poor [SAAD-ISO].
//! * Real estate in the deal with a stated value: the business part (price minus the stated
//!   value) is judged on the business-only band (the "decompose" method [GASVAL-GAP][SAAD-ISO]).
//!
//! Cash flow is normalised first: an owner-operated store is charged a manager wage [OFFERS].
//! Price / revenue is shown as a 0-point sanity check (fuel prices distort it) [AZBBA].

use super::{band_low_better, field, low_threshold, BucketName, Ctx, Out, F, NEUTRAL};
use crate::text::usd;
use gsa_schemas::Listing;

const LABELS: [&str; 5] = ["excellent", "good", "fair", "rich", "poor"];

fn band_text(bounds: &[f64]) -> String {
    bounds
        .iter()
        .zip(LABELS)
        .map(|(b, l)| format!("<= {b}x {l}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn score(ctx: &Ctx, out: &mut Out) {
    let cfg = ctx.cfg;
    let l = ctx.listing;
    let max = cfg.weights.price_to_cash_flow;
    let mut evidence = Vec::new();
    if let Some(p) = l.asking_price {
        evidence.push(field("asking_price", usd(p)));
    }
    if let Some(cf) = l.cash_flow {
        evidence.push(field("cash_flow", usd(cf)));
    }
    match (l.asking_price, ctx.norm_sde) {
        (Some(p), Some(sde)) if p > 0 && sde > 0 => {
            // Two decimals, as printed (sde > 0 here).
            let multiple_of = |usd: i64| Listing::multiple_of(usd, sde).unwrap_or_default();
            let stated_value = if ctx.re_in_deal {
                l.real_estate.value.filter(|v| *v > 0 && *v < p)
            } else {
                None
            };
            let cf_text = if ctx.wage_deducted {
                format!(
                    "cash flow after a {} manager wage (owner-operated) [OFFERS][PHELPS]",
                    usd(cfg.valuation.manager_wage_usd)
                )
            } else {
                "cash flow".to_string()
            };
            let (multiple, bounds, what, src) = if let Some(v) = stated_value {
                evidence.push(field("real_estate.value", usd(v)));
                (
                    multiple_of(p - v),
                    &cfg.price.business_only_bounds,
                    format!(
                        "business part (price {} minus stated real estate {}) over {cf_text}, business-only band",
                        usd(p),
                        usd(v)
                    ),
                    "[AZBBA][BBC][SAAD-ISO]",
                )
            } else if ctx.re_in_deal {
                let basis = match ctx.re.basis {
                    gsa_schemas::RealEstateBasis::Inferred => "inferred",
                    _ => "stated",
                };
                (
                    multiple_of(p),
                    &cfg.price.with_real_estate_bounds,
                    format!("price over {cf_text}, real estate in the deal ({basis}): with-real-estate band"),
                    "[SAAD-ISO: sold comps 4-6x, active asking 7-10x with property]",
                )
            } else {
                let why = if ctx.re.included == Some(false) {
                    "leasehold"
                } else {
                    "real estate not stated, judged as business only"
                };
                (
                    multiple_of(p),
                    &cfg.price.business_only_bounds,
                    format!("price over {cf_text}, {why}: business-only band"),
                    "[AZBBA: asking median 2.38x, upper quartile 4.12x][BBC: 2.0-3.5x leasehold]",
                )
            };
            let (i, share) = band_low_better(multiple, bounds, &cfg.price.band_shares);
            let label = LABELS.get(i).copied().unwrap_or("poor");
            out.add(F {
                name: "price_to_cash_flow",
                bucket: BucketName::Price,
                max,
                share,
                rule: format!(
                    "{multiple:.2}x {what}: {label} ({}x; {}) {src}",
                    low_threshold(i, bounds),
                    band_text(bounds)
                ),
                evidence,
                known: true,
                headline: format!(
                    "{multiple:.2}x cash flow {}",
                    if stated_value.is_some() {
                        "for the business part"
                    } else if ctx.re_in_deal {
                        "with real estate"
                    } else {
                        "for the business"
                    }
                ),
            });
        }
        (Some(p), Some(sde)) if p > 0 => {
            out.add(F {
                name: "price_to_cash_flow",
                bucket: BucketName::Price,
                max,
                share: 0.0,
                rule: format!(
                    "Cash flow used is {} (not positive): the {} price is not supported by earnings",
                    usd(sde),
                    usd(p)
                ),
                evidence,
                known: true,
                headline: "no positive cash flow to support the price".into(),
            });
        }
        _ => {
            let what = match (l.asking_price, l.cash_flow) {
                (None, None) => "Asking price and cash flow not stated",
                (None, _) => "Asking price not stated",
                _ => "Cash flow not stated",
            };
            out.add(F {
                name: "price_to_cash_flow",
                bucket: BucketName::Price,
                max,
                share: NEUTRAL,
                rule: format!("{what}: neutral half points, nothing guessed"),
                evidence,
                known: false,
                headline: String::new(),
            });
            if l.asking_price.is_none() {
                out.missing("asking_price");
                out.ask(
                    "What is the asking price, and what does it include (real estate, inventory)?",
                );
            }
        }
    }
    // Price / revenue: shown, not scored.
    if let (Some(p), Some(rev)) = (l.asking_price, l.gross_revenue) {
        if rev > 0 && p > 0 {
            let r = p as f64 / rev as f64;
            let pos = if r <= 0.36 {
                "at or below the 0.36x asking median"
            } else if r <= 0.87 {
                "between the 0.36x median and the 0.87x upper quartile"
            } else {
                "above the 0.87x upper quartile"
            };
            out.add(F {
                name: "price_to_revenue",
                bucket: BucketName::Price,
                max: 0.0,
                share: 0.0,
                rule: format!(
                    "{r:.2}x revenue, {pos} of gas-station asking prices [AZBBA]; sanity check only, fuel prices distort revenue"
                ),
                evidence: vec![field("asking_price", usd(p)), field("gross_revenue", usd(rev))],
                known: true,
                headline: String::new(),
            });
        }
    }
}
