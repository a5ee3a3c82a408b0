//! Charts drawn server-side as plain SVG: bucket bars, the score histogram and a listing's
//! score history. Only numbers and escaped labels go in; sizes come from `viewBox`, so the
//! charts scale down to a phone's width.

use std::fmt::Write as _;

use gsa_schemas::Bucket;

use crate::dashboard::html::e;
use crate::read::detail::HistoryPoint;
use crate::read::report::pts;

/// One horizontal bar per bucket: points against the bucket's maximum.
pub fn bucket_bars(buckets: &[Bucket]) -> String {
    let row_h = 26.0;
    let h = row_h * buckets.len() as f64 + 4.0;
    let mut s = format!(
        "<svg id=\"bucket-bars\" viewBox=\"0 0 420 {h}\" width=\"420\" role=\"img\" aria-label=\"Points per bucket\">"
    );
    for (i, b) in buckets.iter().enumerate() {
        let y = i as f64 * row_h + 2.0;
        let frac = if b.max_points > 0.0 {
            (b.points / b.max_points).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{ty}\" font-size=\"12\">{name}</text>\
<rect x=\"150\" y=\"{y}\" width=\"200\" height=\"16\" fill=\"#e3e7eb\"/>\
<rect x=\"150\" y=\"{y}\" width=\"{w:.1}\" height=\"16\" fill=\"#2e6da4\"/>\
<text x=\"356\" y=\"{ty}\" font-size=\"12\">{p}/{m}</text>",
            ty = y + 12.5,
            name = e(&b.name.replace('_', " ")),
            w = 200.0 * frac,
            p = pts(b.points),
            m = pts(b.max_points)
        );
    }
    s.push_str("</svg>");
    s
}

/// How many scores fall in each tenth (0-9, 10-19, ..., 90-100).
pub fn bins(scores: &[i64]) -> [usize; 10] {
    let mut b = [0usize; 10];
    for &s in scores {
        let i = (s.clamp(0, 100) / 10).min(9) as usize;
        b[i] += 1;
    }
    b
}

/// A histogram of scores in ten bins.
pub fn histogram(scores: &[i64]) -> String {
    let b = bins(scores);
    let max = b.iter().copied().max().unwrap_or(0).max(1) as f64;
    let mut s = String::from(
        "<svg id=\"score-histogram\" viewBox=\"0 0 420 170\" width=\"420\" role=\"img\" aria-label=\"How scores are distributed\">",
    );
    for (i, n) in b.iter().enumerate() {
        let bh = 120.0 * (*n as f64) / max;
        let x = 10.0 + i as f64 * 40.0;
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{y:.1}\" width=\"34\" height=\"{bh:.1}\" fill=\"#2e6da4\"><title>{lo}-{hi}: {n}</title></rect>\
<text x=\"{tx}\" y=\"{ny:.1}\" font-size=\"11\" text-anchor=\"middle\">{n}</text>\
<text x=\"{tx}\" y=\"160\" font-size=\"11\" text-anchor=\"middle\">{lo}</text>",
            y = 140.0 - bh,
            lo = i * 10,
            hi = if i == 9 { 100 } else { i * 10 + 9 },
            tx = x + 17.0,
            ny = 136.0 - bh,
        );
    }
    s.push_str("<line x1=\"8\" y1=\"140\" x2=\"412\" y2=\"140\" stroke=\"#66727e\"/></svg>");
    s
}

/// A line chart of a listing's scores over time (unscored points are left out).
pub fn history(points: &[HistoryPoint]) -> String {
    let pts: Vec<(usize, i64, &HistoryPoint)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.score.map(|s| (i, s, p)))
        .collect();
    let mut s = String::from(
        "<svg id=\"score-history\" viewBox=\"0 0 420 160\" width=\"420\" role=\"img\" aria-label=\"Score history\">\
<line x1=\"30\" y1=\"130\" x2=\"410\" y2=\"130\" stroke=\"#66727e\"/>\
<line x1=\"30\" y1=\"10\" x2=\"30\" y2=\"130\" stroke=\"#66727e\"/>\
<text x=\"0\" y=\"14\" font-size=\"11\">100</text><text x=\"12\" y=\"134\" font-size=\"11\">0</text>",
    );
    let n = points.len().max(1);
    let xy = |i: usize, score: i64| {
        let x = if n == 1 {
            220.0
        } else {
            40.0 + 360.0 * i as f64 / (n - 1) as f64
        };
        (x, 130.0 - 1.2 * score.clamp(0, 100) as f64)
    };
    if pts.len() > 1 {
        let line: Vec<String> = pts
            .iter()
            .map(|(i, sc, _)| {
                let (x, y) = xy(*i, *sc);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#2e6da4\" stroke-width=\"2\"/>",
            line.join(" ")
        );
    }
    for (i, sc, p) in &pts {
        let (x, y) = xy(*i, *sc);
        let _ = write!(
            s,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"#163a5f\"><title>{} {}: {sc}</title></circle>\
<text x=\"{x:.1}\" y=\"{ty:.1}\" font-size=\"11\" text-anchor=\"middle\">{sc}</text>",
            e(p.scored_at.get(..10).unwrap_or(&p.scored_at)),
            e(&p.model_version),
            ty = y - 7.0
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_0_to_100() {
        assert_eq!(
            bins(&[0, 9, 10, 55, 99, 100]),
            [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
        );
        let h = histogram(&[100, 100, 5]);
        assert!(h.contains("<title>90-100: 2</title>"));
        assert!(h.contains("<title>0-9: 1</title>"));
    }

    #[test]
    fn bars_scale_and_escape() {
        let s = bucket_bars(&[Bucket {
            name: "<b>".into(),
            points: 10.0,
            max_points: 20.0,
        }]);
        assert!(s.contains("width=\"100.0\""));
        assert!(s.contains("&lt;b&gt;"));
    }
}
