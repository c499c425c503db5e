//! The scan configuration: base run, widths × replicas, batch scaling, what is fitted.

use crate::error::ScanError;
use mf_core::faer::Par;
use mf_core::streams::{Purpose, stream};
use mf_core::{PointSet, TrainConfig, TrainError};
use serde::{Deserialize, Serialize};

/// Batch size growing with the width: P(n) = max(1, round(P₀ n^e)), e = 2α.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchScaling {
    /// P₀.
    pub p0: f64,
    /// The exponent e (= 2α).
    pub exponent: f64,
}

impl BatchScaling {
    /// Parses `P0*n^E` where E is a number or a product such as `(2*0.25)`, e.g.
    /// `"4*n^(2*0.5)"` or `"16*n^1"`.
    pub fn parse(s: &str) -> Option<Self> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let (p0, e) = t.split_once("*n^")?;
        let p0: f64 = p0.parse().ok()?;
        let e = e.trim_start_matches('(').trim_end_matches(')');
        let mut exponent = 1.0;
        for f in e.split('*') {
            exponent *= f.parse::<f64>().ok()?;
        }
        (p0.is_finite() && p0 > 0.0 && exponent.is_finite()).then_some(Self { p0, exponent })
    }

    /// P(n).
    pub fn batch(&self, n: usize) -> usize {
        (self.p0 * (n as f64).powf(self.exponent)).round().max(1.0) as usize
    }
}

/// What the power law is fitted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitQuantity {
    /// The test loss at the last recorded time.
    FinalTestLoss,
    /// The relative test loss at the last recorded time.
    FinalRelativeTestLoss,
    /// ½ mean_k Var_R[f_n(x_k)] at the last recorded time: the fluctuation part of the expected
    /// loss (one value per width; its interval from a jackknife over replicas).
    FinalVariance,
}

impl FitQuantity {
    /// Name as written in `fit.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FinalTestLoss => "final_test_loss",
            Self::FinalRelativeTestLoss => "final_relative_test_loss",
            Self::FinalVariance => "final_variance",
        }
    }
}

/// A scan: one base run configuration over widths × replicas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanConfig {
    /// The run of every cell (its `width`, `replica` and, with `batch_scaling`, `batch` are set
    /// per cell).
    pub base: TrainConfig,
    /// Widths n.
    pub widths: Vec<usize>,
    /// Replicas per width.
    pub replicas: u64,
    /// Batch growing with n (overrides `base.batch`).
    pub batch_scaling: Option<BatchScaling>,
    /// Number of probe points x_k for the fluctuation field.
    pub probe_size: usize,
    /// Inclusive width range of the power-law fit (all widths if absent).
    pub fit_range: Option<(usize, usize)>,
    /// What is fitted.
    pub quantity: FitQuantity,
    /// Bootstrap resamples of the intervals of earlier versions. The intervals are now t
    /// intervals without random draws ([`crate::fit`]); the field stays so that a scan's
    /// config, and the folder name hashed from it, do not change (`mf scan --bootstrap` is
    /// accepted and has no effect).
    pub bootstrap: usize,
    /// Confidence level of the intervals.
    pub level: f64,
}

impl ScanConfig {
    /// A scan of `base` over `widths` × `replicas` with 256 probe points and a fit of the final
    /// test loss over all widths at 95 % (`bootstrap` 1000: unused, see the field).
    pub fn new(base: TrainConfig, widths: Vec<usize>, replicas: u64) -> Self {
        Self {
            base,
            widths,
            replicas,
            batch_scaling: None,
            probe_size: 256,
            fit_range: None,
            quantity: FitQuantity::FinalTestLoss,
            bootstrap: 1000,
            level: 0.95,
        }
    }

    /// The run configuration of cell (n, r).
    pub fn cell_config(&self, width: usize, replica: u64) -> TrainConfig {
        let mut c = self.base.clone();
        c.width = width;
        c.replica = replica;
        if let Some(s) = &self.batch_scaling {
            c.batch = s.batch(width);
            if c.mode == mf_core::Mode::Sgd {
                c.train_size = c.train_size.max(c.batch);
            }
        }
        c
    }

    /// All cells in (n, r) order.
    pub fn cells(&self) -> Vec<(usize, u64)> {
        self.widths
            .iter()
            .flat_map(|&n| (0..self.replicas).map(move |r| (n, r)))
            .collect()
    }

    /// Checks the scan and every cell configuration.
    pub fn validate(&self) -> Result<(), ScanError> {
        if self.widths.is_empty() || self.widths.contains(&0) {
            return Err(ScanError::config(
                "widths",
                "a non-empty list of integers ≥ 1",
            ));
        }
        let mut sorted = self.widths.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted != self.widths {
            return Err(ScanError::config("widths", "strictly increasing"));
        }
        if self.replicas == 0 || self.replicas > 100_000 {
            return Err(ScanError::config("replicas", "an integer in 1..=100000"));
        }
        if self.probe_size == 0 || self.probe_size > 1_000_000 {
            return Err(ScanError::config("probe_size", "an integer in 1..=1000000"));
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(ScanError::config("level", "a number in (0, 1)"));
        }
        for &n in &self.widths {
            self.cell_config(n, 0).validate()?;
        }
        Ok(())
    }
}

/// The probe set of a scan: `size` points from the probe stream of the base seed with the
/// values of the scan's target (a data set: its test points and values).
pub fn probe_set(cfg: &ScanConfig) -> Result<PointSet, ScanError> {
    if let Some(data) = &cfg.base.data {
        // a data set: its test points (the training points without a test set) and their
        // values, the first `probe_size` of them (cycled if the set is smaller)
        let set = data.test_or_train().load().map_err(TrainError::from)?;
        let (p, d) = (set.len(), set.dim());
        let mut probe = PointSet::zeros(cfg.probe_size, d);
        let mut y = vec![0.0; cfg.probe_size];
        {
            let mut x = probe.x_mut();
            for k in 0..cfg.probe_size {
                let i = k % p;
                for j in 0..d {
                    x[(k, j)] = set.x()[i * d + j];
                }
                y[k] = set.y()[i];
            }
        }
        probe.set_values(&y);
        return Ok(probe);
    }
    // the scan's own target (the 3-spin model of the base seed, or its teacher network)
    let target = mf_core::target::target_for(&cfg.base)?;
    Ok(PointSet::sample(
        target.as_ref(),
        cfg.probe_size,
        &mut stream(cfg.base.seed, 0, Purpose::Probe),
        Par::Seq,
    ))
}
