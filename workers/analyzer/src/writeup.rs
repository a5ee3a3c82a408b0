//! The Markdown write-up of a score card: verdict, score, bucket table, strengths, risks, missing
//! data, questions for the broker, valuation, the listing link, and a line saying the score is a
//! screen, not an appraisal.
//!
//! A listing is text written by strangers, and the write-up is rendered as Markdown (often to
//! HTML). Every piece of listing text, and every rule that quotes it, goes through [`escape`]:
//! HTML metacharacters become entities and Markdown punctuation is backslash-escaped, so a title
//! like `<script>` or `[click](javascript:...)` shows as text. Links are only made from http(s)
//! URLs, percent-encoding characters that could end the link.

use gsa_schemas::{FactValue, Listing, ScoreCard};

use crate::summary::missing_label;
use crate::text::{num, usd};

/// Escapes text for Markdown (shared with the gateway's report; see
/// [`gsa_common::markdown::escape`]).
pub use gsa_common::markdown::{escape, escape_heading, escape_inline};

/// An http(s) URL made safe for a Markdown link target, or `None` for anything else
/// (`javascript:`, `data:`, relative paths).
pub fn safe_url(url: &str) -> Option<String> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return None;
    }
    let mut out = String::new();
    for c in u.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '"' => out.push_str("%22"),
            '\'' => out.push_str("%27"),
            '\\' => out.push_str("%5C"),
            '`' => out.push_str("%60"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

fn fact_value(v: &FactValue) -> String {
    match v {
        FactValue::Number(n) => num(*n),
        FactValue::Range { min, max } => format!("{}-{}", num(*min), num(*max)),
        FactValue::Flag(b) => if *b { "yes" } else { "no" }.to_string(),
        FactValue::Text(t) => t.clone(),
    }
}

/// The Markdown write-up.
pub fn markdown(listing: &Listing, card: &ScoreCard) -> String {
    let mut md = String::new();
    let title = listing.title.as_deref().unwrap_or("Untitled listing");
    md.push_str(&format!("# {}\n\n", escape_heading(title)));
    let place: Vec<&str> = [listing.city.as_deref(), listing.state.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect();
    let mut head = Vec::new();
    if !place.is_empty() {
        head.push(escape(&place.join(", ")));
    }
    // As stated, with "(not used)" after a figure the card set aside; the multiple from the
    // figures the card used.
    let (used, _) = crate::card::plausible(listing);
    for (what, stated, kept) in [
        ("Asking", listing.asking_price, used.asking_price),
        ("Cash flow", listing.cash_flow, used.cash_flow),
        ("Revenue", listing.gross_revenue, used.gross_revenue),
    ] {
        head.push(match (stated, kept) {
            (Some(v), Some(_)) => format!("{what} {}", usd(v)),
            (Some(v), None) => format!("{what} {} (not used)", usd(v)),
            (None, _) => format!("{what} not stated"),
        });
    }
    if let Some(m) = used.multiple() {
        head.push(format!("{m:.2}x cash flow"));
    }
    md.push_str(&format!("{}\n\n", escape(&head.join(" · "))));

    match card.score {
        None => {
            md.push_str(&format!(
                "**Not scored.** {}\n\n",
                escape_inline(
                    card.not_applicable_reason
                        .as_deref()
                        .unwrap_or("Not applicable.")
                )
            ));
            facts_section(&mut md, card);
        }
        Some(score) => {
            let verdict = card.summary.split(" at ").next().unwrap_or("Score");
            md.push_str(&format!(
                "## Verdict: {} — {score}/100 (confidence {:?})\n\n",
                escape_heading(verdict),
                card.confidence
            ));
            md.push_str(&format!("{}\n\n", escape(&card.summary)));
            md.push_str("## Score by bucket\n\n| Bucket | Points | Max |\n|---|---:|---:|\n");
            for b in &card.buckets {
                md.push_str(&format!(
                    "| {} | {} | {} |\n",
                    escape_inline(&b.name.replace('_', " ")),
                    num(b.points),
                    num(b.max_points)
                ));
            }
            let sum: f64 = card.buckets.iter().map(|b| b.points).sum();
            md.push_str(&format!(
                "| **Total before caps** | {} | 100 |\n\n",
                num((sum * 100.0).round() / 100.0)
            ));
            if !card.caps.is_empty() {
                md.push_str("**Caps applied:**\n\n");
                for c in &card.caps {
                    md.push_str(&format!(
                        "- at most {}: {}\n",
                        c.limit,
                        escape_inline(&c.reason)
                    ));
                }
                md.push('\n');
            }
            md.push_str(&format!(
                "**Real estate** ({:?}): {}\n\n",
                card.real_estate.basis,
                escape_inline(&card.real_estate.reason)
            ));
            let share = |f: &gsa_schemas::Factor| {
                if f.max_points > 0.0 {
                    f.points / f.max_points
                } else {
                    0.5
                }
            };
            md.push_str("## Strengths\n\n");
            let strengths: Vec<_> = card
                .factors
                .iter()
                .filter(|f| f.max_points > 0.0 && share(f) >= 0.75)
                .collect();
            if strengths.is_empty() {
                md.push_str("- None of the stated figures stands out.\n");
            }
            for f in strengths {
                md.push_str(&format!("- {}\n", escape(&f.rule)));
            }
            md.push_str("\n## Risks\n\n");
            let risks: Vec<_> = card
                .factors
                .iter()
                .filter(|f| f.max_points > 0.0 && share(f) <= 0.35)
                .collect();
            if risks.is_empty() && card.caps.is_empty() {
                md.push_str("- No stated figure is weak (missing figures are listed below).\n");
            }
            for c in &card.caps {
                md.push_str(&format!(
                    "- Capped at {}: {}\n",
                    c.limit,
                    escape_inline(&c.reason)
                ));
            }
            for f in risks {
                md.push_str(&format!("- {}\n", escape(&f.rule)));
            }
            md.push_str("\n## Missing data\n\n");
            if card.missing.is_empty() {
                md.push_str("- Nothing essential.\n");
            } else {
                // Not every missing figure feeds a factor (a real-estate value does not when
                // the real estate is in the deal), so no line claims a neutral score.
                md.push_str("Not stated in the listing, and never guessed: a factor that needs one of these figures scores neutral, and the broker is asked.\n\n");
            }
            for m in &card.missing {
                md.push_str(&format!("- {}\n", escape(missing_label(m))));
            }
            md.push_str("\n## Questions for the broker\n\n");
            for (i, q) in card.questions.iter().enumerate() {
                md.push_str(&format!("{}. {}\n", i + 1, escape(q)));
            }
            md.push_str("\n## Valuation\n\n");
            match &card.valuation {
                Some(v) => md.push_str(&format!(
                    "- Fair value {}-{}; asking is {:+.1}% against the midpoint.\n- Method: {}\n",
                    usd(v.low_usd),
                    usd(v.high_usd),
                    v.asking_vs_mid_percent,
                    escape_inline(&v.method)
                )),
                None => md.push_str("- Not computed: asking price or cash flow not stated.\n"),
            }
            if let Some(d) = &card.dscr {
                md.push_str(&format!(
                    "- DSCR {:.2}: {} cash flow / {} debt service on a {} loan ({}% down, {}%, {} years).\n",
                    d.ratio,
                    usd(d.cash_flow_usd),
                    usd(d.annual_debt_service_usd),
                    usd(d.loan_usd),
                    num(d.down_payment_percent),
                    num(d.rate_percent),
                    d.term_years
                ));
            }
            md.push_str(
                "\n## All factors\n\n| Factor | Bucket | Points | Rule |\n|---|---|---:|---|\n",
            );
            for f in &card.factors {
                md.push_str(&format!(
                    "| {} | {} | {}/{} | {} |\n",
                    escape_inline(&f.name),
                    escape_inline(&f.bucket),
                    num(f.points),
                    num(f.max_points),
                    escape_inline(&f.rule)
                ));
            }
            md.push('\n');
            facts_section(&mut md, card);
        }
    }
    md.push_str("## Listing\n\n");
    match listing.url.as_deref().and_then(safe_url) {
        Some(u) => md.push_str(&format!("[Open the listing]({u})\n\n")),
        None => md.push_str("No web link (the listing has no http(s) address).\n\n"),
    }
    md.push_str(&format!(
        "---\n\n*This score is a screen, not an appraisal: it ranks listings by what they state, using published rules of thumb (docs/SCORING.md). Verify every figure with tax returns, a P&L, a Phase I and a lender before making an offer. Model {}.*\n",
        escape(&card.model_version)
    ));
    md
}

fn facts_section(md: &mut String, card: &ScoreCard) {
    md.push_str("## Facts read from the listing\n\n");
    let shown: Vec<_> = card.facts.iter().filter(|f| !f.quote.is_empty()).collect();
    if shown.is_empty() {
        md.push_str("- None.\n\n");
        return;
    }
    for f in shown {
        md.push_str(&format!(
            "- {}: {}{} — \"{}\"{}\n",
            escape(&f.name),
            escape_inline(&fact_value(&f.value)),
            f.unit
                .as_deref()
                .map(|u| format!(" {}", escape_inline(u)))
                .unwrap_or_default(),
            escape_inline(&f.quote),
            match (
                f.estimate,
                crate::facts::NEVER_SCORED.contains(&f.name.as_str())
            ) {
                (true, true) => " (estimate, not scored)",
                (true, false) => " (derived from the quote: period or date converted)",
                _ => "",
            }
        ));
    }
    md.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_become_links() {
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url("data:text/html,x"), None);
        assert_eq!(
            safe_url("https://x.test/a b)(").as_deref(),
            Some("https://x.test/a%20b%29%28")
        );
    }
}
