mod common;
use gsa_analyzer::{score, ScoringConfig};

#[test]
#[ignore]
fn dump() {
    let cfg = ScoringConfig::default();
    let mut all = common::fuel_listings();
    all.push(common::hubbard());
    for l in all {
        let c = score(&l, "e", &cfg);
        println!(
            "===== {} {:?} app={} score={:?} conf={:?} re={:?}/{:?}",
            l.listing_id,
            l.title,
            c.applicable,
            c.score,
            c.confidence,
            c.real_estate.basis,
            c.real_estate.included
        );
        if let Some(r) = &c.not_applicable_reason {
            println!("  NA: {r}");
        }
        for f in &c.facts {
            println!(
                "  F {} = {:?} [{}] {:?}..{:?}",
                f.name, f.value, f.quote, f.start, f.end
            );
        }
        for b in &c.buckets {
            print!(" {}={}/{}", b.name, b.points, b.max_points);
        }
        println!();
        for f in &c.factors {
            println!("  R {}", f.rule);
        }
        for cap in &c.caps {
            println!("  CAP {} {}", cap.limit, cap.reason);
        }
        println!("  MISSING {:?}", c.missing);
        for q in &c.questions {
            println!("  Q {q}");
        }
        println!("  SUM {}", c.summary);
        if let Some(v) = &c.valuation {
            println!("  VAL {}", v.method);
        }
    }
}
