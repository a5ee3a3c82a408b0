//! The Markdown write-up of a listing and its score card (`GET /api/listings/{id}/report.md`).
//!
//! Rendered in the gateway from the stored card: no service imports another, so the
//! analyzer's own renderer is not available here, and the card holds every figure the report
//! needs. Listing text was written by strangers: every piece of it goes through [`md`], which
//! backslash-escapes the Markdown punctuation that could change the rendering and writes `<`,
//! `>` and `&` as entities, so a description can neither inject HTML into a renderer nor break
//! the report's structure.

use std::fmt::Write as _;

use gsa_schemas::{Listing, RealEstateBasis, ScoreCard};

/// The line every score page and report carries.
pub const SCREEN_NOTE: &str =
    "This score is a screen, not an appraisal: it ranks what the listing discloses and is no substitute for due diligence, financial statements or a valuation by a professional.";

/// `$1,370,000`; negative amounts as `-$5,000`.
pub fn usd(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}${out}", if v < 0 { "-" } else { "" })
}

/// `usd` or "not disclosed".
pub fn usd_or(v: Option<i64>) -> String {
    v.map(usd).unwrap_or_else(|| "not disclosed".into())
}

/// Points as written in a card, which keeps two decimals (`gsa_analyzer` rounds each factor's
/// points to 0.01): `12`, `12.5`, `2.25`. One decimal would print a card's 2.25 as `2.2`
/// beside a rule text that says `-> 2.25/3` (found in a new-user trial).
pub fn pts(v: f64) -> String {
    let s = format!("{:.2}", (v * 100.0).round() / 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// Escapes text from a listing for Markdown (one line: line breaks become spaces): the same
/// rule as the analyzer's write-up ([`gsa_common::markdown::escape`]).
pub use gsa_common::markdown::escape as md;
use gsa_common::markdown::{escape_heading as md_heading, escape_inline as md_inline};

/// The Markdown report of `listing` and its latest `card` (`None`: not scored yet).
pub fn markdown(listing: &Listing, card: Option<&ScoreCard>) -> String {
    let mut o = String::new();
    let title = listing.title.as_deref().unwrap_or("Untitled listing");
    let _ = writeln!(
        o,
        "# {} ({})\n",
        md_heading(title),
        md_heading(&listing.listing_id)
    );
    let _ = writeln!(o, "> {SCREEN_NOTE}\n");
    match card {
        None => {
            let _ = writeln!(o, "**Not scored yet.**\n");
        }
        Some(c) => match c.score {
            Some(s) => {
                let _ = writeln!(
                    o,
                    "**Score: {s}/100** (disclosure confidence {:?}, model `{}`)\n",
                    c.confidence,
                    md_inline(&c.model_version)
                );
            }
            None => {
                let _ = writeln!(
                    o,
                    "**Not scored: {}** (model `{}`)\n",
                    md_inline(
                        c.not_applicable_reason
                            .as_deref()
                            .unwrap_or("not applicable")
                    ),
                    md_inline(&c.model_version)
                );
            }
        },
    }
    if let Some(c) = card {
        if !c.summary.is_empty() {
            let _ = writeln!(o, "{}\n", md(&c.summary));
        }
    }

    let _ = writeln!(o, "## The listing\n\n| Figure | Value |\n|---|---|");
    let location = [listing.city.as_deref(), listing.state.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let multiple = listing
        .multiple()
        .map(|m| format!("{m:.2}x"))
        .unwrap_or_else(|| "unknown".into());
    let rows: [(&str, String); 8] = [
        ("Asking price", usd_or(listing.asking_price)),
        ("Cash flow (SDE)", usd_or(listing.cash_flow)),
        ("Gross revenue", usd_or(listing.gross_revenue)),
        ("EBITDA", usd_or(listing.ebitda)),
        ("Price / cash flow", multiple),
        ("Real estate value", usd_or(listing.real_estate.value)),
        (
            "Location",
            if location.is_empty() {
                "not given".into()
            } else {
                md_inline(&location)
            },
        ),
        (
            "Category",
            md_inline(listing.category.as_deref().unwrap_or("not given")),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    o.push('\n');

    if let Some(c) = card {
        if !c.buckets.is_empty() {
            let _ = writeln!(o, "## Buckets\n\n| Bucket | Points | Of |\n|---|---:|---:|");
            for b in &c.buckets {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} |",
                    md_inline(&b.name.replace('_', " ")),
                    pts(b.points),
                    pts(b.max_points)
                );
            }
            o.push('\n');
        }
        if !c.factors.is_empty() {
            let _ = writeln!(o, "## Factors\n");
            for f in &c.factors {
                let _ = writeln!(
                    o,
                    "### {} ({}/{}, {})\n\n{}\n",
                    md_heading(&f.name),
                    pts(f.points),
                    pts(f.max_points),
                    md_heading(&f.bucket.replace('_', " ")),
                    md(&f.rule)
                );
                for e in &f.evidence {
                    let _ = writeln!(o, "- {}: “{}”", md(&e.source), md_inline(&e.quote));
                }
                if !f.evidence.is_empty() {
                    o.push('\n');
                }
            }
        }
        if !c.caps.is_empty() {
            let _ = writeln!(o, "## Caps\n");
            for cap in &c.caps {
                let _ = writeln!(o, "- at most {}: {}", cap.limit, md_inline(&cap.reason));
            }
            o.push('\n');
        }
        let re = &c.real_estate;
        // "In the deal (stated)", "Not in the deal (inferred)", or "Not stated": never
        // "unknown (unknown)".
        let included = match re.included {
            Some(true) => "In the deal",
            Some(false) => "Not in the deal",
            None => "Not stated",
        };
        let basis = match (re.included, re.basis) {
            (None, _) | (_, RealEstateBasis::Unknown) => "",
            (_, RealEstateBasis::Stated) => " (stated in the listing)",
            (_, RealEstateBasis::Inferred) => " (inferred from the listing's wording)",
        };
        let _ = writeln!(
            o,
            "## Real estate\n\n{included}{basis}: {}\n",
            md_inline(&re.reason)
        );
        if let Some(v) = &c.valuation {
            let _ = writeln!(
                o,
                "## Valuation\n\nImplied value {} to {}; the asking price is {:+.0}% against the midpoint.\n\n{}\n",
                usd(v.low_usd),
                usd(v.high_usd),
                v.asking_vs_mid_percent,
                md(&v.method)
            );
        }
        if let Some(d) = &c.dscr {
            let _ = writeln!(
                o,
                "## Debt service\n\nDSCR {:.2}: loan {} at {:.2}% over {} years ({:.0}% down), debt service {} a year against cash flow {}.\n",
                d.ratio,
                usd(d.loan_usd),
                d.rate_percent,
                d.term_years,
                d.down_payment_percent,
                usd(d.annual_debt_service_usd),
                usd(d.cash_flow_usd)
            );
        }
        if !c.missing.is_empty() {
            let _ = writeln!(o, "## Missing data\n");
            for m in &c.missing {
                let _ = writeln!(o, "- {}", md(gsa_schemas::missing_label(m)));
            }
            o.push('\n');
        }
        if !c.questions.is_empty() {
            let _ = writeln!(o, "## Questions for the broker\n");
            for (i, q) in c.questions.iter().enumerate() {
                let _ = writeln!(o, "{}. {}", i + 1, md(q));
            }
            o.push('\n');
        }
    }
    if let Some(url) = &listing.url {
        let _ = writeln!(o, "Listing: <{}>\n", url_for_md(url));
    }
    let _ = writeln!(o, "---\n\n*{SCREEN_NOTE}*");
    o
}

/// A URL inside `<...>` may not hold spaces, `<` or `>`; anything else is left as is.
fn url_for_md(url: &str) -> String {
    url.chars()
        .filter(|c| !c.is_whitespace() && *c != '<' && *c != '>')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_escaping() {
        assert_eq!(usd(1_370_000), "$1,370,000");
        assert_eq!(usd(999), "$999");
        assert_eq!(usd(-5_000), "-$5,000");
        assert_eq!(
            md("<script>x</script> | *a*"),
            "&lt;script>x&lt;/script> \\| \\*a\\*"
        );
        assert_eq!(pts(12.0), "12");
        assert_eq!(pts(2.5), "2.5");
        assert_eq!(pts(2.25), "2.25");
        assert_eq!(pts(5.75), "5.75");
        assert_eq!(pts(-0.001), "0");
    }

    #[test]
    fn unscored_listing_report_says_so_and_keeps_the_screen_line() {
        let l = Listing {
            listing_id: "9".into(),
            title: Some("# Heading <b>".into()),
            asking_price: Some(900_000),
            cash_flow: Some(300_000),
            url: Some("https://example.com/a b".into()),
            ..Default::default()
        };
        let r = markdown(&l, None);
        // A heading's text is inline: its `#` is text, its `<b>` is not a tag.
        assert!(r.starts_with("# # Heading &lt;b> (9)\n"), "{r}");
        assert!(r.contains("**Not scored yet.**"));
        assert!(r.contains("| Price / cash flow | 3.00x |"));
        assert!(r.contains("<https://example.com/ab>"));
        assert_eq!(r.matches("a screen, not an appraisal").count(), 2);
    }
}
