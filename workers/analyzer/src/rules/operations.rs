//! Operations bucket: fuel and store.
//!
//! * Gallons/month: >= 150k excellent [FL-RoT], >= 125k strong (NACS typical 1.5M/yr) [AUTOCH],
//!   >= 83,333 good (1M gal/yr lender floor) [OXFORD], >= 40k moderate, below weak.
//! * Inside sales/month: >= $100k strong, >= $60k good, >= $30k ok (viability floor [QBA]), below
//!   weak; halved when below $0.30 per gallon pumped [FL-RoT].
//! * Fuel margin or dealer commission, cents/gallon: > 40 "verify" [NEMCO], >= 20 in line with the
//!   NACS 5-year average 27.2c [NACS-FUEL], >= 10 normal [COMBROKER], below weak. A commission is
//!   what the dealer keeps: it is judged on the same scale and labelled a commission, never a margin.
//! * Merchandise margin: >= 35% excellent [QBA][MSAH], >= 28% good [BBC], >= 25% ok [FL-RoT].
//! * Owner involvement: absentee full, semi-absentee 3/4, owner-operated 1/4 (and a manager wage
//!   is charged against cash flow) [OFFERS][PHELPS][FIRM-PHX].
//!
//! Ranges are judged on their lower bound.

use super::{band_high_better, high_threshold, BucketName, Ctx, Out, F, NEUTRAL};
use crate::facts::Found;
use crate::text::{num, usd};

fn neutral(out: &mut Out, name: &'static str, max: f64, rule: &str) {
    out.add(F {
        name,
        bucket: BucketName::Operations,
        max,
        share: NEUTRAL,
        rule: rule.into(),
        evidence: vec![],
        known: false,
        headline: String::new(),
    });
}

fn shown(f: &Found) -> String {
    match &f.fact.value {
        gsa_schemas::FactValue::Range { min, max } => format!("{}-{}", num(*min), num(*max)),
        gsa_schemas::FactValue::Number(n) => num(*n),
        other => format!("{other:?}"),
    }
}

pub(crate) fn score(ctx: &Ctx, out: &mut Out) {
    let cfg = ctx.cfg;
    let o = &cfg.operations;
    let w = &cfg.weights;
    let ex = ctx.ex;

    // Gallons
    let gallons = ex.get("gallons_per_month");
    match gallons.and_then(|f| f.low().map(|v| (f, v))) {
        Some((f, g)) => {
            let (i, share) = band_high_better(g, &o.gallons_bounds, &o.gallons_shares);
            let label = ["excellent", "strong", "good", "moderate", "weak"]
                .get(i)
                .copied()
                .unwrap_or("weak");
            out.add(F {
                name: "gallons_per_month",
                bucket: BucketName::Operations,
                max: w.gallons,
                share,
                rule: format!(
                    "{} gallons/month: {label} ({}; 150k excellent [FL-RoT], 125k NACS typical [AUTOCH], 83,333 = 1M gal/yr lender floor [OXFORD])",
                    shown(f),
                    high_threshold(i, &o.gallons_bounds)
                ),
                evidence: vec![f.evidence()],
                known: true,
                headline: format!("{} gallons a month", shown(f)),
            });
        }
        None => {
            neutral(
                out,
                "gallons_per_month",
                w.gallons,
                "Fuel volume (gallons per month) not stated: neutral half points",
            );
            out.missing("gallons_per_month");
            out.ask("How many gallons a month does the site sell (last 12 months, by grade and diesel)?");
        }
    }

    // Inside sales
    let inside = ex.get("inside_sales_per_month");
    match inside.and_then(|f| f.low().map(|v| (f, v))) {
        Some((f, s)) => {
            let (i, mut share) =
                band_high_better(s, &o.inside_sales_bounds, &o.inside_sales_shares);
            let label = ["strong", "good", "ok", "weak"]
                .get(i)
                .copied()
                .unwrap_or("weak");
            let mut rule = format!(
                "Inside sales {}/month: {label} ({}; viable store >= $30,000/month [QBA])",
                usd(s.round() as i64),
                high_threshold(i, &o.inside_sales_bounds)
            );
            let mut evidence = vec![f.evidence()];
            if let Some((gf, g)) = gallons.and_then(|gf| gf.low().map(|g| (gf, g))) {
                if g > 0.0 {
                    let per = s / g;
                    if per < o.inside_per_gallon_floor_usd {
                        share *= 0.5;
                        rule.push_str(&format!(
                            "; only ${per:.2} inside per gallon, below the ${:.2} floor, points halved [FL-RoT]",
                            o.inside_per_gallon_floor_usd
                        ));
                        evidence.push(gf.evidence());
                    } else {
                        rule.push_str(&format!(
                            "; ${per:.2} inside per gallon, above the ${:.2} floor [FL-RoT]",
                            o.inside_per_gallon_floor_usd
                        ));
                    }
                }
            }
            out.add(F {
                name: "inside_sales_per_month",
                bucket: BucketName::Operations,
                max: w.inside_sales,
                share,
                rule,
                evidence,
                known: true,
                headline: format!("inside sales of {} a month", usd(s.round() as i64)),
            });
        }
        None => {
            neutral(
                out,
                "inside_sales_per_month",
                w.inside_sales,
                "Inside (store) sales per month not stated: neutral half points",
            );
            out.missing("inside_sales_per_month");
            out.ask("What are the monthly inside (store) sales, excluding lottery, and the mix (tobacco, beer, food)?");
        }
    }

    // Fuel margin or commission
    let margin = ex.get("fuel_margin_cents_per_gallon");
    let commission = ex.get("fuel_commission_cents_per_gallon");
    let commission_site = commission.is_some() || ex.mention("commission_site").is_some();
    match margin.or(commission).and_then(|f| f.low().map(|v| (f, v))) {
        Some((f, c)) => {
            let is_commission = f.fact.name == "fuel_commission_cents_per_gallon";
            let what = if is_commission {
                "Dealer commission"
            } else {
                "Fuel margin"
            };
            let (share, label) = if c > o.fuel_margin_verify_above_cents {
                out.ask(format!(
                    "The stated {} of {}c/gal is above {}c: is that before card fees and over which period? [NEMCO]",
                    what.to_ascii_lowercase(),
                    num(c),
                    num(o.fuel_margin_verify_above_cents)
                ));
                (
                    o.fuel_margin_verify_share,
                    format!("above {}c, verify", num(o.fuel_margin_verify_above_cents)),
                )
            } else {
                let (i, s) = band_high_better(c, &o.fuel_margin_bounds, &o.fuel_margin_shares);
                let l = [
                    "in line with the NACS 27.2c 5-year average",
                    "normal",
                    "weak",
                ]
                .get(i)
                .copied()
                .unwrap_or("weak");
                (
                    s,
                    format!("{l} ({}c)", high_threshold(i, &o.fuel_margin_bounds)),
                )
            };
            let note = if is_commission {
                "; on a commission site the dealer does not own the fuel margin, only this commission"
            } else {
                ""
            };
            out.add(F {
                name: if is_commission {
                    "fuel_commission"
                } else {
                    "fuel_margin"
                },
                bucket: BucketName::Operations,
                max: w.fuel_margin,
                share,
                rule: format!(
                    "{what} {}c/gallon: {label}{note} [NACS-FUEL][COMBROKER][NEMCO]",
                    shown(f)
                ),
                evidence: vec![f.evidence()],
                known: true,
                headline: format!("{} of {}c a gallon", what.to_ascii_lowercase(), shown(f)),
            });
        }
        None if commission_site => {
            let m = ex.mention("commission_site");
            out.add(F {
                name: "fuel_commission",
                bucket: BucketName::Operations,
                max: w.fuel_margin,
                share: NEUTRAL,
                rule: "Commission site (the dealer does not own the fuel margin), commission per gallon not stated: neutral half points".into(),
                evidence: m.map(|m| vec![m.evidence()]).unwrap_or_default(),
                known: false,
                headline: String::new(),
            });
            out.missing("fuel_commission_cents_per_gallon");
            out.ask("What commission per gallon does the dealer earn, and who pays card fees?");
        }
        None => {
            neutral(
                out,
                "fuel_margin",
                w.fuel_margin,
                "Fuel margin (cents per gallon) not stated: neutral half points",
            );
            out.missing("fuel_margin_cents_per_gallon");
            out.ask("What is the fuel margin in cents per gallon after card fees (last 12 months), and is the fuel bought at rack or DTW?");
        }
    }

    // Merchandise margin
    match ex
        .get("merchandise_margin_percent")
        .and_then(|f| f.low().map(|v| (f, v)))
    {
        Some((f, pct)) => {
            let (i, share) = band_high_better(
                pct,
                &o.merchandise_margin_bounds,
                &o.merchandise_margin_shares,
            );
            let label = ["excellent", "good", "ok", "weak"]
                .get(i)
                .copied()
                .unwrap_or("weak");
            out.add(F {
                name: "merchandise_margin",
                bucket: BucketName::Operations,
                max: w.merchandise_margin,
                share,
                rule: format!(
                    "Merchandise margin {}%: {label} ({}%; 25-30% typical [FL-RoT], > 28% earns the top of the range [BBC], 35% target [QBA][MSAH])",
                    num(pct),
                    high_threshold(i, &o.merchandise_margin_bounds)
                ),
                evidence: vec![f.evidence()],
                known: true,
                headline: format!("{}% store margin", num(pct)),
            });
        }
        None => {
            neutral(
                out,
                "merchandise_margin",
                w.merchandise_margin,
                "Merchandise (inside) margin not stated: neutral half points",
            );
            out.missing("merchandise_margin_percent");
        }
    }

    // Owner involvement
    match ex.get("owner_involvement") {
        Some(f) => {
            let v = f.text().unwrap_or("");
            let (share, text) = match v {
                "absentee" => (o.absentee_share, "absentee-run: staff already paid out of the stated cash flow [FIRM-PHX]".to_string()),
                "semi_absentee" => (o.semi_absentee_share, "semi-absentee: part of the running is paid for".to_string()),
                _ => (
                    o.owner_operated_share,
                    format!(
                        "owner-operated: a buyer charges a market manager wage ({}) against the cash flow and prices at the bottom of the band [OFFERS][PHELPS]",
                        usd(cfg.valuation.manager_wage_usd)
                    ),
                ),
            };
            out.add(F {
                name: "owner_involvement",
                bucket: BucketName::Operations,
                max: w.owner_involvement,
                share,
                rule: format!("Owner involvement {text}"),
                evidence: vec![f.evidence()],
                known: true,
                headline: v.replace('_', "-"),
            });
        }
        None => {
            neutral(
                out,
                "owner_involvement",
                w.owner_involvement,
                "Owner involvement not stated: neutral half points, no manager wage deducted",
            );
            out.missing("owner_involvement");
            out.ask("Is the store absentee-run or owner-operated? If the owner works in it, how many hours, and is a manager wage in the cash flow?");
        }
    }
}
