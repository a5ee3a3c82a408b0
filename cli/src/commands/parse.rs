//! `gsa parse FILE...`: one listing JSON object per line on stdout; rejections and the summary
//! on stderr.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::inputs;

/// Runs the command. Exit code 0 when at least one listing was read (rejections of other
/// records included), 1 when a file could not be read at all or nothing became a listing.
pub fn run(files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut listings, mut rejected, mut failed) = (0usize, 0usize, 0usize);
    let (mut ads, mut repeats) = (0usize, 0usize);
    failed += inputs::report_empty_folders(files);
    for path in inputs::expand(files) {
        match inputs::parse_one(&path) {
            Ok(outcome) => {
                for l in &outcome.listings {
                    serde_json::to_writer(&mut out, l)?;
                    out.write_all(b"\n")?;
                }
                listings += outcome.listings.len();
                for r in &outcome.rejections {
                    eprintln!("{}", inputs::rejection_line(r));
                }
                rejected += outcome.rejections.len();
                ads += outcome.ads_skipped;
                repeats += outcome.duplicates_skipped;
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                failed += 1;
            }
        }
    }
    out.flush()?;
    eprintln!(
        "parsed {listings} listings, {rejected} rejected, {failed} unreadable inputs{}",
        inputs::skipped_note(ads, repeats)
    );
    Ok(if failed > 0 || (listings == 0 && rejected > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
