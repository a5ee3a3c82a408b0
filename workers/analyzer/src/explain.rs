//! Score history that explains itself: what changed between two score cards of the same
//! listing, factor by factor, and why.
//!
//! [`diff`] is pure: it compares the previous card with the new one and says, for every factor
//! whose points moved (or that appeared or disappeared), the old and new points and the cause:
//! a figure in its evidence that changed ("asking price cut from $1,200,000 to $1,000,000"), a
//! changed real-estate conclusion ("real estate now included (inferred): ... 7.1x multiple"), a
//! changed weight, or a new model (then the rule as it now reads). Applicability, the
//! real-estate conclusion and caps are reported too, because they move the score without being
//! factors. The analyzer worker diffs against the last card it published for the listing (JetStream
//! KV bucket `gsa_cards`); `gsa rescore` diffs against the card in the event store.

use gsa_schemas::{
    Evidence, Factor, RealEstateAssessment, RealEstateBasis, ScoreCard, ScoreChange,
};

/// Points differences smaller than this are rounding, not a change.
const EPS: f64 = 0.005;

/// Everything that changed from `old` to `new`, largest points change first (ties by name).
pub fn diff(old: &ScoreCard, new: &ScoreCard) -> Vec<ScoreChange> {
    let mut out = Vec::new();
    let model_changed = old.model_version != new.model_version;

    if old.applicable != new.applicable {
        let reason = if new.applicable {
            format!(
                "not applicable -> applicable (was: {})",
                old.not_applicable_reason
                    .as_deref()
                    .unwrap_or("not a fuel site")
            )
        } else {
            format!(
                "applicable -> not applicable: {}",
                new.not_applicable_reason
                    .as_deref()
                    .unwrap_or("not a fuel site")
            )
        };
        out.push(ScoreChange {
            factor: "applicable".into(),
            old_points: None,
            new_points: None,
            reason,
        });
    }

    let re_changed = real_estate_changed(&old.real_estate, &new.real_estate);
    if re_changed {
        out.push(ScoreChange {
            factor: "real_estate".into(),
            old_points: None,
            new_points: None,
            reason: format!(
                "real estate {} -> {}: {}",
                re_label(&old.real_estate),
                re_label(&new.real_estate),
                new.real_estate.reason
            ),
        });
    }

    let mut factors: Vec<ScoreChange> = Vec::new();
    let names = new
        .factors
        .iter()
        .chain(old.factors.iter())
        .map(|f| f.name.as_str());
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let o = old.factors.iter().find(|f| f.name == name);
        let n = new.factors.iter().find(|f| f.name == name);
        let (op, np) = (o.map(|f| f.points), n.map(|f| f.points));
        let moved = match (op, np) {
            (Some(a), Some(b)) => (a - b).abs() >= EPS,
            (None, None) => false,
            // A factor that appears or disappears with 0 points changes nothing.
            (a, b) => a.or(b).unwrap_or(0.0).abs() >= EPS,
        };
        if !moved {
            continue;
        }
        let mut causes = Vec::new();
        causes.extend(evidence_causes(old, new, o, n));
        let bucket = n.or(o).map(|f| f.bucket.as_str()).unwrap_or("");
        let rule_mentions_re = n
            .or(o)
            .is_some_and(|f| f.rule.to_ascii_lowercase().contains("real estate"));
        if re_changed && bucket == "real_estate_or_lease" {
            causes.push(format!(
                "real estate now {}: {}",
                re_label(&new.real_estate),
                first_clause(&new.real_estate.reason)
            ));
        } else if re_changed && rule_mentions_re {
            // Price bands and the SBA term depend on whether real estate is in the deal.
            causes.push(format!("real estate now {}", re_label(&new.real_estate)));
        }
        if let (Some(o), Some(n)) = (o, n) {
            if (o.max_points - n.max_points).abs() >= EPS {
                causes.push(format!(
                    "weight {} -> {}",
                    pts(Some(o.max_points)),
                    pts(Some(n.max_points))
                ));
            }
        }
        if causes.is_empty() && model_changed {
            causes.push(format!(
                "model {} -> {}",
                old.model_version, new.model_version
            ));
        }
        match n {
            Some(f) => causes.push(format!("now: {}", gist(&f.rule))),
            None => causes.push("no longer scored".into()),
        }
        factors.push(ScoreChange {
            factor: name.to_string(),
            old_points: op,
            new_points: np,
            reason: format!("{name} {} -> {}: {}", pts(op), pts(np), causes.join("; ")),
        });
    }
    factors.sort_by(|a, b| {
        let d = |c: &ScoreChange| (c.new_points.unwrap_or(0.0) - c.old_points.unwrap_or(0.0)).abs();
        d(b).total_cmp(&d(a)).then_with(|| a.factor.cmp(&b.factor))
    });
    out.extend(factors);

    for c in &old.caps {
        if !new
            .caps
            .iter()
            .any(|x| x.limit == c.limit && x.reason == c.reason)
        {
            out.push(ScoreChange {
                factor: "cap".into(),
                old_points: Some(f64::from(c.limit)),
                new_points: None,
                reason: format!("cap at {} lifted (was: {})", c.limit, c.reason),
            });
        }
    }
    for c in &new.caps {
        if !old
            .caps
            .iter()
            .any(|x| x.limit == c.limit && x.reason == c.reason)
        {
            out.push(ScoreChange {
                factor: "cap".into(),
                old_points: None,
                new_points: Some(f64::from(c.limit)),
                reason: format!("capped at {}: {}", c.limit, c.reason),
            });
        }
    }
    out
}

/// Fills `new`'s history from the listing's previous card: `previous_score`,
/// `previous_model_version` and `changes` ([`diff`]).
pub fn attach(new: &mut ScoreCard, previous: &ScoreCard) {
    new.previous_score = previous.score;
    new.previous_model_version = Some(previous.model_version.clone());
    new.changes = diff(previous, new);
}

/// Whether two cards score the same listing event under the same model (a redelivery or a
/// re-run, not a new card): then the earlier card, with its history, is the card to publish.
pub fn same_card(a: &ScoreCard, b: &ScoreCard) -> bool {
    a.listing_id == b.listing_id
        && a.listing_event_id == b.listing_event_id
        && a.model_version == b.model_version
}

fn real_estate_changed(a: &RealEstateAssessment, b: &RealEstateAssessment) -> bool {
    a.included != b.included || a.basis != b.basis
}

fn re_label(r: &RealEstateAssessment) -> String {
    let basis = match r.basis {
        RealEstateBasis::Stated => "stated",
        RealEstateBasis::Inferred => "inferred",
        RealEstateBasis::Unknown => "unknown",
    };
    match r.included {
        Some(true) => format!("included ({basis})"),
        Some(false) => format!("not included ({basis})"),
        None => "unknown".into(),
    }
}

/// The value of a listing field as the card's evidence quotes it (`asking_price` ->
/// "$1,199,000"), from any factor; `None` when no factor cites the field.
fn field_quote<'a>(card: &'a ScoreCard, source: &str) -> Option<&'a str> {
    card.factors
        .iter()
        .flat_map(|f| f.evidence.iter())
        .find(|e| e.source == source)
        .map(|e| e.quote.as_str())
}

/// The causes visible in a factor's evidence: a listing field whose value changed between the
/// cards ("asking price cut from $1,200,000 to $1,000,000"), a field newly stated or no longer
/// stated, and description quotes that appeared or went (for a factor on both cards).
fn evidence_causes(
    old_card: &ScoreCard,
    new_card: &ScoreCard,
    old: Option<&Factor>,
    new: Option<&Factor>,
) -> Vec<String> {
    let empty: Vec<Evidence> = Vec::new();
    let oe = old.map(|f| &f.evidence).unwrap_or(&empty);
    let ne = new.map(|f| &f.evidence).unwrap_or(&empty);
    let mut out = Vec::new();
    let mut sources: Vec<&str> = Vec::new();
    for e in ne.iter().chain(oe.iter()) {
        if !sources.contains(&e.source.as_str()) {
            sources.push(&e.source);
        }
    }
    for src in sources {
        let label = src.replace('_', " ");
        if src != "description" {
            // A listing field: compare its value across the whole cards.
            match (field_quote(old_card, src), field_quote(new_card, src)) {
                (Some(a), Some(b)) if a != b => {
                    let verb = match (money(a), money(b)) {
                        (Some(x), Some(y)) if y < x && src == "asking_price" => "cut",
                        (Some(x), Some(y)) if y > x && src == "asking_price" => "raised",
                        (Some(x), Some(y)) if y < x => "down",
                        (Some(x), Some(y)) if y > x => "up",
                        _ => "changed",
                    };
                    out.push(format!("{label} {verb} from {a} to {b}"));
                }
                (None, Some(b)) => out.push(format!("{label} now stated: {b}")),
                (Some(a), None) => out.push(format!("{label} no longer stated (was {a})")),
                _ => {}
            }
            continue;
        }
        if old.is_none() || new.is_none() {
            // A factor that appears or goes is explained by the rule, not by its quotes.
            continue;
        }
        let o: Vec<&str> = oe
            .iter()
            .filter(|e| e.source == src)
            .map(|e| e.quote.as_str())
            .collect();
        let n: Vec<&str> = ne
            .iter()
            .filter(|e| e.source == src)
            .map(|e| e.quote.as_str())
            .collect();
        let added: Vec<&str> = n.iter().filter(|q| !o.contains(q)).copied().collect();
        let gone: Vec<&str> = o.iter().filter(|q| !n.contains(q)).copied().collect();
        if !added.is_empty() {
            out.push(format!("{label} now states \"{}\"", added.join("\", \"")));
        }
        if !gone.is_empty() {
            out.push(format!(
                "{label} no longer states \"{}\"",
                gone.join("\", \"")
            ));
        }
    }
    out
}

/// The first clause of a sentence (up to ";" or ". "), without a trailing period.
fn first_clause(s: &str) -> &str {
    let cut = [";", ". "]
        .iter()
        .filter_map(|p| s.find(p))
        .min()
        .unwrap_or(s.len());
    s[..cut].trim_end_matches('.')
}

/// A money quote such as "$1,199,000" as a number.
fn money(q: &str) -> Option<f64> {
    let t = q.trim();
    let digits: String = t
        .strip_prefix('$')?
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.parse().ok()
}

/// The decision part of a rule: the text before its source tags and points, e.g. "5.26x price
/// over cash flow, real estate in the deal (stated): with-real-estate band: excellent".
fn gist(rule: &str) -> String {
    let cut = [" [", " (", " -> "]
        .iter()
        .filter_map(|p| rule.find(p))
        .filter(|&i| i >= 20)
        .min()
        .unwrap_or(rule.len());
    let mut g = rule[..cut]
        .trim_end_matches([':', ',', ';', ' '])
        .to_string();
    if let Some(pts) = rule.rsplit(" -> ").next().filter(|_| rule.contains(" -> ")) {
        g.push_str(&format!(" ({pts})"));
    }
    g
}

/// Points as written in reasons: "none" when the factor was not scored, "15", "3.75".
fn pts(p: Option<f64>) -> String {
    match p {
        None => "none".into(),
        Some(v) if (v - v.round()).abs() < EPS => format!("{}", v.round() as i64),
        Some(v) => format!("{v:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gist_keeps_the_decision_and_the_points() {
        assert_eq!(
            gist("Cash flow $228,000 is 1.30x the $175,760 median gas-station SDE: at or above the median (>= 1x) [BBS-GAS] -> 6/8"),
            "Cash flow $228,000 is 1.30x the $175,760 median gas-station SDE: at or above the median (6/8)"
        );
        assert_eq!(pts(Some(3.75)), "3.75");
        assert_eq!(pts(Some(15.0)), "15");
        assert_eq!(pts(None), "none");
        assert_eq!(money("$1,199,000"), Some(1_199_000.0));
    }
}
