//! `gsa score FILE...|-`: parse and score in-process (the scraper's parser, the analyzer's
//! rules; no NATS) and print bare score cards, one JSON line each (or Markdown, or CSV), and
//! optionally write the spreadsheet as .xlsx (`--xlsx FILE`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gsa_analyzer::ScoringConfig;

use super::inputs;

/// Runs the command. Exit code 0 when at least one listing was scored (rejections of other
/// records included), 1 when a file could not be read at all or nothing could be scored
/// because every record was rejected: the same rule as `gsa parse` ([`super::parse::run`]).
pub fn run(
    files: &[PathBuf],
    markdown: bool,
    csv: bool,
    xlsx: Option<&Path>,
    config: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let cfg = match config {
        Some(path) => ScoringConfig::load(path)?,
        None => ScoringConfig::from_env()?,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut rows = Vec::new();
    let (mut rejected, mut failed) = (0usize, 0usize);
    let (mut ads, mut repeats) = (0usize, 0usize);
    failed += inputs::report_empty_folders(files);
    for path in inputs::expand(files) {
        match inputs::parse_one(&path) {
            Ok(outcome) => {
                for r in &outcome.rejections {
                    eprintln!("{}", inputs::rejection_line(r));
                }
                rejected += outcome.rejections.len();
                ads += outcome.ads_skipped;
                repeats += outcome.duplicates_skipped;
                for l in outcome.listings {
                    let card = gsa_analyzer::score(&l, &l.event_id(), &cfg);
                    if markdown {
                        writeln!(out, "{}", gsa_analyzer::writeup::markdown(&l, &card))?;
                    } else if !csv {
                        serde_json::to_writer(&mut out, &card)?;
                        out.write_all(b"\n")?;
                    }
                    rows.push((l, card));
                }
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                failed += 1;
            }
        }
    }
    if csv {
        gsa_analyzer::spreadsheet::write_csv(&mut out, &rows)?;
    }
    if let Some(path) = xlsx {
        std::fs::write(path, gsa_analyzer::spreadsheet::xlsx_bytes(&rows)?)?;
        eprintln!("wrote {} rows to {}", rows.len(), path.display());
    }
    out.flush()?;
    let applicable = rows.iter().filter(|(_, c)| c.applicable).count();
    eprintln!(
        "scored {} listings ({} applicable) with model {}, {rejected} rejected, {failed} unreadable inputs{}",
        rows.len(),
        applicable,
        cfg.model_version(),
        inputs::skipped_note(ads, repeats)
    );
    Ok(if failed > 0 || (rows.is_empty() && rejected > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
