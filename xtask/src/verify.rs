//! `cargo xtask verify --out DIR`: checks a reproduction folder the way a reader would — every
//! figure is a real PNG and SVG with its CSV, and every number of the report is the CSVs'.

use crate::configs::FIGURES;
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

/// Splits one CSV line into fields (double-quoted fields may hold commas and "" quotes).
pub fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
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
            Ok(s) => {
                for line in s.lines().skip(1) {
                    let v = csv_fields(line);
                    if v.len() != 5 || v[1].parse::<f64>().is_err() || v[2].parse::<f64>().is_err()
                    {
                        bad.push(format!("{name}.csv: malformed row {line:?}"));
                        break;
                    }
                }
                if s.lines().count() < 2 {
                    bad.push(format!("{name}.csv has no data"));
                }
            }
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
    match std::fs::read_to_string(out.join("claims.csv")) {
        Ok(claims) => {
            for line in claims.lines().skip(1) {
                let v = csv_fields(line);
                if v.len() != 9 {
                    bad.push(format!("claims.csv: malformed row {line:?}"));
                    continue;
                }
                let (value, low, high, verdict) = (&v[4], &v[5], &v[6], &v[7]);
                let shown = if low.is_empty() {
                    value.clone()
                } else {
                    format!("{value} [{low}, {high}]")
                };
                if !report.contains(&format!("= {shown}\n"))
                    && !report.contains(&format!("| {shown} |"))
                {
                    bad.push(format!(
                        "REPORT.md does not show the claims.csv value {shown} of {:?}",
                        v[1]
                    ));
                }
                if !report.contains(verdict.as_str()) {
                    bad.push(format!("REPORT.md does not show the verdict {verdict:?}"));
                }
            }
            if claims.lines().count() < 2 {
                bad.push("claims.csv has no claims".into());
            }
        }
        Err(e) => bad.push(format!("claims.csv: {e}")),
    }
    bad
}

/// Runs the check over all figures.
pub fn run(out: &Path) -> Result<(), String> {
    let bad = problems(out, &FIGURES);
    if bad.is_empty() {
        println!(
            "verify: {} is complete: {} figures (PNG, SVG, CSV), REPORT.md numbers equal claims.csv",
            out.display(),
            FIGURES.len()
        );
        Ok(())
    } else {
        Err(format!(
            "verify found {} problem(s):\n  {}",
            bad.len(),
            bad.join("\n  ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::{Claim, num};
    use crate::plot::{Figure, Series, Style, render};
    use crate::report::{RunInfo, claims_csv, report};

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
            }],
        };
        let f = dir.join("figures");
        std::fs::create_dir_all(&f).unwrap();
        render(&fig, &f.join("x.png"), &f.join("x.svg")).unwrap();
        std::fs::write(f.join("x.csv"), crate::figures::figure_csv(&fig)).unwrap();
        let claim = Claim {
            figure: "x".into(),
            claim: "a claim, with a comma".into(),
            prediction: "β = -1".into(),
            quantity: "β".into(),
            value: num(-1.01),
            low: num(-1.2),
            high: num(-0.8),
            settings: "synthetic".into(),
            verdict: "agrees".into(),
        };
        let info = RunInfo {
            scale: "quick".into(),
            command: "test".into(),
            wall_seconds: 1.0,
            scans: vec![],
        };
        let mut text = report(
            &info,
            &[("x".into(), "synthetic figure".into())],
            std::slice::from_ref(&claim),
        );
        if tamper {
            text = text.replace(&num(-1.01), &num(-1.02));
        }
        std::fs::write(dir.join("REPORT.md"), text).unwrap();
        std::fs::write(dir.join("claims.csv"), claims_csv(&[claim])).unwrap();
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

    #[test]
    fn csv_fields_handle_quotes() {
        assert_eq!(
            csv_fields("a,\"b, c\",\"d\"\"e\","),
            vec!["a", "b, c", "d\"e", ""]
        );
    }
}
