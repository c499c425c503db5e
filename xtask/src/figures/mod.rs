//! From scan results to figures and claims: what is plotted, what is measured, the verdicts.
//!
//! Every figure is one file here exposing a [`FigureSpec`] (name, description, default scans,
//! build function), listed once in [`REGISTRY`]. Adding a figure: a new file with its `SPEC`, one
//! line in [`REGISTRY`]; its config `data/configs/NAME.json` is seeded from the spec on first use.
//! The decision rules behind the verdicts live in [`mf_stats::verdict`].

mod birth_death;
mod claims;
mod clt;
mod clt_loss;
mod fit;
mod learning_transition;
mod lln;
mod long_time;
mod rbf_width;
mod relu;
mod replicas;
mod scaling;
mod scaling_dim;
mod scaling_gd;
mod scaling_teacher;
mod sgd_batch;
pub mod spec;
mod text;

pub use spec::{Claim, FigureSpec, ScanData, cells, count, from_cells, load_or_seed, scan_dir};
pub use text::num;

use crate::plot::Figure;
use anyhow::Result;
use serde::Serialize;

/// Every figure, in report order.
pub const REGISTRY: &[&FigureSpec] = &[
    &lln::SPEC,
    &scaling_gd::SPEC,
    &scaling_dim::SPEC,
    &scaling_teacher::SPEC,
    &learning_transition::SPEC,
    &rbf_width::SPEC,
    &relu::SPEC,
    &sgd_batch::SPEC,
    &clt_loss::SPEC,
    &clt::SPEC,
    &fit::SPEC,
    &long_time::SPEC,
    &birth_death::SPEC,
];

/// The names of the registered figures, in report order.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|s| s.name).collect()
}

/// The figure called `name`.
pub fn spec(name: &str) -> Option<&'static FigureSpec> {
    REGISTRY.iter().copied().find(|s| s.name == name)
}

/// One row of `figures/NAME.csv`.
#[derive(Serialize)]
struct PointRow<'a> {
    series: &'a str,
    x: String,
    y: String,
    y_low: String,
    y_high: String,
}

/// CSV of exactly what is plotted: one row per point (`series,x,y,y_low,y_high`) of every
/// panel; in a figure of several panels each series is named `Y LABEL: LABEL` after its panel.
pub fn figure_csv(fig: &Figure) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let panels = fig.panels();
    let multi = panels.len() > 1;
    for p in &panels {
        for ser in p.series {
            let label = if multi {
                format!("{}: {}", p.y_label, ser.label)
            } else {
                ser.label.clone()
            };
            for (k, (x, y)) in ser.points.iter().enumerate() {
                let (y_low, y_high) = ser
                    .errors
                    .as_ref()
                    .and_then(|e| e.get(k))
                    .map(|(a, b)| (num(*a), num(*b)))
                    .unwrap_or_default();
                w.serialize(PointRow {
                    series: &label,
                    x: num(*x),
                    y: num(*y),
                    y_low,
                    y_high,
                })?;
            }
        }
    }
    if panels
        .iter()
        .all(|p| p.series.iter().all(|s| s.points.is_empty()))
    {
        w.write_record(["series", "x", "y", "y_low", "y_high"])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::configs::FigureConfig;
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    fn data_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root")
            .join("data")
    }

    #[test]
    fn registry_names_are_unique_and_in_report_order() {
        assert_eq!(
            names(),
            [
                "lln",
                "scaling-gd",
                "scaling-dim",
                "scaling-teacher",
                "learning-transition",
                "rbf-width",
                "relu",
                "sgd-batch",
                "clt-loss",
                "clt",
                "fit",
                "long-time",
                "birth-death"
            ]
        );
        assert!(spec("scaling-dim").is_some_and(|s| s.name == "scaling-dim"));
        assert!(spec("nope").is_none());
    }

    #[test]
    fn default_scans_are_valid() {
        for s in REGISTRY {
            let cfg = s.default_config();
            assert!(!cfg.quick.is_empty() && !cfg.full.is_empty(), "{}", s.name);
            for n in cfg.quick.iter().chain(&cfg.full) {
                n.scan.validate().unwrap();
            }
        }
    }

    /// The defaults of the specs are the committed configs (the refactor moved, not changed them).
    #[test]
    fn defaults_equal_the_committed_configs() {
        for s in REGISTRY {
            let path = data_dir().join("configs").join(format!("{}.json", s.name));
            let committed: FigureConfig =
                mf_stats::mf_core::output::read_json(&path).expect("committed config");
            assert_eq!(committed, s.default_config(), "{}", s.name);
        }
    }

    /// Figures whose full-scale scan folders are not all under `data/scans/` yet (add a name
    /// while a changed config's scans are computing; remove it once its folders are committed).
    const FULL_SCANS_PENDING: &[&str] = &[];

    /// The folder names of the committed configs' full-scale scans of every figure not pending
    /// are committed folders under `data/scans/` (the hash did not change).
    #[test]
    fn scan_dirs_of_the_committed_configs_are_committed_folders() {
        let data = data_dir();
        let committed: BTreeSet<PathBuf> = std::fs::read_dir(data.join("scans"))
            .unwrap()
            .map(|e| Path::new("scans").join(e.unwrap().file_name()))
            .collect();
        for s in REGISTRY {
            let cfg = load_or_seed(&data.join("configs"), s).unwrap();
            if FULL_SCANS_PENDING.contains(&s.name) {
                continue;
            }
            for n in &cfg.full {
                let dir = scan_dir(Path::new(""), n);
                assert!(committed.contains(&dir), "{}: {}", s.name, dir.display());
            }
        }
    }

    /// The long d = 5 scan is one folder, shared by every figure that lists it, at both scales;
    /// so are the finite-time SGD scans, which did not change.
    #[test]
    fn the_shared_scans_are_shared() {
        for quick in [true, false] {
            let dirs: BTreeSet<PathBuf> = REGISTRY
                .iter()
                .flat_map(|s| if quick { (s.quick)() } else { (s.full)() })
                .filter(|n| n.label == "exact-d5-long")
                .map(|n| scan_dir(Path::new("out"), &n))
                .collect();
            assert_eq!(dirs.len(), 1, "quick = {quick}: {dirs:?}");
            let users = REGISTRY
                .iter()
                .filter(|s| {
                    (if quick { (s.quick)() } else { (s.full)() })
                        .iter()
                        .any(|n| n.label == "exact-d5-long")
                })
                .count();
            assert_eq!(
                users, 7,
                "lln, scaling-gd, scaling-dim, learning-transition, clt, fit, long-time"
            );
        }
        // the finite-time SGD scans keep their form (32 replicas since issue 15)
        let sgd = (sgd_batch::SPEC.full)();
        let finite = sgd.iter().find(|n| n.label == "online-alpha0.5").unwrap();
        assert_eq!(finite.scan.replicas, 32);
        assert_eq!(finite.scan.widths, [8, 16, 32, 64]);
    }

    #[test]
    fn building_without_scans_is_an_error_not_a_panic() {
        for s in REGISTRY {
            let e = (s.build)(&[]).err().expect("an error");
            assert!(e.to_string().contains(s.name), "{}: {e}", s.name);
        }
    }

    #[test]
    fn figure_csv_quotes_labels_and_leaves_missing_intervals_empty() {
        use crate::plot::{Series, Style};
        let fig = Figure {
            series: vec![
                Series {
                    label: "a, b".into(),
                    points: vec![(1.0, 2.0)],
                    errors: Some(vec![(1.5, 2.5)]),
                    style: Style::Markers,
                    ..Series::default()
                },
                Series {
                    label: "c".into(),
                    points: vec![(3.0, f64::NAN)],
                    errors: None,
                    style: Style::Line,
                    ..Series::default()
                },
            ],
            ..Figure::default()
        };
        assert_eq!(
            figure_csv(&fig).unwrap(),
            "series,x,y,y_low,y_high\n\"a, b\",1.0000e0,2.0000e0,1.5000e0,2.5000e0\nc,3.0000e0,nan,,\n"
        );
        assert_eq!(
            figure_csv(&Figure::default()).unwrap(),
            "series,x,y,y_low,y_high\n"
        );
    }

    #[test]
    fn figure_csv_holds_every_panel_with_its_name() {
        use crate::plot::{Panel, Series};
        let fig = Figure {
            y_label: "loss".into(),
            series: vec![Series {
                label: "n = 8".into(),
                points: vec![(1.0, 2.0)],
                errors: Some(vec![(1.5, 2.5)]),
                ..Series::default()
            }],
            below: vec![Panel {
                y_label: "max|c|".into(),
                log_y: true,
                series: vec![Series {
                    label: "n = 8".into(),
                    points: vec![(1.0, 3.0)],
                    hide_legend: true,
                    ..Series::default()
                }],
            }],
            ..Figure::default()
        };
        assert_eq!(
            figure_csv(&fig).unwrap(),
            "series,x,y,y_low,y_high\nloss: n = 8,1.0000e0,2.0000e0,1.5000e0,2.5000e0\nmax|c|: n = 8,1.0000e0,3.0000e0,,\n"
        );
    }
}
