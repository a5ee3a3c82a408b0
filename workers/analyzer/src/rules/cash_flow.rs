//! Cash-flow bucket: debt service coverage under SBA 7(a) assumptions, and the earnings level.
//!
//! * DSCR >= 1.5 strong, >= 1.25 pass (lender floor), >= 1.10 tight, >= 1.0 risky, below fails
//!   and caps the score at 50 [OXFORD][PHELPS]; 10% down, 10.5%, 10 years business-only or 25
//!   years with real estate [JANOVER][PETROMAC].
//! * Earnings level: normalised SDE against the BizBuySell gas-station median $175,760 [BBS-GAS].

use super::{band_high_better, field, high_threshold, BucketName, Ctx, Out, F, NEUTRAL};
use crate::text::usd;

const DSCR_LABELS: [&str; 5] = ["strong", "pass", "tight", "risky", "fails"];
const EARN_LABELS: [&str; 5] = [
    "at least twice the median",
    "at or above the median",
    "at least half the median",
    "below half the median",
    "none",
];

pub(crate) fn score(ctx: &Ctx, out: &mut Out) {
    let cfg = ctx.cfg;
    let l = ctx.listing;
    let w = &cfg.weights;
    if l.cash_flow.is_none() {
        out.missing("cash_flow");
        out.ask("What is the cash flow (SDE) for the last full year, and can it be verified with tax returns and a P&L?");
    }
    // DSCR
    match &ctx.dscr {
        Some(d) => {
            let (i, share) = band_high_better(d.ratio, &cfg.sba.dscr_bounds, &cfg.sba.dscr_shares);
            let label = DSCR_LABELS.get(i).copied().unwrap_or("fails");
            let term_why = if ctx.re_in_deal {
                "real estate in the deal"
            } else {
                "business only"
            };
            let mut rule = format!(
                "DSCR {:.2} = {} cash flow / {} annual debt service ({:.0}% loan of {}: {} at {}% over {} years, {term_why}): {label} ({}) [OXFORD][PHELPS][PETROMAC][JANOVER]",
                d.ratio,
                usd(d.cash_flow_usd),
                usd(d.annual_debt_service_usd),
                100.0 - d.down_payment_percent,
                usd(l.asking_price.unwrap_or_default()),
                usd(d.loan_usd),
                d.rate_percent,
                d.term_years,
                high_threshold(i, &cfg.sba.dscr_bounds)
            );
            if d.loan_usd > cfg.sba.max_7a_loan_usd {
                rule.push_str(&format!(
                    "; the {} loan is above the {} SBA 7(a) limit, so part needs 504 or conventional financing [PETROMAC]",
                    usd(d.loan_usd),
                    usd(cfg.sba.max_7a_loan_usd)
                ));
                out.ask(format!(
                    "The loan would be about {}, above the {} SBA 7(a) limit: has the seller seen a lender structure this (504, conventional, seller note)?",
                    usd(d.loan_usd),
                    usd(cfg.sba.max_7a_loan_usd)
                ));
            }
            if d.ratio < cfg.caps.dscr_below {
                out.cap(
                    cfg.caps.dscr,
                    format!(
                        "DSCR {:.2} is below {:.2}: cash flow does not cover SBA debt service on the asking price [OXFORD][PHELPS]",
                        d.ratio, cfg.caps.dscr_below
                    ),
                );
            }
            out.add(F {
                name: "dscr",
                bucket: BucketName::CashFlow,
                max: w.dscr,
                share,
                rule,
                evidence: vec![
                    field("asking_price", usd(l.asking_price.unwrap_or_default())),
                    field("cash_flow", usd(l.cash_flow.unwrap_or_default())),
                ],
                known: true,
                headline: format!("DSCR {:.2} under SBA terms", d.ratio),
            });
        }
        None => out.add(F {
            name: "dscr",
            bucket: BucketName::CashFlow,
            max: w.dscr,
            share: NEUTRAL,
            rule: "DSCR not computable without asking price and cash flow: neutral half points"
                .into(),
            evidence: vec![],
            known: false,
            headline: String::new(),
        }),
    }
    // Earnings level
    match ctx.norm_sde {
        Some(sde) => {
            let median = cfg.earnings.median_sde_usd.max(1) as f64;
            let ratio = sde as f64 / median;
            let (i, share) = band_high_better(
                ratio,
                &cfg.earnings.median_ratio_bounds,
                &cfg.earnings.shares,
            );
            let label = EARN_LABELS.get(i).copied().unwrap_or("none");
            let what = if ctx.wage_deducted {
                format!(
                    "Cash flow {} minus a {} manager wage (owner-operated) = {}",
                    usd(l.cash_flow.unwrap_or_default()),
                    usd(cfg.valuation.manager_wage_usd),
                    usd(sde)
                )
            } else {
                format!("Cash flow {}", usd(sde))
            };
            out.add(F {
                name: "earnings_level",
                bucket: BucketName::CashFlow,
                max: w.earnings_level,
                share,
                rule: format!(
                    "{what} is {ratio:.2}x the {} median gas-station SDE: {label} ({}x) [BBS-GAS]",
                    usd(cfg.earnings.median_sde_usd),
                    high_threshold(i, &cfg.earnings.median_ratio_bounds)
                ),
                evidence: vec![field("cash_flow", usd(l.cash_flow.unwrap_or_default()))],
                known: true,
                headline: format!("{} a year in cash flow", usd(sde)),
            });
        }
        None => out.add(F {
            name: "earnings_level",
            bucket: BucketName::CashFlow,
            max: w.earnings_level,
            share: NEUTRAL,
            rule: "Cash flow not stated: neutral half points, not guessed from revenue".into(),
            evidence: vec![],
            known: false,
            headline: String::new(),
        }),
    }
}
