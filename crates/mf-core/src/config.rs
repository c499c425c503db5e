//! The configuration of one training run, with validation.

use crate::dynamics::chunk_len;
use crate::dynamics::rules::{STEP_RULES, default_rule, step_rule};
use crate::dynamics::stepper::StepRuleSpec;
use crate::error::TrainError;
pub use crate::mode::Mode;
use crate::network::{InitC, InitZ};
use crate::target::TargetName;
use crate::unit::{UNITS, Unit, UnitKind, UnitSpec, unit_entry};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A step rule's name as a config records it (`--step-rule`): the name or an alias of a
/// shipped rule ([`crate::dynamics::rules::STEP_RULES`]), kept as the user gave it, or the
/// name of a custom rule given to [`crate::Trainer::with_stepper`]. Serialised as the plain
/// string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StepRule(Cow<'static, str>);

impl StepRule {
    /// The rule called `name` (not checked: see [`StepRule::spec`]).
    pub const fn named(name: &'static str) -> Self {
        Self(Cow::Borrowed(name))
    }

    /// The rule called `name` (an owned name, e.g. a custom rule's).
    pub fn new(name: impl Into<String>) -> Self {
        Self(Cow::Owned(name.into()))
    }

    /// The name as recorded.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shipped rule this names (by its name or an alias); `None` for a custom rule.
    pub fn spec(&self) -> Option<&'static StepRuleSpec> {
        step_rule(&self.0)
    }

    /// Parses a `--step-rule` value: a shipped rule's name or alias.
    pub fn parse(s: &str) -> Option<Self> {
        step_rule(s).map(|_| Self::new(s))
    }
}

impl std::fmt::Display for StepRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
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
    /// The unit parameter `sigma` (the RBF width; `None`: the unit's default, σ = R/2). Kept
    /// as its own field, as every config and `--sigma` have it; other unit parameters are in
    /// `unit_params` ([`TrainConfig::unit_param`]).
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
    /// Time stepping; `None`: the default of the mode (Bogacki–Shampine in exact mode, Euler
    /// otherwise; [`crate::dynamics::rules::default_rule`]).
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
    /// Unit parameters other than `sigma`, by name (`--unit-param NAME=VALUE`); absent from
    /// the JSON when empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unit_params: BTreeMap<String, f64>,
    /// The target (`--target`; [`crate::target::TARGETS`]); absent from the JSON for the
    /// default, the 3-spin model.
    #[serde(default, skip_serializing_if = "TargetName::is_default")]
    pub target: TargetName,
    /// Width k of the `teacher` target (`--teacher-width`; default
    /// [`crate::target::DEFAULT_TEACHER_WIDTH`]); absent from the JSON when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher_width: Option<usize>,
    /// Birth–death jumps beside the transport (`--birth-death RATE`,
    /// [`crate::dynamics::birth_death`]); absent from the JSON when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_death: Option<crate::dynamics::birth_death::BirthDeath>,
    /// The training and test sets of the `data` target (`--data FILE`, `--test-data FILE`;
    /// [`crate::data`]); absent from the JSON when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<crate::data::DataSets>,
}

/// The polish after the flow: a descent-only minimiser (`method`, from
/// [`crate::dynamics::minimisers::MINIMISERS`]) on the finite-n exact loss until ‖v‖ ≤ `tol`
/// (mean-field units, as `grad_norm`), the loss stops decreasing, or `max_iterations`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Polish {
    /// Gradient tolerance on ‖v‖ = n‖∇ℓ‖ (`--polish-tol`).
    pub tol: f64,
    /// Iteration budget (`--polish-iterations`).
    pub max_iterations: u64,
    /// The minimiser (`--polish-method`); absent from the JSON for the default, the
    /// trust-region Newton method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

impl Polish {
    /// A polish to ‖v‖ ≤ `tol` within `max_iterations`, with the default method.
    pub fn new(tol: f64, max_iterations: u64) -> Self {
        Self {
            tol,
            max_iterations,
            method: None,
        }
    }

    /// The name of its minimiser (the default: `trust-region-newton`).
    pub fn method_name(&self) -> &str {
        self.method
            .as_deref()
            .unwrap_or(crate::dynamics::minimisers::DEFAULT_MINIMISER)
    }
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
    pub fn new(
        units: impl Into<UnitKind>,
        dim: usize,
        width: usize,
        steps: u64,
        dt: f64,
        seed: u64,
    ) -> Self {
        Self {
            units: units.into(),
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
            unit_params: BTreeMap::new(),
            target: TargetName::default(),
            teacher_width: None,
            birth_death: None,
            data: None,
        }
    }

    /// The shipped step rule in use: the one `step_rule` names, or the default of the mode;
    /// `None` for a custom rule (given to [`crate::Trainer::with_stepper`]).
    pub fn step_rule_spec(&self) -> Option<&'static StepRuleSpec> {
        match &self.step_rule {
            Some(r) => r.spec(),
            None => Some(default_rule(self.mode)),
        }
    }

    /// Radius R = √d of the data sphere; with a data set, the RMS radius of its training
    /// inputs ([`crate::data`]).
    pub fn radius(&self) -> f64 {
        match &self.data {
            Some(d) => d.train.radius,
            None => (self.dim as f64).sqrt(),
        }
    }

    /// The unit parameter `name` as set: `sigma`, or an entry of `unit_params`.
    pub fn unit_param(&self, name: &str) -> Option<f64> {
        if name == "sigma" {
            self.sigma
        } else {
            self.unit_params.get(name).copied()
        }
    }

    /// Sets the unit parameter `name` (`sigma` goes to its own field).
    pub fn set_unit_param(&mut self, name: &str, value: f64) {
        if name == "sigma" {
            self.sigma = Some(value);
        } else {
            self.unit_params.insert(name.to_string(), value);
        }
    }

    /// The unit parameter `name` in use: as set, else the default the shipped unit declares
    /// for it (`None` when the unit has no such parameter).
    pub fn resolved_unit_param(&self, name: &str) -> Option<f64> {
        let entry = unit_entry(self.units.as_str())?;
        let p = entry.params.iter().find(|p| p.name == name)?;
        Some(self.unit_param(name).unwrap_or((p.default)(self.radius())))
    }

    /// The RBF width in use (σ = R/2 unless set), for any unit declaring `sigma`; NaN otherwise.
    pub fn resolved_sigma(&self) -> f64 {
        self.resolved_unit_param("sigma").unwrap_or(f64::NAN)
    }

    /// Number of points per step: M for gd, P otherwise.
    pub fn points_per_step(&self) -> usize {
        match self.mode {
            Mode::Gd => self.train_size,
            Mode::Sgd | Mode::Online => self.batch,
            Mode::Exact => 0,
        }
    }

    /// The identity of the shipped unit this config names: its name and every parameter it
    /// declares, as set or defaulted (`None` for a custom unit).
    pub fn builtin_spec(&self) -> Option<UnitSpec> {
        let entry = unit_entry(self.units.as_str())?;
        let params: Vec<(&str, f64)> = entry
            .params
            .iter()
            .map(|p| {
                (
                    p.name,
                    self.unit_param(p.name)
                        .unwrap_or((p.default)(self.radius())),
                )
            })
            .collect();
        Some(UnitSpec::new(entry.name, &params))
    }

    /// The shipped unit this config names (`None` for a custom unit or invalid parameters).
    pub fn builtin_unit(&self) -> Option<Box<dyn Unit>> {
        let entry = unit_entry(self.units.as_str())?;
        (entry.build)(&self.builtin_spec()?)
    }

    /// Checks every field; the error names the field (as its CLI flag) and its allowed range.
    pub fn validate(&self) -> Result<(), TrainError> {
        self.validate_data()?;
        if self.data.is_none() && (self.dim == 0 || self.dim > spin_target::MAX_DIM) {
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
        let entry = unit_entry(self.units.as_str());
        if entry.is_none() && !self.units.is_custom() {
            return Err(TrainError::config(
                "units",
                format!(
                    "one of {} (or custom, with Trainer::with_unit)",
                    unit_names()
                ),
            ));
        }
        if let Some(e) = entry {
            if let Some(k) = self
                .unit_params
                .keys()
                .find(|k| !e.params.iter().any(|p| p.name == *k))
            {
                return Err(TrainError::config(
                    "unit_param",
                    format!("a parameter of {} ({}), not {k}", e.name, e.param_names()),
                ));
            }
            if self.builtin_unit().is_none() {
                return Err(TrainError::config(
                    "unit_param",
                    format!("valid parameters of {} ({})", e.name, e.param_names()),
                ));
            }
        }
        if self.mode == Mode::Exact && !entry.is_some_and(|e| e.exact) {
            return Err(TrainError::config(
                "mode",
                format!(
                    "gd, sgd or online for --units {} (exact mode has closed forms for {} only)",
                    self.units,
                    UNITS
                        .iter()
                        .filter(|u| u.exact)
                        .map(|u| u.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if let Some(spec) = self.step_rule_spec()
            && !spec.supports(self.mode)
        {
            return Err(TrainError::config(
                "step_rule",
                format!(
                    "one of {} in --mode {} ({} needs exact mode: {})",
                    STEP_RULES
                        .iter()
                        .filter(|r| r.supports(self.mode))
                        .map(|r| r.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.mode.as_str(),
                    spec.name,
                    if spec.adaptive {
                        "adaptive steps need a loss that is a function of the state"
                    } else {
                        "it needs the exact loss"
                    }
                ),
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
        if let Some(p) = &self.polish {
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
            if crate::dynamics::minimisers::minimiser(p.method_name()).is_none() {
                return Err(TrainError::config(
                    "polish_method",
                    format!(
                        "one of {}",
                        crate::dynamics::minimisers::minimiser_names().join(", ")
                    ),
                ));
            }
        }
        if crate::target::target_entry(self.target.as_str()).is_none() {
            return Err(TrainError::config(
                "target",
                format!("one of {}", crate::target::target_names().join(", ")),
            ));
        }
        if let Some(k) = self.teacher_width {
            if self.target.as_str() != crate::target::teacher::ENTRY.name {
                return Err(TrainError::config(
                    "teacher_width",
                    "only with the target teacher (--target teacher)",
                ));
            }
            if !(1..=crate::target::MAX_TEACHER_WIDTH).contains(&k) {
                return Err(TrainError::config(
                    "teacher_width",
                    format!("an integer in 1..={}", crate::target::MAX_TEACHER_WIDTH),
                ));
            }
        }
        if let Some(bd) = &self.birth_death {
            if !(bd.rate.is_finite() && bd.rate >= 0.0) {
                return Err(TrainError::config("birth_death", "a finite rate ≥ 0"));
            }
            if bd.every.is_some_and(|t| !(t.is_finite() && t > 0.0)) {
                return Err(TrainError::config("birth_death_every", "a finite time > 0"));
            }
            if bd.until.is_some_and(|t| !(t.is_finite() && t > 0.0)) {
                return Err(TrainError::config("birth_death_until", "a finite time > 0"));
            }
        }
        if self.unit_params.values().any(|v| !v.is_finite()) {
            return Err(TrainError::config("unit_param", "finite values"));
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

impl TrainConfig {
    /// The checks of a data set: the `data` target with its record, gd or sgd, and the
    /// dimension and set sizes of the files.
    fn validate_data(&self) -> Result<(), TrainError> {
        let named = self.target.as_str() == crate::target::data::ENTRY.name;
        let Some(data) = &self.data else {
            if named {
                return Err(TrainError::config(
                    "data",
                    "a data set (--data FILE) for the target data",
                ));
            }
            return Ok(());
        };
        if !named {
            return Err(TrainError::config(
                "target",
                "data (or left out) with --data: a data set replaces the target",
            ));
        }
        if !matches!(self.mode, Mode::Gd | Mode::Sgd) {
            return Err(TrainError::config(
                "mode",
                "gd or sgd with a data set (online and exact modes draw from or integrate against the target's law, which a data set does not have)",
            ));
        }
        if self.dim != data.train.dim {
            return Err(TrainError::config(
                "dim",
                format!("{}, the dimension of the data set's inputs", data.train.dim),
            ));
        }
        if let Some(t) = &data.test
            && t.dim != data.train.dim
        {
            return Err(TrainError::config(
                "test_data",
                format!(
                    "a set of the training set's dimension {} (it has {})",
                    data.train.dim, t.dim
                ),
            ));
        }
        if self.train_size != data.train.points {
            return Err(TrainError::config(
                "train_size",
                format!(
                    "{}, the number of points of the data set",
                    data.train.points
                ),
            ));
        }
        let test = data.test_or_train().points;
        if self.test_size != test {
            return Err(TrainError::config(
                "test_size",
                format!("{test}, the number of points of the test set"),
            ));
        }
        if !(data.train.radius.is_finite() && data.train.radius > 0.0) {
            return Err(TrainError::config(
                "data",
                format!(
                    "a set whose inputs are not all zero and whose RMS radius is finite (it sets the run's scale; this set's is {})",
                    data.train.radius
                ),
            ));
        }
        Ok(())
    }
}

/// The shipped units' names, for messages.
fn unit_names() -> String {
    UNITS.iter().map(|u| u.name).collect::<Vec<_>>().join(", ")
}
