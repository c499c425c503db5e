//! The configuration of one training run, with validation.

use crate::dynamics::CHUNK;
use crate::error::TrainError;
use crate::network::{InitC, InitZ};
use crate::unit::{Rbf, Relu, Unit, UnitKind};
use serde::{Deserialize, Serialize};

/// How the points of a step are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Full-batch gradient descent on a fixed training set of M points.
    Gd,
    /// Minibatches of P points drawn (without replacement within a batch) from the training set.
    Sgd,
    /// A fresh batch of P points from ν at every step (online SGD, the paper's SGD).
    Online,
}

impl Mode {
    /// Parses `gd`, `sgd` or `online`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "gd" => Some(Self::Gd),
            "sgd" => Some(Self::Sgd),
            "online" => Some(Self::Online),
            _ => None,
        }
    }

    /// Name as written in configs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gd => "gd",
            Self::Sgd => "sgd",
            Self::Online => "online",
        }
    }
}

/// Largest width n.
pub const MAX_WIDTH: usize = 1 << 20;
/// Largest number of points in a set.
pub const MAX_POINTS: usize = 100_000_000;
/// Largest n × B working buffer, in bytes.
const MAX_BUFFER_BYTES: usize = 8 << 30;

/// Everything a training run depends on: the run is a function of this and nothing else.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Unit type.
    pub units: UnitKind,
    /// Dimension d of the data.
    pub dim: usize,
    /// Width n (number of particles).
    pub width: usize,
    /// Dynamics mode.
    pub mode: Mode,
    /// Number of steps K (mean-field time K Δt).
    pub steps: u64,
    /// Mean-field time step Δt (learning rate η = n Δt).
    pub dt: f64,
    /// Batch size P (sgd, online).
    pub batch: usize,
    /// Training-set size M (gd, sgd).
    pub train_size: usize,
    /// Test-set size N_test.
    pub test_size: usize,
    /// RBF width σ; `None` means σ = R/2.
    pub sigma: Option<f64>,
    /// Base seed of every RNG stream (and of the target coefficients).
    pub seed: u64,
    /// Replica index: stream block of the initial particles and of the data.
    #[serde(default)]
    pub replica: u64,
    /// Initial law of the charges.
    #[serde(default)]
    pub init_c: InitC,
    /// Initial law of the unit parameters.
    #[serde(default)]
    pub init_z: InitZ,
    /// Evaluations of the test loss per decade of steps.
    pub evals_per_decade: u32,
}

impl TrainConfig {
    /// A config with the documented defaults: online SGD, P = 256, M = 4096, N_test = 10⁵,
    /// σ = R/2, 10 evaluations per decade.
    pub fn new(units: UnitKind, dim: usize, width: usize, steps: u64, dt: f64, seed: u64) -> Self {
        Self {
            units,
            dim,
            width,
            mode: Mode::Online,
            steps,
            dt,
            batch: 256,
            train_size: 4096,
            test_size: 100_000,
            sigma: None,
            seed,
            replica: 0,
            init_c: InitC::Zero,
            init_z: InitZ::Sphere,
            evals_per_decade: 10,
        }
    }

    /// Radius R = √d of the data sphere.
    pub fn radius(&self) -> f64 {
        (self.dim as f64).sqrt()
    }

    /// The RBF width in use (σ = R/2 unless set).
    pub fn resolved_sigma(&self) -> f64 {
        self.sigma
            .unwrap_or_else(|| Rbf::default_sigma(self.radius()))
    }

    /// Number of points per step: M for gd, P otherwise.
    pub fn points_per_step(&self) -> usize {
        match self.mode {
            Mode::Gd => self.train_size,
            Mode::Sgd | Mode::Online => self.batch,
        }
    }

    /// The unit this config trains.
    pub fn unit(&self) -> Box<dyn Unit> {
        match self.units {
            UnitKind::Rbf => Box::new(Rbf {
                sigma: self.resolved_sigma(),
            }),
            UnitKind::Relu => Box::new(Relu),
        }
    }

    /// Checks every field; the error names the field (as its CLI flag) and its allowed range.
    pub fn validate(&self) -> Result<(), TrainError> {
        if self.dim == 0 || self.dim > spin_target::MAX_DIM {
            return Err(TrainError::config(
                "dim",
                format!("an integer in 1..={}", spin_target::MAX_DIM),
            ));
        }
        if self.width == 0 || self.width > MAX_WIDTH {
            return Err(TrainError::config(
                "width",
                format!("an integer in 1..={MAX_WIDTH}"),
            ));
        }
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(TrainError::config("dt", "a finite number > 0"));
        }
        if self.batch == 0 || self.batch > MAX_POINTS {
            return Err(TrainError::config(
                "batch",
                format!("an integer in 1..={MAX_POINTS}"),
            ));
        }
        if self.train_size == 0 || self.train_size > MAX_POINTS {
            return Err(TrainError::config(
                "train_size",
                format!("an integer in 1..={MAX_POINTS}"),
            ));
        }
        if self.mode == Mode::Sgd && self.batch > self.train_size {
            return Err(TrainError::config(
                "batch",
                format!("at most --train-size = {} in sgd mode", self.train_size),
            ));
        }
        if self.test_size == 0 || self.test_size > MAX_POINTS {
            return Err(TrainError::config(
                "test_size",
                format!("an integer in 1..={MAX_POINTS}"),
            ));
        }
        if let Some(s) = self.sigma {
            if !(s.is_finite() && s > 0.0) {
                return Err(TrainError::config("sigma", "a finite number > 0"));
            }
        }
        if self.evals_per_decade == 0 || self.evals_per_decade > 1000 {
            return Err(TrainError::config(
                "evals_per_decade",
                "an integer in 1..=1000",
            ));
        }
        let chunk = self.points_per_step().max(self.test_size).min(CHUNK);
        if self.width.saturating_mul(chunk).saturating_mul(8) > MAX_BUFFER_BYTES {
            return Err(TrainError::config(
                "width",
                format!(
                    "at most {} (the n × {chunk} work buffer must fit in 8 GiB)",
                    MAX_BUFFER_BYTES / 8 / chunk
                ),
            ));
        }
        Ok(())
    }
}
