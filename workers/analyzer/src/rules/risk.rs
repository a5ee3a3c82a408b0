//! Risk bucket: environmental status, tanks, fuel supply, verifiability.
//!
//! * Environmental: a clean Phase I or a closed case (NFA / "remediation completed") costs
//!   nothing; silence is neutral (and asked about); an open problem (LUST, leak, contamination,
//!   "remediation ongoing", sold as-is) earns nothing and caps the score at 40
//!   [SBA-ERISK][PSARA][ACA-FL][BBC]. Risk words count only when the text does not say the cleanup
//!   is done.
//! * Tanks: age <= 10 years excellent (lender preference) [OXFORD], <= 20 good, < 30 watch, >= 30
//!   past the typical warranty [PACMIN][FMN]; double-wall with no age 3/4, single-wall at most 1/4
//!   (state replacement mandates) [MESLLC].
//! * Supply: a major brand with >= 3 years left, unbranded/open dealer (flexible), branded with the
//!   term unknown, expiring within a year [NACS-FUEL][ACA-FL][OPIS][LENDERHAWK].
//! * Verifiability: asking price, cash flow and revenue all stated and consistent earn full points;
//!   two of three half; "unreported" cash or cash flow above revenue nothing [LAUNDRO-SBA][SAAD-GSA].

use super::{band_low_better, field, low_threshold, BucketName, Ctx, Out, F, NEUTRAL};
use crate::text::{num, usd};

pub(crate) fn score(ctx: &Ctx, out: &mut Out) {
    environmental(ctx, out);
    tanks(ctx, out);
    supply(ctx, out);
    verifiability(ctx, out);
}

fn environmental(ctx: &Ctx, out: &mut Out) {
    let cfg = ctx.cfg;
    let max = cfg.weights.environmental;
    let f = ctx.ex.get("environmental_status");
    let status = f.and_then(|f| f.text()).unwrap_or("not_mentioned");
    let evidence = f
        .filter(|f| !f.fact.quote.is_empty())
        .map(|f| vec![f.evidence()])
        .unwrap_or_default();
    let quote = f.map(|f| f.fact.quote.clone()).unwrap_or_default();
    let (share, rule, known, headline) = match status {
        "clean" => (
            1.0,
            format!("Environmental: \"{quote}\", clean: no cost [SBA-ERISK]"),
            true,
            "clean environmental report".to_string(),
        ),
        "closed_nfa" => (
            1.0,
            format!("Environmental: \"{quote}\", cleanup done / no further action: a closed case is historical, no cost [PSARA][EI1]"),
            true,
            "environmental case closed (NFA)".to_string(),
        ),
        "open" => {
            out.cap(
                cfg.caps.environmental_open,
                format!(
                    "Open environmental problem (\"{quote}\"), no completed cleanup stated: it changes who can buy and how the deal is financed [ACA-FL][BBC][PSARA]"
                ),
            );
            out.ask("What is the status of the environmental case: state file number, cost to closure, trust-fund eligibility, who is the responsible party? [PSARA]");
            (
                0.0,
                format!("Environmental: \"{quote}\" with no completed cleanup stated: open problem, caps the score at {} [ACA-FL][BBC]", cfg.caps.environmental_open),
                true,
                "open environmental problem".to_string(),
            )
        }
        _ => {
            out.missing("environmental_status");
            out.ask("Is there a Phase I ESA (ASTM E1527-21) with tank and line tightness tests from the last 12 months? Any leak (LUST) history or NFA letter? [SBA-ERISK][SOP-8]");
            (
                NEUTRAL,
                "Environmental status not mentioned: neutral half points; SBA lenders need a Phase I and tank testing within 12 months [SBA-ERISK]".to_string(),
                false,
                String::new(),
            )
        }
    };
    out.add(F {
        name: "environmental",
        bucket: BucketName::Risk,
        max,
        share,
        rule,
        evidence,
        known,
        headline,
    });
}

/// Tank age in years when stated (or computable from a stated install year and the listing date).
pub(crate) fn tank_age(ctx: &Ctx) -> Option<(f64, Vec<gsa_schemas::Evidence>)> {
    if let Some(f) = ctx.ex.get("tank_age_years") {
        let age = match &f.fact.value {
            gsa_schemas::FactValue::Range { max, .. } => *max,
            gsa_schemas::FactValue::Number(n) => *n,
            _ => return None,
        };
        return Some((age, vec![f.evidence()]));
    }
    let f = ctx.ex.get("tank_install_year")?;
    let year = ctx.year?;
    let installed = f.low()?;
    Some(((f64::from(year) - installed).max(0.0), vec![f.evidence()]))
}

/// Tanks need replacing: at or past the warranty age, or single-wall.
pub(crate) fn tank_capex(ctx: &Ctx) -> bool {
    let single = ctx
        .ex
        .get("tank_wall")
        .and_then(|f| f.text())
        .is_some_and(|w| w == "single");
    let old = tank_age(ctx)
        .is_some_and(|(a, _)| a >= ctx.cfg.risk.tank_age_bounds.last().copied().unwrap_or(30.0));
    single || old
}

fn tanks(ctx: &Ctx, out: &mut Out) {
    let cfg = ctx.cfg;
    let r = &cfg.risk;
    let max = cfg.weights.tanks;
    let wall = ctx.ex.get("tank_wall");
    let wall_text = wall.and_then(|f| f.text()).unwrap_or("");
    let age = tank_age(ctx);
    let (mut share, mut rule, mut evidence, known, headline) = match &age {
        Some((a, ev)) => {
            let (i, s) = band_low_better(*a, &r.tank_age_bounds, &r.tank_age_shares);
            let label = ["excellent (lender preference < 10 years) [OXFORD]", "good, well inside the typical 30-year warranty [PACMIN]", "watch: nearing the 30-year warranty [PACMIN]", "at or past the typical 30-year warranty: replacement deducted from value [PACMIN][CSI-EBITDA]"]
                .get(i)
                .copied()
                .unwrap_or("");
            (
                s,
                format!(
                    "Tanks about {} years old ({} years): {label}",
                    num(*a),
                    low_threshold(i, &r.tank_age_bounds)
                ),
                ev.clone(),
                true,
                if *a <= 2.0 {
                    "new tanks".to_string()
                } else {
                    format!("tanks about {} years old", num(*a))
                },
            )
        }
        None if wall_text == "double" => (
            r.double_wall_share,
            "Double-wall tanks, age not stated [MESLLC]".to_string(),
            wall.map(|f| vec![f.evidence()]).unwrap_or_default(),
            true,
            "double-wall tanks".to_string(),
        ),
        None if wall_text == "single" => (
            r.single_wall_share,
            "Single-wall tanks, age not stated: several states mandate replacement [MESLLC]"
                .to_string(),
            wall.map(|f| vec![f.evidence()]).unwrap_or_default(),
            true,
            "single-wall tanks".to_string(),
        ),
        None => {
            out.missing("tank_age");
            out.ask("When were the tanks and lines installed, are they double-wall, and when were they last tightness-tested? [OXFORD][PACMIN]");
            (
                NEUTRAL,
                "Tank age and type not stated: neutral half points".to_string(),
                vec![],
                false,
                String::new(),
            )
        }
    };
    if age.is_some() && !wall_text.is_empty() {
        if let Some(w) = wall {
            evidence.push(w.evidence());
        }
        rule.push_str(&format!("; {wall_text}-wall"));
        if wall_text == "single" {
            share = share.min(r.single_wall_share);
            rule.push_str(", capped for single-wall [MESLLC]");
        }
    }
    out.add(F {
        name: "tanks",
        bucket: BucketName::Risk,
        max,
        share,
        rule,
        evidence,
        known,
        headline,
    });
}

fn supply(ctx: &Ctx, out: &mut Out) {
    let cfg = ctx.cfg;
    let r = &cfg.risk;
    let max = cfg.weights.supply_contract;
    let ex = ctx.ex;
    let brand = ex.get("brand");
    let brand_name = brand.and_then(|f| f.text()).map(str::to_string);
    let years = ex.get("supply_contract_years_remaining");
    let years_low = years.and_then(|f| f.low());
    let years_high = years.and_then(|f| match &f.fact.value {
        gsa_schemas::FactValue::Range { max, .. } => Some(*max),
        gsa_schemas::FactValue::Number(n) => Some(*n),
        _ => None,
    });
    let branded_mention = ex.mention("branded");
    let commission_site = ex.get("fuel_commission_cents_per_gallon").is_some()
        || ex.mention("commission_site").is_some();
    let mut evidence: Vec<_> = brand.map(|f| vec![f.evidence()]).unwrap_or_default();
    if let Some(y) = years {
        evidence.push(y.evidence());
    }
    let unbranded = brand_name.as_deref() == Some("unbranded");
    let (share, rule, known, headline) = if let Some(hi) = years_high.filter(|h| *h <= 1.0) {
        out.ask("The fuel supply contract is up within a year: what are the renewal terms, and are any incentives (image money, rebates) repayable? [ACA-FL][OFFERS]");
        (
            r.supply_expiring_share,
            format!(
                "Supply contract {}: supply must be renegotiated or re-secured [LENDERHAWK][ACA-FL]",
                // "expires 2026" read in 2026 is 0 years left, not "within 0 year".
                if hi <= 0.0 {
                    "is up this year or has already ended".to_string()
                } else if hi < 1.0 {
                    format!("ends within {} of a year", num(hi))
                } else {
                    "ends within a year".to_string()
                }
            ),
            true,
            "supply contract expiring".to_string(),
        )
    } else if let (Some(b), Some(y)) = (brand_name.as_deref().filter(|_| !unbranded), years_low) {
        if y >= r.supply_good_years {
            (
                r.supply_branded_long_share,
                format!("{b} brand with {} years left on the supply contract (>= {}): secured supply and brand traffic [NACS-FUEL][ACA-FL]", num(y), num(r.supply_good_years)),
                true,
                format!("{b} supply secured for {} years", num(y)),
            )
        } else {
            out.ask(format!("The {b} supply contract has about {} years left: renewal terms, volume commitments and any repayable incentives? [OFFERS]", num(y)));
            (
                r.supply_branded_unknown_share,
                format!("{b} brand with {} years left on the supply contract (< {}): renewal ahead [ACA-FL][OFFERS]", num(y), num(r.supply_good_years)),
                true,
                format!("{b} brand"),
            )
        }
    } else if unbranded && !commission_site {
        (
            r.supply_unbranded_share,
            "Unbranded / open dealer: free to buy at rack and to rebrand, no contract to inherit [ACA-FL][BENCH-FUEL]".to_string(),
            true,
            "unbranded open dealer".to_string(),
        )
    } else if let Some(b) = brand_name.as_deref().filter(|_| !unbranded) {
        out.missing("supply_contract");
        out.ask(format!("How many years are left on the {b} supply contract, with which volume commitments and repayable incentives? [ACA-FL][OFFERS]"));
        (
            r.supply_branded_unknown_share,
            format!("{b} brand, years left on the supply contract not stated [NACS-FUEL][ACA-FL]"),
            true,
            format!("{b} brand"),
        )
    } else if commission_site {
        if let Some(m) = ex.mention("commission_site") {
            evidence.push(m.evidence());
        }
        (
            NEUTRAL,
            "Commission site: the supplier owns the fuel and sets the price; no supply contract for the dealer to secure: neutral half points [OPIS]".to_string(),
            false,
            String::new(),
        )
    } else if let Some(m) = branded_mention {
        evidence.push(m.evidence());
        out.missing("supply_contract");
        out.ask("Which fuel brand, and how many years are left on the supply contract? [ACA-FL]");
        (
            r.supply_branded_unknown_share,
            format!(
                "\"{}\": branded, brand name and contract term not stated [NACS-FUEL]",
                m.quote
            ),
            true,
            "branded fuel".to_string(),
        )
    } else {
        out.missing("supply_contract");
        out.ask("Is the fuel branded or unbranded, who is the supplier, and how many years are left on the supply contract? [ACA-FL][LENDERHAWK]");
        (
            NEUTRAL,
            "Brand and supply contract not stated: neutral half points".to_string(),
            false,
            String::new(),
        )
    };
    out.add(F {
        name: "supply_contract",
        bucket: BucketName::Risk,
        max,
        share,
        rule,
        evidence,
        known,
        headline,
    });
}

fn verifiability(ctx: &Ctx, out: &mut Out) {
    let cfg = ctx.cfg;
    let max = cfg.weights.verifiability;
    let l = ctx.listing;
    let mut evidence = Vec::new();
    let mut stated = Vec::new();
    if let Some(p) = l.asking_price {
        stated.push("asking price");
        evidence.push(field("asking_price", usd(p)));
    }
    if let Some(c) = l.cash_flow {
        stated.push("cash flow");
        evidence.push(field("cash_flow", usd(c)));
    }
    if let Some(r) = l.gross_revenue {
        stated.push("revenue");
        evidence.push(field("gross_revenue", usd(r)));
    }
    if l.gross_revenue.is_none() {
        out.missing("gross_revenue");
    }
    let inconsistent =
        matches!((l.cash_flow, l.gross_revenue), (Some(c), Some(r)) if r > 0 && c > r);
    let cash = ctx.ex.mention("cash_business");
    let (share, rule) = if let Some(m) = cash {
        evidence.push(m.evidence());
        out.ask("The listing mentions unreported cash: what do the tax returns show? Lenders underwrite only reported income [LAUNDRO-SBA].");
        (
            0.0,
            format!(
                "\"{}\": earnings that cannot be verified [LAUNDRO-SBA]",
                m.quote
            ),
        )
    } else if inconsistent {
        out.ask("Cash flow is stated above revenue: which figure is wrong?");
        (
            0.0,
            "Cash flow above revenue: the stated figures contradict each other".to_string(),
        )
    } else {
        let n = stated.len();
        let share = match n {
            3 => 1.0,
            2 => 0.5,
            _ => 0.0,
        };
        let list = if stated.is_empty() {
            "none".to_string()
        } else {
            stated.join(", ")
        };
        (share, format!("{n} of 3 headline figures stated ({list}); claims are the seller's until verified with tax returns [SAAD-GSA][LAUNDRO-SBA]"))
    };
    out.add(F {
        name: "verifiability",
        bucket: BucketName::Risk,
        max,
        share,
        rule,
        evidence,
        known: true,
        headline: if share >= 1.0 {
            "price, cash flow and revenue all stated".into()
        } else {
            "headline figures incomplete".into()
        },
    });
}
