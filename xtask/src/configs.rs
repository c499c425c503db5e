//! The figure configurations: one file per figure under `data/configs/`, each with a quick
//! (smoke) and a full scale. The files are the source of truth once written; the defaults of
//! each figure's `FigureSpec` only seed missing files. The scan builders shared by several
//! figures are here; a figure's own builders are in its file.

use anyhow::{Context, Result, bail};
use mf_stats::mf_core::config::{DEFAULT_POLISH_TOL, Polish, StepRule};
use mf_stats::mf_core::output::{read_json, write_json};
use mf_stats::mf_core::{InitC, Mode, TrainConfig, UnitKind};
use mf_stats::scan::{FitQuantity, ScanConfig};
use serde::{Deserialize, Serialize};
use std::path::Path;

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
pub fn exact(dim: usize, widths: &[usize], replicas: u64, time: f64) -> ScanConfig {
    let dt = 0.5;
    let mut base = TrainConfig::new(
        UnitKind::named("rbf"),
        dim,
        widths[0],
        (time / dt) as u64,
        dt,
        1,
    );
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

/// A scan under `label` (no α).
pub fn named(label: &str, scan: ScanConfig) -> NamedScan {
    NamedScan {
        label: label.into(),
        alpha: None,
        scan,
    }
}

/// `s` with the polish after the flow: the default tolerance, at most `iterations` iterations.
pub fn polished(mut s: ScanConfig, iterations: u64) -> ScanConfig {
    s.base.polish = Some(Polish::new(DEFAULT_POLISH_TOL, iterations));
    s
}

/// `s` with the step rule `rule` (`None`: the default of its mode).
pub fn with_rule(mut s: ScanConfig, rule: Option<StepRule>) -> ScanConfig {
    s.base.step_rule = rule;
    s
}

/// Reads `dir/NAME.json` of the figure `name`, writing `default()` first if it is missing.
pub fn load_or_seed(
    dir: &Path,
    name: &str,
    default: impl FnOnce() -> FigureConfig,
) -> Result<FigureConfig> {
    let path = dir.join(format!("{name}.json"));
    if !path.exists() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        write_json(&path, &default())?;
    }
    let cfg: FigureConfig = read_json(&path)?;
    if cfg.name != name {
        bail!(
            "{}: name is {:?}, expected {name:?}",
            path.display(),
            cfg.name
        );
    }
    for s in cfg.quick.iter().chain(&cfg.full) {
        s.scan
            .validate()
            .with_context(|| format!("{}: scan {}", path.display(), s.label))?;
    }
    Ok(cfg)
}

/// The step rule of the full-scale scan — **the one place to switch it** (then delete the
/// configs that list `exact-d5-long` so that they are re-seeded): the stiff W-rule
/// `ros34pw2` (Rosenbrock-W with a reused factorisation; until issue 20 the implicit RODAS3,
/// twice as slow at n = 128), whose steps grow as the flow slows down. The quick scale uses
/// the default adaptive rule of exact mode.
pub const FULL_STEP_RULE: Option<StepRule> = Some(StepRule::named("ros34pw2"));

/// Widths, replicas, final time and polish iterations of the full scale.
const FULL: (&[usize], u64, f64, u64) = (&[8, 16, 32, 64, 128], 8, 1e8, 200);
/// Widths, replicas, final time and polish iterations of the quick scale.
const QUICK: (&[usize], u64, f64, u64) = (&[8, 16, 32], 3, 2000.0, 30);

/// The long-time d = 5 scan `exact-d5-long`, shared by `lln`, `scaling-gd`, `scaling-dim`,
/// `clt`, `fit` and this figure: exact flow, RBF, σ = R/2, 8 evaluations per decade, then the
/// polish.
pub fn exact_d5_long(quick: bool) -> NamedScan {
    let (widths, replicas, time, polish) = if quick { QUICK } else { FULL };
    let s = polished(exact(5, widths, replicas, time), polish);
    let rule = if quick { None } else { FULL_STEP_RULE };
    named("exact-d5-long", with_rule(s, rule))
}
