//! The two-or-three-sentence summary: verdict, main reasons, what is missing.

use gsa_schemas::{Cap, Confidence};

use crate::config::ScoringConfig;
use crate::rules::Scored;

pub use gsa_schemas::missing_label;

/// Verdict words for a score.
pub fn verdict(score: u8, cfg: &ScoringConfig) -> &'static str {
    if score >= cfg.bands.high {
        "Worth a call"
    } else if score >= cfg.bands.medium {
        "Worth a look"
    } else if score >= cfg.bands.low {
        "Weak"
    } else {
        "Pass for now"
    }
}

fn grade(c: Confidence) -> &'static str {
    match c {
        Confidence::A => "A",
        Confidence::B => "B",
        Confidence::C => "C",
    }
}

/// Writes the summary.
pub(crate) fn write(
    score: u8,
    confidence: Confidence,
    cfg: &ScoringConfig,
    scored: &[Scored],
    caps: &[Cap],
    missing: &[String],
) -> String {
    let mut s = format!(
        "{} at {score}/100 (confidence {}{}).",
        verdict(score, cfg),
        grade(confidence),
        if confidence == Confidence::C {
            ": headline figures missing, a weak screen"
        } else {
            ""
        }
    );
    let ratio = |x: &Scored| {
        if x.factor.max_points > 0.0 {
            x.factor.points / x.factor.max_points
        } else {
            0.5
        }
    };
    let mut strong: Vec<&Scored> = scored
        .iter()
        .filter(|x| {
            x.known && x.factor.max_points > 0.0 && ratio(x) >= 0.75 && !x.headline.is_empty()
        })
        .collect();
    strong.sort_by(|a, b| b.factor.points.total_cmp(&a.factor.points));
    let mut weak: Vec<&Scored> = scored
        .iter()
        .filter(|x| {
            x.known && x.factor.max_points > 0.0 && ratio(x) <= 0.35 && !x.headline.is_empty()
        })
        .collect();
    weak.sort_by(|a, b| b.factor.max_points.total_cmp(&a.factor.max_points));
    let pros: Vec<String> = strong.iter().take(3).map(|x| x.headline.clone()).collect();
    let mut cons: Vec<String> = caps
        .iter()
        .map(|c| {
            let why = c.reason.split(':').next().unwrap_or("");
            // "capped" only when the cap set the score; below it, the sum was already lower
            // (the demo table's `why` says the same).
            if score >= c.limit {
                format!("capped at {} ({why})", c.limit)
            } else {
                format!("red flag ({why})")
            }
        })
        .collect();
    cons.extend(
        weak.iter()
            .take(3 - cons.len().min(3))
            .map(|x| x.headline.clone()),
    );
    match (pros.is_empty(), cons.is_empty()) {
        (false, false) => s.push_str(&format!(
            " For: {}; against: {}.",
            pros.join(", "),
            cons.join(", ")
        )),
        (false, true) => s.push_str(&format!(" For: {}.", pros.join(", "))),
        (true, false) => s.push_str(&format!(" Against: {}.", cons.join(", "))),
        (true, true) => s.push_str(" No stated figure stands out either way."),
    }
    if missing.is_empty() {
        s.push_str(" Nothing essential is missing.");
    } else {
        let list: Vec<&str> = missing.iter().take(5).map(|m| missing_label(m)).collect();
        let more = if missing.len() > 5 {
            format!(" and {} more", missing.len() - 5)
        } else {
            String::new()
        };
        s.push_str(&format!(
            " Not stated, so never guessed (ask the broker): {}{more}.",
            list.join(", ")
        ));
    }
    s
}
