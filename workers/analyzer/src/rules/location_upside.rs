//! Location-and-upside bucket.
//!
//! * Location: starts at the neutral half; each signal adds a quarter of the points: a corner or
//!   signalised intersection [GS-VAL], highway/interstate access [GS-VAL][LENDERHAWK], a traffic
//!   count >= 25,000 vehicles/day [OXFORD], no competition [GS-VAL]. A stated count below 25,000
//!   takes a quarter off.
//! * Profit centres: starts at the half; each of food service, car wash, lottery, ATM, propane,
//!   beer/wine/liquor, 24/7 adds a quarter [GS-VAL][NACS-REG][NACS-LOTTO]. A repair garage is noted
//!   (it lowers the multiple, 1.5-2x [FL-RoT]) but not counted.
//! * Financing signals: seller financing or SBA pre-qualification earns full points
//!   [DEALFLOW][SBA-STUDY]; "cash only", "no SBA" or "seller financing required" nothing
//!   [OPENCLAW]; silence the half.

use super::{BucketName, Ctx, Out, F, NEUTRAL};
use crate::text::num;

pub(crate) fn score(ctx: &Ctx, out: &mut Out) {
    location(ctx, out);
    profit_centers(ctx, out);
    financing(ctx, out);
}

fn location(ctx: &Ctx, out: &mut Out) {
    let cfg = ctx.cfg;
    let ex = ctx.ex;
    let step = cfg.location.signal_share;
    let mut plus: Vec<String> = Vec::new();
    let mut minus: Vec<String> = Vec::new();
    let mut evidence = Vec::new();
    if let Some(f) = ex.get("corner_location") {
        plus.push(format!(
            "corner/intersection (\"{}\") [GS-VAL]",
            f.fact.quote
        ));
        evidence.push(f.evidence());
    }
    if let Some(m) = ex.mention("highway") {
        plus.push(format!("highway access (\"{}\") [GS-VAL]", m.quote));
        evidence.push(m.evidence());
    }
    if let Some(f) = ex.get("traffic_count_per_day") {
        let v = f.low().unwrap_or(0.0);
        evidence.push(f.evidence());
        if v >= cfg.location.traffic_good_per_day {
            plus.push(format!(
                "{} vehicles/day >= {} [OXFORD]",
                num(v),
                num(cfg.location.traffic_good_per_day)
            ));
        } else {
            minus.push(format!(
                "{} vehicles/day < {} [OXFORD]",
                num(v),
                num(cfg.location.traffic_good_per_day)
            ));
        }
    }
    if let Some(m) = ex.mention("no_competition") {
        plus.push(format!("\"{}\" [GS-VAL]", m.quote));
        evidence.push(m.evidence());
    }
    let share = (NEUTRAL + step * plus.len() as f64 - step * minus.len() as f64).clamp(0.0, 1.0);
    let known = !plus.is_empty() || !minus.is_empty();
    let rule = if known {
        let mut parts = plus.clone();
        parts.extend(minus.iter().cloned());
        format!(
            "Location signals: {} (half points plus {} per signal)",
            parts.join("; "),
            num(step * cfg.weights.location)
        )
    } else {
        out.ask("What is the traffic count (AADT) in front of the site, is it a corner with a light, and which competitors are nearby? [OXFORD][GS-VAL]");
        "No location signal stated (corner, highway, traffic count, competition): neutral half points".to_string()
    };
    out.add(F {
        name: "location",
        bucket: BucketName::LocationUpside,
        max: cfg.weights.location,
        share,
        rule,
        evidence,
        known,
        headline: plus
            .first()
            .map(|p| {
                p.split(" (")
                    .next()
                    .unwrap_or("")
                    .split(" [")
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_default(),
    });
}

fn profit_centers(ctx: &Ctx, out: &mut Out) {
    let cfg = ctx.cfg;
    let ex = ctx.ex;
    let step = cfg.location.profit_center_share;
    let mut found: Vec<String> = Vec::new();
    let mut evidence = Vec::new();
    for (name, label) in [("food_service", "food service"), ("car_wash", "car wash")] {
        if let Some(f) = ex.get(name) {
            found.push(format!("{label} (\"{}\")", f.fact.quote));
            evidence.push(f.evidence());
        }
    }
    let lottery_fact = ex.get("lottery_sales_per_month");
    if let Some(f) = lottery_fact {
        found.push(format!("lottery (\"{}\")", f.fact.quote));
        evidence.push(f.evidence());
    }
    for (kind, label) in [
        ("lottery", "lottery"),
        ("atm", "ATM"),
        ("propane", "propane"),
        ("alcohol", "beer/wine/liquor"),
        ("open_24_7", "open 24/7"),
    ] {
        if kind == "lottery" && lottery_fact.is_some() {
            continue;
        }
        if let Some(m) = ex.mention(kind) {
            found.push(format!("{label} (\"{}\")", m.quote));
            evidence.push(m.evidence());
        }
    }
    let share = (NEUTRAL + step * found.len() as f64).clamp(0.0, 1.0);
    let mut rule = if found.is_empty() {
        "No extra profit centre stated (food service, car wash, lottery, ATM, propane, beer/wine, 24/7): neutral half points".to_string()
    } else {
        format!(
            "Profit centres: {} (half points plus {} each) [GS-VAL][NACS-REG][NACS-LOTTO]",
            found.join("; "),
            num(step * cfg.weights.profit_centers)
        )
    };
    if let Some(m) = ex.mention("repair_garage") {
        rule.push_str(&format!(
            "; note: a repair garage (\"{}\") usually lowers the multiple to 1.5-2x [FL-RoT]",
            m.quote
        ));
        evidence.push(m.evidence());
    }
    out.add(F {
        name: "profit_centers",
        bucket: BucketName::LocationUpside,
        max: cfg.weights.profit_centers,
        share,
        rule,
        evidence,
        known: !found.is_empty(),
        headline: if found.is_empty() {
            String::new()
        } else {
            found
                .iter()
                .map(|f| f.split(" (").next().unwrap_or("").to_string())
                .collect::<Vec<_>>()
                .join(", ")
        },
    });
}

fn financing(ctx: &Ctx, out: &mut Out) {
    let cfg = ctx.cfg;
    let ex = ctx.ex;
    let seller = ex
        .get("seller_financing")
        .filter(|f| f.flag() == Some(true));
    let sba = ex
        .get("sba_prequalified")
        .filter(|f| f.flag() == Some(true));
    let negative = ex.mention("financing_negative");
    let (share, rule, evidence, known) = if let Some(m) = negative {
        (
            0.0,
            format!(
                "\"{}\": financing limited, fewer buyers and no SBA leverage [OPENCLAW][DEALFLOW]",
                m.quote
            ),
            vec![m.evidence()],
            true,
        )
    } else if seller.is_some() || sba.is_some() {
        let mut parts = Vec::new();
        let mut ev = Vec::new();
        if let Some(f) = seller {
            parts.push(format!("seller financing (\"{}\"): a 5-10% seller note on standby is accepted by SBA lenders [DEALFLOW]", f.fact.quote));
            ev.push(f.evidence());
        }
        if let Some(f) = sba {
            parts.push(format!(
                "SBA pre-qualified (\"{}\") [SBA-STUDY]",
                f.fact.quote
            ));
            ev.push(f.evidence());
        }
        (1.0, format!("Financing: {}", parts.join("; ")), ev, true)
    } else {
        (
            NEUTRAL,
            "No financing signal (seller financing, SBA pre-qualification): neutral half points"
                .to_string(),
            vec![],
            false,
        )
    };
    out.add(F {
        name: "financing_signals",
        bucket: BucketName::LocationUpside,
        max: cfg.weights.financing_signals,
        share,
        rule,
        evidence,
        known,
        headline: if seller.is_some() {
            "seller financing offered".into()
        } else if sba.is_some() {
            "SBA pre-qualified".into()
        } else {
            String::new()
        },
    });
}
