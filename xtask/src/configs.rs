//! The figure configurations: one file per figure under `data/configs/`, each with a quick
//! (smoke) and a full scale. The files are the source of truth once written; the defaults below
//! only seed missing files.

use mf_stats::mf_core::{InitC, Mode, TrainConfig, UnitKind};
use mf_stats::scan::{BatchScaling, FitQuantity, ScanConfig};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Names of the figures, in report order.
pub const FIGURES: [&str; 7] = [
    "lln",
    "scaling-gd",
    "scaling-dim",
    "relu",
    "sgd-batch",
    "clt",
    "fit",
];

/// A scan used by a figure, with the label it is plotted under.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedScan {
    /// Label (also the stem of the scan's folder).
    pub label: String,
    /// Batch exponent parameter α (sgd-batch only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// The scan.
    pub scan: ScanConfig,
}

/// One figure's configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FigureConfig {
    /// Figure name.
    pub name: String,
    /// What the figure shows.
    pub description: String,
    /// Smoke scale (`--quick`).
    pub quick: Vec<NamedScan>,
    /// Full scale.
    pub full: Vec<NamedScan>,
}

impl FigureConfig {
    /// The scans of one scale.
    pub fn scans(&self, quick: bool) -> &[NamedScan] {
        if quick { &self.quick } else { &self.full }
    }
}

/// Exact population gradient flow of RBF units in dimension `dim` (adaptive steps, c(0) = 0).
fn exact(dim: usize, widths: &[usize], replicas: u64, time: f64) -> ScanConfig {
    let dt = 0.5;
    let mut base = TrainConfig::new(UnitKind::Rbf, dim, widths[0], (time / dt) as u64, dt, 1);
    base.mode = Mode::Exact;
    base.test_size = 4096;
    base.evals_per_decade = 8;
    base.init_c = InitC::Zero;
    let mut s = ScanConfig::new(base, widths.to_vec(), replicas);
    s.quantity = FitQuantity::FinalRelativeTestLoss;
    s.probe_size = 256;
    s.bootstrap = 1000;
    s
}

/// Online SGD of RBF units at d = 5 with P = P₀ n^{2α}; the fitted quantity is the variance part.
fn online_alpha(alpha: f64, widths: &[usize], replicas: u64, time: f64) -> ScanConfig {
    let dt = 0.25;
    let mut base = TrainConfig::new(UnitKind::Rbf, 5, widths[0], (time / dt) as u64, dt, 1);
    base.mode = Mode::Online;
    base.test_size = 4096;
    base.evals_per_decade = 6;
    let mut s = ScanConfig::new(base, widths.to_vec(), replicas);
    s.batch_scaling = Some(BatchScaling {
        p0: 2.0,
        exponent: 2.0 * alpha,
    });
    s.quantity = FitQuantity::FinalVariance;
    s.probe_size = 256;
    s.bootstrap = 500;
    s
}

/// Online SGD of ReLU units at d = 25, P = 8n.
fn relu(widths: &[usize], replicas: u64, time: f64) -> ScanConfig {
    let dt = 0.5;
    let mut base = TrainConfig::new(UnitKind::Relu, 25, widths[0], (time / dt) as u64, dt, 1);
    base.mode = Mode::Online;
    base.test_size = 8192;
    base.evals_per_decade = 6;
    let mut s = ScanConfig::new(base, widths.to_vec(), replicas);
    s.batch_scaling = Some(BatchScaling {
        p0: 8.0,
        exponent: 1.0,
    });
    s.quantity = FitQuantity::FinalRelativeTestLoss;
    s.probe_size = 256;
    s.bootstrap = 1000;
    s
}

fn named(label: &str, scan: ScanConfig) -> NamedScan {
    NamedScan {
        label: label.into(),
        alpha: None,
        scan,
    }
}

/// The exact d = 5 scan shared by `lln`, `scaling-gd`, `scaling-dim`, `clt` and `fit`.
fn exact_d5(quick: bool) -> NamedScan {
    if quick {
        named("exact-d5", exact(5, &[8, 16, 32, 64, 128], 8, 1000.0))
    } else {
        named("exact-d5", exact(5, &[8, 16, 32, 64, 128], 8, 20_000.0))
    }
}

/// The default configuration of figure `name`.
pub fn default_config(name: &str) -> FigureConfig {
    let (description, quick, full): (&str, Vec<NamedScan>, Vec<NamedScan>) = match name {
        "lln" => (
            "Relative test loss versus mean-field time for several widths (RBF, d = 5, exact population gradient flow): the early decay does not depend on n, the floors fall with n.",
            vec![exact_d5(true)],
            vec![exact_d5(false)],
        ),
        "scaling-gd" => (
            "Final relative loss versus n for gradient descent on the population loss (exact mode, RBF, d = 5), with replica error bars, the fitted exponent and guide lines n^-1 and n^-2.",
            vec![exact_d5(true)],
            vec![exact_d5(false)],
        ),
        "scaling-dim" => (
            "The scaling of the final loss with n in d = 5, 10 and 25 (exact mode, RBF): the exponent should not depend on the dimension.",
            vec![
                exact_d5(true),
                named("exact-d10", exact(10, &[8, 16, 32, 64], 3, 300.0)),
                named("exact-d25", exact(25, &[8, 16, 32, 64], 3, 300.0)),
            ],
            vec![
                exact_d5(false),
                named("exact-d10", exact(10, &[8, 16, 32, 64, 128], 4, 10_000.0)),
                named("exact-d25", exact(25, &[8, 16, 32, 64, 128], 4, 10_000.0)),
            ],
        ),
        "relu" => (
            "Single-hidden-layer ReLU network on the d = 25 target, online SGD with P = 8n: final relative loss versus n and its exponent.",
            vec![named("relu-d25", relu(&[16, 32, 64], 3, 20.0))],
            vec![named("relu-d25", relu(&[16, 32, 64, 128, 256], 4, 1000.0))],
        ),
        "sgd-batch" => (
            "Online SGD with batch P = 2 n^(2 alpha): fitted exponent of the fluctuation part of the final loss versus alpha, beside the prediction.",
            [0.0, 0.25, 0.5, 0.75, 1.0, 1.25]
                .iter()
                .map(|&a| NamedScan {
                    label: format!("online-alpha{a}"),
                    alpha: Some(a),
                    scan: online_alpha(a, &[8, 16, 32, 64], 8, 25.0),
                })
                .collect(),
            [0.0, 0.25, 0.5, 0.75, 1.0, 1.25]
                .iter()
                .map(|&a| NamedScan {
                    label: format!("online-alpha{a}"),
                    alpha: Some(a),
                    scan: online_alpha(a, &[8, 16, 32, 64], 16, 100.0),
                })
                .collect(),
        ),
        "clt" => (
            "n · Var_replicas[f_n(x)] averaged over probe points versus time for several n (exact mode, RBF, d = 5): the curves coincide (fluctuations are O(n^-1/2)) and decay at long times (healing).",
            vec![exact_d5(true)],
            vec![exact_d5(false)],
        ),
        "fit" => (
            "The 3-spin energy and the trained network f_n along a great circle of the sphere, for the smallest and the largest width (exact mode, RBF, d = 5, replica 0).",
            vec![exact_d5(true)],
            vec![exact_d5(false)],
        ),
        other => panic!("unknown figure {other}"),
    };
    FigureConfig {
        name: name.into(),
        description: description.into(),
        quick,
        full,
    }
}

/// Reads `dir/NAME.json`, writing the default first if it is missing.
pub fn load_or_seed(dir: &Path, name: &str) -> Result<FigureConfig, String> {
    let path = dir.join(format!("{name}.json"));
    if !path.exists() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        mf_stats::mf_core::output::write_json(&path, &default_config(name))
            .map_err(|e| e.to_string())?;
    }
    let cfg: FigureConfig =
        mf_stats::mf_core::output::read_json(&path).map_err(|e| e.to_string())?;
    if cfg.name != name {
        return Err(format!(
            "{}: name is {:?}, expected {name:?}",
            path.display(),
            cfg.name
        ));
    }
    for s in cfg.quick.iter().chain(&cfg.full) {
        s.scan
            .validate()
            .map_err(|e| format!("{}: scan {}: {e}", path.display(), s.label))?;
    }
    Ok(cfg)
}
