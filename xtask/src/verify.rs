//! `cargo xtask verify --out DIR`: checks a reproduction folder the way a reader would — every
//! figure is a real PNG and SVG with its CSV, and every number of the report is the CSVs'.

use crate::figures;
use anyhow::{Result, bail};
use mf_stats::coverage::MIN_COVERAGE_95;
use mf_stats::fit::INTERVAL_METHOD;
use mf_stats::verdict::MIN_EXPONENT_WIDTHS;
use std::path::Path;

/// Width and height of a PNG from its IHDR chunk, if `bytes` is a PNG.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || &bytes[..8] != SIG || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
    Some((w, h))
}

/// The header of `figures/NAME.csv`.
const FIGURE_HEADER: [&str; 5] = ["series", "x", "y", "y_low", "y_high"];
/// The header of `claims.csv`.
const CLAIMS_HEADER: [&str; 14] = [
    "figure",
    "claim",
    "prediction",
    "quantity",
    "value",
    "low",
    "high",
    "verdict",
    "settings",
    "note",
    "widths",
    "replicas",
    "interval_method",
    "coverage",
];

/// The header and records of a CSV text (records of any length), or the parse error.
fn csv_records(text: &str) -> Result<(csv::StringRecord, Vec<csv::StringRecord>), csv::Error> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = r.headers()?.clone();
    let records = r.records().collect::<Result<_, _>>()?;
    Ok((header, records))
}

/// Every problem found in `out` (empty when the folder is sound).
pub fn problems(out: &Path, figures: &[&str]) -> Vec<String> {
    let mut bad = Vec::new();
    for name in figures {
        let f = out.join("figures");
        match std::fs::read(f.join(format!("{name}.png"))) {
            Ok(b) => match png_size(&b) {
                Some((w, h)) if w > 0 && h > 0 && b.len() > 2000 => {}
                _ => bad.push(format!("{name}.png is not a valid, non-empty PNG")),
            },
            Err(e) => bad.push(format!("{name}.png: {e}")),
        }
        match std::fs::read_to_string(f.join(format!("{name}.svg"))) {
            Ok(s) if s.trim_start().starts_with("<svg") || s.trim_start().starts_with("<?xml") => {
                if !s.trim_end().ends_with("</svg>") {
                    bad.push(format!("{name}.svg is truncated"));
                }
            }
            Ok(_) => bad.push(format!("{name}.svg is not an SVG")),
            Err(e) => bad.push(format!("{name}.svg: {e}")),
        }
        match std::fs::read_to_string(f.join(format!("{name}.csv"))) {
            Ok(s) => match csv_records(&s) {
                Ok((header, rows)) => {
                    if !header.iter().eq(FIGURE_HEADER) {
                        bad.push(format!("{name}.csv: header is {header:?}"));
                    }
                    if let Some(row) = rows.iter().find(|v| {
                        v.len() != FIGURE_HEADER.len()
                            || v[1].parse::<f64>().is_err()
                            || v[2].parse::<f64>().is_err()
                    }) {
                        bad.push(format!("{name}.csv: malformed row {row:?}"));
                    }
                    if rows.is_empty() {
                        bad.push(format!("{name}.csv has no data"));
                    }
                }
                Err(e) => bad.push(format!("{name}.csv: {e}")),
            },
            Err(e) => bad.push(format!("{name}.csv: {e}")),
        }
    }
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap_or_default();
    if report.is_empty() {
        bad.push("REPORT.md is missing or empty".into());
    }
    for name in figures {
        if !report.contains(&format!("figures/{name}.png")) {
            bad.push(format!("REPORT.md does not link {name}.png"));
        }
    }
    match std::fs::read_to_string(out.join("claims.csv")).map(|t| csv_records(&t)) {
        Ok(Ok((header, rows))) => {
            if !header.iter().eq(CLAIMS_HEADER) {
                bad.push(format!("claims.csv: header is {header:?}"));
            }
            for v in &rows {
                if v.len() != CLAIMS_HEADER.len() {
                    bad.push(format!("claims.csv: malformed row {v:?}"));
                    continue;
                }
                let (value, low, high, verdict) = (&v[4], &v[5], &v[6], &v[7]);
                let shown = if low.is_empty() {
                    value.to_string()
                } else {
                    format!("{value} [{low}, {high}]")
                };
                if !report.contains(&format!("= {shown}\n"))
                    && !report.contains(&format!("| {shown} |"))
                {
                    bad.push(format!(
                        "REPORT.md does not show the claims.csv value {shown} of {:?}",
                        &v[1]
                    ));
                }
                if !report.contains(verdict) {
                    bad.push(format!("REPORT.md does not show the verdict {verdict:?}"));
                }
                let note = &v[9];
                if !note.is_empty() && !report.contains(note) {
                    bad.push(format!("REPORT.md does not show the note {note:?}"));
                }
                bad.extend(basis_problems(
                    &v[1],
                    verdict,
                    &v[10],
                    &v[11],
                    &v[12],
                    &v[13],
                    !low.is_empty(),
                ));
            }
            if rows.is_empty() {
                bad.push("claims.csv has no claims".into());
            }
        }
        Ok(Err(e)) => bad.push(format!("claims.csv: {e}")),
        Err(e) => bad.push(format!("claims.csv: {e}")),
    }
    bad
}

/// What is wrong with the basis columns of one `claims.csv` row (claim `claim`, verdict
/// `verdict`, columns `widths`, `replicas`, `interval_method`, `coverage`; `interval`: the row
/// has an interval): an interval without its method or coverage, a coverage below
/// [`MIN_COVERAGE_95`], widths and replicas that do not match, and an exponent judged on fewer
/// than [`MIN_EXPONENT_WIDTHS`] widths.
fn basis_problems(
    claim: &str,
    verdict: &str,
    widths: &str,
    replicas: &str,
    method: &str,
    coverage: &str,
    interval: bool,
) -> Vec<String> {
    let mut bad = Vec::new();
    let groups = |f: &str| -> Vec<usize> {
        if f.is_empty() {
            Vec::new()
        } else {
            f.split('|').map(|g| g.split(';').count()).collect()
        }
    };
    if groups(widths) != groups(replicas) {
        bad.push(format!(
            "claims.csv: {claim:?}: widths {widths:?} and replicas {replicas:?} do not match"
        ));
    }
    if interval && method.is_empty() {
        bad.push(format!(
            "claims.csv: {claim:?} has an interval but no interval_method"
        ));
    }
    if !method.is_empty() && interval {
        match coverage.parse::<f64>() {
            Ok(c) if c >= MIN_COVERAGE_95 => {}
            Ok(c) => bad.push(format!(
                "claims.csv: {claim:?}: its interval covered only {:.1} % of simulated scans (< {:.0} %)",
                100.0 * c,
                100.0 * MIN_COVERAGE_95
            )),
            Err(_) => bad.push(format!("claims.csv: {claim:?}: no measured coverage")),
        }
    }
    let judged = verdict.starts_with("agrees") || verdict.starts_with("disagrees");
    if judged
        && method == INTERVAL_METHOD
        && groups(widths).iter().any(|&k| k < MIN_EXPONENT_WIDTHS)
    {
        bad.push(format!(
            "claims.csv: {claim:?} judges an exponent on fewer than {MIN_EXPONENT_WIDTHS} widths ({widths})"
        ));
    }
    bad
}

/// The figures a report lists as pending (their cells are not all computed; see
/// [`crate::report::pending_line`]).
pub fn pending_figures(report: &str) -> Vec<&str> {
    report
        .lines()
        .filter_map(|l| l.strip_prefix("- pending: `")?.split('`').next())
        .collect()
}

/// Runs the check over every registered figure the folder's report does not list as pending;
/// at least one figure must be there.
pub fn run(out: &Path) -> Result<()> {
    let all = figures::names();
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap_or_default();
    let pending = pending_figures(&report);
    if let Some(unknown) = pending.iter().find(|p| figures::spec(p).is_none()) {
        bail!(
            "{}: lists an unknown figure {unknown:?} as pending; the figures are {}",
            out.join("REPORT.md").display(),
            all.join(", ")
        );
    }
    let names: Vec<&str> = all
        .iter()
        .copied()
        .filter(|n| !pending.contains(n))
        .collect();
    if names.is_empty() {
        bail!(
            "{}: every figure is pending; nothing to verify",
            out.join("REPORT.md").display()
        );
    }
    let scope = if pending.is_empty() {
        format!("{} figures", all.len())
    } else {
        format!(
            "{} of {} figures ({} pending: {})",
            names.len(),
            all.len(),
            pending.len(),
            pending.join(", ")
        )
    };
    let bad = problems(out, &names);
    if !bad.is_empty() {
        bail!(
            "verify found {} problem(s):\n  {}",
            bad.len(),
            bad.join("\n  ")
        );
    }
    println!(
        "verify: {} is complete: {scope} (PNG, SVG, CSV), REPORT.md numbers equal claims.csv",
        out.display(),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::Claim;
    use crate::plot::{Figure, Series, Style, render};
    use crate::report::{RunInfo, claims_csv, report};
    use mf_stats::verdict::{Measured, Verdict};

    fn synthetic(dir: &Path, tamper: bool) {
        let fig = Figure {
            title: "synthetic".into(),
            x_label: "n".into(),
            y_label: "loss".into(),
            log_x: true,
            log_y: true,
            series: vec![Series {
                label: "y = 1/n".into(),
                points: (1..6).map(|k| (2f64.powi(k), 2f64.powi(-k))).collect(),
                errors: Some(
                    (1..6)
                        .map(|k| (0.8 * 2f64.powi(-k), 1.2 * 2f64.powi(-k)))
                        .collect(),
                ),
                style: Style::Markers,
                ..Series::default()
            }],
            ..Figure::default()
        };
        let f = dir.join("figures");
        std::fs::create_dir_all(&f).unwrap();
        render(&fig, &f.join("x.png"), &f.join("x.svg")).unwrap();
        std::fs::write(f.join("x.csv"), crate::figures::figure_csv(&fig).unwrap()).unwrap();
        let claim = Claim {
            figure: "x",
            claim: "a claim, with a comma".into(),
            prediction: "β = -1".into(),
            quantity: "β".into(),
            measured: Measured::with_interval(-1.01, (-1.2, -0.8)),
            settings: "synthetic, \"quoted\"".into(),
            verdict: Verdict::agrees("with n^-1, \"quoted\""),
            note: "a note, with a comma".into(),
            basis: crate::figures::spec::Basis {
                widths: vec![vec![8, 16, 32]],
                replicas: vec![vec![4, 4, 3]],
                interval_method: INTERVAL_METHOD.into(),
                coverage: Some(mf_stats::coverage::Coverage {
                    covered: 3810,
                    trials: 4000,
                }),
            },
        };
        let info = RunInfo {
            scale: "quick".into(),
            command: "test".into(),
            wall_seconds: 1.0,
            scans: vec![],
            pending: vec![],
        };
        let mut text = report(
            &info,
            &[("x".into(), "synthetic figure".into())],
            std::slice::from_ref(&claim),
        );
        if tamper {
            text = text.replace("-1.0100e0", "-1.0200e0");
        }
        std::fs::write(dir.join("REPORT.md"), text).unwrap();
        std::fs::write(dir.join("claims.csv"), claims_csv(&[claim]).unwrap()).unwrap();
    }

    #[test]
    fn a_sound_folder_passes_and_a_tampered_report_fails() {
        let dir = std::env::temp_dir().join(format!("xtask-verify-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        synthetic(&dir, false);
        assert_eq!(problems(&dir, &["x"]), Vec::<String>::new());
        synthetic(&dir, true);
        let p = problems(&dir, &["x"]);
        assert!(
            p.iter()
                .any(|m| m.contains("does not show the claims.csv value")),
            "{p:?}"
        );
        std::fs::write(dir.join("figures").join("x.png"), b"not a png").unwrap();
        assert!(problems(&dir, &["x"]).iter().any(|m| m.contains("x.png")));
        assert!(problems(&dir, &["missing"]).len() >= 3);
    }

    /// The committed full-scale report passes the reader's check, the basis columns included:
    /// every interval has its method and a measured coverage of at least 93 %, and no exponent
    /// is judged on fewer than three widths.
    #[test]
    fn the_committed_report_passes() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root")
            .join("data");
        let report = std::fs::read_to_string(data.join("REPORT.md")).unwrap();
        let pending = pending_figures(&report);
        let names: Vec<&str> = figures::names()
            .into_iter()
            .filter(|n| !pending.contains(n))
            .collect();
        assert_eq!(problems(&data, &names), Vec::<String>::new());
    }

    /// Every "value [low, high]" the README's results section quotes is a row of the committed
    /// claims.csv at the digits shown, and its compute total is the report's.
    #[test]
    fn the_readme_quotes_the_committed_claims() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("root");
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let start = readme
            .find("### What agrees and what disagrees")
            .expect("results section");
        let end = start
            + readme[start..]
                .find("![scaling-gd]")
                .expect("end of section");
        let section = readme[start..end].replace('−', "-");
        let (_, rows) =
            csv_records(&std::fs::read_to_string(root.join("data").join("claims.csv")).unwrap())
                .unwrap();
        let claims: Vec<[f64; 3]> = rows
            .iter()
            .filter_map(|r| Some([r[4].parse().ok()?, r[5].parse().ok()?, r[6].parse().ok()?]))
            .collect();
        // "-4.30 [-4.62, -3.98]": three numbers with their decimals
        let number = |t: &str| -> Option<(f64, usize)> {
            // the number at the end of `t` ("n^-1.41" → -1.41)
            let t = t.trim();
            let t = &t[t
                .rfind(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
                .map_or(0, |i| i + 1)..];
            let decimals = t.split('.').nth(1).map_or(0, str::len);
            t.parse().ok().map(|v| (v, decimals))
        };
        let mut quoted = 0;
        for (k, _) in section.match_indices(" [") {
            let before = section[..k].rsplit(' ').next().unwrap_or("");
            let Some(close) = section[k..].find(']') else {
                continue;
            };
            let inside = &section[k + 2..k + close];
            let parts: Vec<&str> = inside.split(", ").collect();
            let (Some(v), [lo, hi]) = (number(before), parts.as_slice()) else {
                continue;
            };
            let (Some(lo), Some(hi)) = (number(lo), number(hi)) else {
                continue;
            };
            quoted += 1;
            let near = |x: f64, (q, d): (f64, usize)| {
                (x - q).abs() <= 0.5 * 10f64.powi(-(d as i32)) + 1e-12
            };
            assert!(
                claims
                    .iter()
                    .any(|c| near(c[0], v) && near(c[1], lo) && near(c[2], hi)),
                "README quotes {before} [{inside}], which is no row of claims.csv"
            );
        }
        assert!(quoted >= 6, "found only {quoted} quoted intervals");
        let report = std::fs::read_to_string(root.join("data").join("REPORT.md")).unwrap();
        let total = report
            .lines()
            .find(|l| l.starts_with("| **total** |"))
            .and_then(|l| l.split('|').nth(3))
            .and_then(|c| c.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .expect("the report's compute total");
        let shown = format!("{:.0}", total);
        let shown = format!(
            "{} {}",
            &shown[..shown.len() - 3],
            &shown[shown.len() - 3..]
        );
        assert!(
            section.contains(&format!("{shown} s of compute")),
            "README total ≠ report's {total}"
        );
    }

    #[test]
    fn the_basis_columns_are_checked_on_both_sides() {
        let ok = |w: &str, r: &str, m: &str, c: &str| {
            basis_problems("c", "agrees: x", w, r, m, c, true).is_empty()
        };
        assert!(ok("8;16;32", "4;4;4", INTERVAL_METHOD, "0.9500"));
        assert!(ok(
            "8;16;32|16;32;64",
            "4;4;4|2;2;2",
            INTERVAL_METHOD,
            "0.93"
        ));
        assert!(
            !ok("8;16;32", "4;4", INTERVAL_METHOD, "0.95"),
            "mismatched replicas"
        );
        assert!(
            !ok("8;16;32", "4;4;4", INTERVAL_METHOD, "0.9299"),
            "coverage below 93 %"
        );
        assert!(!ok("8;16;32", "4;4;4", INTERVAL_METHOD, ""), "no coverage");
        assert!(!ok("8;16;32", "4;4;4", "", ""), "interval without method");
        assert!(
            !ok("8;16", "4;4", INTERVAL_METHOD, "0.96"),
            "two widths judged"
        );
        // two widths are fine when the row is not resolved
        assert!(
            basis_problems(
                "c",
                "not resolved at this scale: x",
                "8;16",
                "4;4",
                INTERVAL_METHOD,
                "0.96",
                true
            )
            .is_empty()
        );
        // rows without an interval need nothing
        assert!(basis_problems("c", "agrees", "", "", "", "", false).is_empty());
    }

    #[test]
    fn the_pending_figures_of_a_report_are_found() {
        let info = |pending: Vec<(String, usize, usize)>| RunInfo {
            scale: "full".into(),
            command: "cargo xtask reproduce --only lln".into(),
            wall_seconds: 1.0,
            scans: vec![],
            pending,
        };
        let text = report(
            &info(vec![("scaling-dim".into(), 46, 66), ("relu".into(), 0, 12)]),
            &[],
            &[],
        );
        assert_eq!(pending_figures(&text), vec!["scaling-dim", "relu"]);
        assert!(text.contains("46/66 cells"));
        let none = report(&info(vec![]), &[], &[]);
        assert_eq!(pending_figures(&none), Vec::<&str>::new());
        assert!(!none.contains("## Pending"));
        assert_eq!(pending_figures(""), Vec::<&str>::new());
    }

    #[test]
    fn malformed_csvs_are_problems() {
        let dir = std::env::temp_dir().join(format!("xtask-verify-csv-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        synthetic(&dir, false);
        let f = dir.join("figures").join("x.csv");
        std::fs::write(&f, "series,x,y,y_low,y_high\n\"a, b\",1,2,,\n").unwrap();
        assert_eq!(problems(&dir, &["x"]), Vec::<String>::new());
        std::fs::write(&f, "series,x,y,y_low,y_high\na, b,1,2,,\n").unwrap();
        assert!(
            problems(&dir, &["x"])
                .iter()
                .any(|m| m.contains("malformed row"))
        );
        std::fs::write(&f, "series,x,y\n").unwrap();
        let p = problems(&dir, &["x"]);
        assert!(p.iter().any(|m| m.contains("header")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("has no data")), "{p:?}");
        std::fs::write(dir.join("claims.csv"), "figure,claim\nx,y\n").unwrap();
        let p = problems(&dir, &["x"]);
        assert!(p.iter().any(|m| m.contains("claims.csv: header")), "{p:?}");
        assert!(
            p.iter().any(|m| m.contains("claims.csv: malformed row")),
            "{p:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
