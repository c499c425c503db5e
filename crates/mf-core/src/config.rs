//! The configuration of one training run, with validation.

use crate::dynamics::chunk_len;
use crate::error::TrainError;
use crate::network::{InitC, InitZ};
use crate::unit::{Rbf, Relu, Unit, UnitKind, UnitSpec};
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
    /// The population gradient flow, every expectation in closed form (RBF units only).
    Exact,
}

/// How time advances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepRule {
    /// Forward Euler with the fixed step Δt.
    Fixed,
    /// Error-controlled Bogacki–Shampine 3(2) steps with a loss-descent check (exact mode only);
    /// Δt is the first step and the spacing of the evaluation grid.
    Adaptive,
    /// Backtracking Euler on the exact loss (exact mode only): descent-only, no local-error
    /// bound; the baseline the adaptive rules are compared to.
    Backtracking,
    /// Euler with the embedded Heun error estimate and the descent check (exact mode only):
    /// one velocity evaluation per step, local error bounded.
    EulerHeun,
    /// Heun's second-order rule with the fixed step Δt (every mode).
    Heun,
    /// The stiff rule: linearly implicit Rosenbrock RODAS3 with the exact Hessian, step limited
    /// by the local error, not by stability (exact mode only).
    Implicit,
}

impl StepRule {
    /// True for the rules that choose their own steps (exact mode only).
    pub fn is_adaptive(self) -> bool {
        matches!(
            self,
            Self::Adaptive | Self::Backtracking | Self::EulerHeun | Self::Implicit
        )
    }

    /// Parses a `--step-rule` value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "fixed" => Some(Self::Fixed),
            "adaptive" => Some(Self::Adaptive),
            "backtracking" => Some(Self::Backtracking),
            "euler-heun" => Some(Self::EulerHeun),
            "heun" => Some(Self::Heun),
            "implicit" => Some(Self::Implicit),
            _ => None,
        }
    }
}

impl Mode {
    /// Parses `gd`, `sgd` or `online`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "gd" => Some(Self::Gd),
            "sgd" => Some(Self::Sgd),
            "online" => Some(Self::Online),
            "exact" => Some(Self::Exact),
            _ => None,
        }
    }

    /// Name as written in configs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gd => "gd",
            Self::Sgd => "sgd",
            Self::Online => "online",
            Self::Exact => "exact",
        }
    }
}

/// Largest width n.
pub const MAX_WIDTH: usize = 1 << 20;
/// Largest number of points in a set.
pub const MAX_POINTS: usize = 100_000_000;
/// Largest n × B working buffer (n · row_stride(B) values), in bytes.
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
    /// Time stepping; `None`: adaptive in exact mode, fixed otherwise.
    #[serde(default)]
    pub step_rule: Option<StepRule>,
    /// Local-error tolerance of the adaptive rule.
    #[serde(default = "default_tol")]
    pub tol: f64,
    /// Largest adaptive step; `None`: unbounded.
    #[serde(default)]
    pub dt_max: Option<f64>,
    /// A second-order polish after the flow (exact mode): `--polish`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polish: Option<Polish>,
}

/// The polish after the flow: a descent-only second-order method on the finite-n exact loss
/// until ‖v‖ ≤ `tol` (mean-field units, as `grad_norm`), the loss stops decreasing, or
/// `max_iterations`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Polish {
    /// Gradient tolerance on ‖v‖ = n‖∇ℓ‖ (`--polish-tol`).
    pub tol: f64,
    /// Iteration budget (`--polish-iterations`).
    pub max_iterations: u64,
}

/// Default `--polish-tol`.
pub const DEFAULT_POLISH_TOL: f64 = 1e-10;
/// Default `--polish-iterations`.
pub const DEFAULT_POLISH_ITERATIONS: u64 = 2000;

fn default_tol() -> f64 {
    DEFAULT_TOL
}

/// Default local-error tolerance of the adaptive rule.
pub const DEFAULT_TOL: f64 = 1e-5;

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
            step_rule: None,
            tol: DEFAULT_TOL,
            dt_max: None,
            polish: None,
        }
    }

    /// The time-stepping rule in use.
    pub fn resolved_step_rule(&self) -> StepRule {
        self.step_rule.unwrap_or(if self.mode == Mode::Exact {
            StepRule::Adaptive
        } else {
            StepRule::Fixed
        })
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
            Mode::Exact => 0,
        }
    }

    /// The shipped unit this config names (`None` for `UnitKind::Custom`).
    pub fn builtin_unit(&self) -> Option<Box<dyn Unit>> {
        match self.units {
            UnitKind::Rbf => Some(Box::new(Rbf {
                sigma: self.resolved_sigma(),
            })),
            UnitKind::Relu => Some(Box::new(Relu)),
            UnitKind::Custom => None,
        }
    }

    /// The identity of the shipped unit this config names (`None` for `UnitKind::Custom`).
    pub fn builtin_spec(&self) -> Option<UnitSpec> {
        self.builtin_unit().map(|u| u.spec())
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
        if let Some(s) = self.sigma
            && !(s.is_finite() && s > 0.0)
        {
            return Err(TrainError::config("sigma", "a finite number > 0"));
        }
        if self.mode == Mode::Exact && self.units != UnitKind::Rbf {
            return Err(TrainError::config(
                "mode",
                "gd, sgd or online for --units relu (exact mode has closed forms for rbf only)",
            ));
        }
        if self.resolved_step_rule().is_adaptive() && self.mode != Mode::Exact {
            return Err(TrainError::config(
                "step_rule",
                "fixed or heun unless --mode exact (adaptive steps need the exact loss)",
            ));
        }
        if !(self.tol.is_finite() && self.tol > 0.0 && self.tol < 1.0) {
            return Err(TrainError::config("tol", "a number in (0, 1)"));
        }
        if let Some(m) = self.dt_max
            && !(m.is_finite() && m > 0.0)
        {
            return Err(TrainError::config("dt_max", "a finite number > 0"));
        }
        if let Some(p) = self.polish {
            if self.mode != Mode::Exact {
                return Err(TrainError::config(
                    "polish",
                    "used with --mode exact only (it minimises the exact population loss)",
                ));
            }
            if !(p.tol.is_finite() && p.tol > 0.0) {
                return Err(TrainError::config("polish_tol", "a finite number > 0"));
            }
            if p.max_iterations == 0 || p.max_iterations > 10_000_000 {
                return Err(TrainError::config(
                    "polish_iterations",
                    "an integer in 1..=10000000",
                ));
            }
        }
        if self.mode == Mode::Exact && self.width > 16_384 {
            return Err(TrainError::config(
                "width",
                "at most 16384 in exact mode (the n × n pair matrices must fit in memory)",
            ));
        }
        if self.evals_per_decade == 0 || self.evals_per_decade > 1000 {
            return Err(TrainError::config(
                "evals_per_decade",
                "an integer in 1..=1000",
            ));
        }
        let chunk = chunk_len(self.width, self.points_per_step().max(self.test_size));
        let stride = crate::kernels::tiled::row_stride(chunk);
        if self.width.saturating_mul(stride).saturating_mul(8) > MAX_BUFFER_BYTES {
            return Err(TrainError::config(
                "width",
                format!(
                    "at most {} (the n × {chunk} work buffer must fit in 8 GiB)",
                    MAX_BUFFER_BYTES / 8 / stride
                ),
            ));
        }
        Ok(())
    }
}
