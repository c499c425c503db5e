//! The flags shared by `mf train` and `mf scan`: everything that defines one run but its width.

use crate::CliError;
use clap::Args;
use clap::builder::PossibleValuesParser;
use mf_stats::ScanError;
use mf_stats::mf_core::config::{
    DEFAULT_POLISH_ITERATIONS, DEFAULT_POLISH_TOL, DEFAULT_TOL, Polish, StepRule,
};
use mf_stats::mf_core::data::{DataSets, absolute_path, read_data};
use mf_stats::mf_core::dynamics::birth_death::{BirthDeath, Variant};
use mf_stats::mf_core::dynamics::minimisers::{MINIMISERS, minimiser_names};
use mf_stats::mf_core::dynamics::rules::{STEP_RULES, rule_names};
use mf_stats::mf_core::target::{
    DataTarget, TARGETS, TargetName, data as data_target, target_names,
};
use mf_stats::mf_core::unit::UNITS;
use mf_stats::mf_core::{InitC, InitZ, Mode, TrainConfig, TrainError, UnitKind};

/// The `--units` values: the shipped units of the registry.
fn unit_names() -> Vec<&'static str> {
    UNITS.iter().map(|u| u.name).collect()
}

/// The `--units` help, from the registry.
fn units_help() -> String {
    let list: Vec<String> = UNITS
        .iter()
        .map(|u| {
            let params = if u.params.is_empty() {
                String::new()
            } else {
                format!(
                    "; parameters {}",
                    u.params
                        .iter()
                        .map(|p| format!("{}: {}", p.name, p.help))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            format!("{} ({}{params})", u.name, u.help)
        })
        .collect();
    format!("Unit type: {}", list.join("; "))
}

/// The `--step-rule` help, from the registry.
fn step_rule_help() -> String {
    let list: Vec<String> = STEP_RULES
        .iter()
        .map(|r| {
            let aliases = if r.aliases.is_empty() {
                String::new()
            } else {
                format!(" (also {})", r.aliases.join(", "))
            };
            format!("{}{aliases}: {}", r.name, r.help)
        })
        .collect();
    format!("Time stepping: {}", list.join("; "))
}

/// The `--polish-method` help, from the registry.
fn polish_method_help() -> String {
    let list: Vec<String> = MINIMISERS
        .iter()
        .map(|m| format!("{}: {}", m.name, m.help))
        .collect();
    format!("The polish's minimiser: {}", list.join("; "))
}

/// The `--target` help, from the registry.
fn target_help() -> String {
    let list: Vec<String> = TARGETS
        .iter()
        .map(|t| format!("{}: {}", t.name, t.help))
        .collect();
    format!("The target function: {}", list.join("; "))
}

/// Flags defining a run (except its width and output).
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Unit type (the shipped units).
    #[arg(long, value_parser = PossibleValuesParser::new(unit_names()), help = units_help())]
    pub units: Option<String>,
    /// A parameter of the unit, NAME=VALUE (repeatable; `--sigma S` is `--unit-param sigma=S`).
    #[arg(long = "unit-param", value_name = "NAME=VALUE")]
    pub unit_param: Vec<String>,
    /// The target function.
    #[arg(long, value_parser = PossibleValuesParser::new(target_names()), help = target_help())]
    pub target: Option<String>,
    /// Birth–death dynamics beside the transport (Rotskoff et al. 2019): rate α ≥ 0 in
    /// mean-field time units; units die where the potential V = δℓ/δμ is above its mean and
    /// are cloned where it is below, at rate α|V − V̄|.
    #[arg(long, allow_negative_numbers = true, value_name = "RATE")]
    pub birth_death: Option<f64>,
    /// How birth–death restores the population: clone (copies of random units) or prior
    /// (fresh draws from the initial law).
    #[arg(long, value_parser = ["clone", "prior"])]
    pub birth_death_variant: Option<String>,
    /// Birth–death only while t < T (transport alone after it: the quench).
    #[arg(long, allow_negative_numbers = true, value_name = "T")]
    pub birth_death_until: Option<f64>,
    /// Birth–death jumps once every T of mean-field time, over that time (default: after
    /// every step); keeps an adaptive or stiff rule's stage and factorisation between jumps.
    #[arg(long, allow_negative_numbers = true, value_name = "T")]
    pub birth_death_every: Option<f64>,
    /// Width k of the teacher network (--target teacher; default 4096).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=mf_stats::mf_core::target::MAX_TEACHER_WIDTH as u64))]
    pub teacher_width: Option<u64>,
    /// Dimension d of the data sphere S^{d-1}(√d).
    #[arg(long)]
    pub dim: Option<usize>,
    /// Dynamics: gd (fixed training set), sgd (minibatches of it), online (fresh batches) or
    /// exact (population gradient flow in closed form, rbf only).
    #[arg(long, value_parser = ["gd", "sgd", "online", "exact"], default_value = "online")]
    pub mode: String,
    /// Number of steps.
    #[arg(long, conflicts_with = "time")]
    pub steps: Option<u64>,
    /// Mean-field time to reach (steps = ceil(T / Δt)).
    #[arg(long, allow_negative_numbers = true)]
    pub time: Option<f64>,
    /// Mean-field time step Δt (learning rate η = n Δt).
    #[arg(long, allow_negative_numbers = true)]
    pub dt: Option<f64>,
    /// Batch size P (sgd, online).
    #[arg(long, default_value_t = 256)]
    pub batch: usize,
    /// Training-set size M (gd, sgd) [default: 4096; with --data: the file's number of points].
    #[arg(long)]
    pub train_size: Option<usize>,
    /// Test-set size [default: 100000; with --data: the test file's (or training file's) number
    /// of points].
    #[arg(long)]
    pub test_size: Option<usize>,
    /// A training set of your own, for --mode gd or sgd: FILE.npz (arrays x: P × d, y: P),
    /// X.npy,Y.npy, one .npy of P × (d + 1) with y last, or CSV (d + 1 numbers a line, y
    /// last, an optional header). Sets --dim and --train-size; the inputs need not lie on a
    /// sphere (σ defaults to half their RMS radius).
    #[arg(long, value_name = "FILE")]
    pub data: Option<String>,
    /// A test set for --data, in the same formats (default: the training set).
    #[arg(long, value_name = "FILE")]
    pub test_data: Option<String>,
    /// RBF width σ (default R/2).
    #[arg(long, allow_negative_numbers = true)]
    pub sigma: Option<f64>,
    /// Base seed of all RNG streams and of the target.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Initial charges: zero or normal.
    #[arg(long, value_parser = ["zero", "normal"], default_value = "zero")]
    pub init_c: String,
    /// Initial unit parameters: sphere.
    #[arg(long, value_parser = ["sphere"], default_value = "sphere")]
    pub init_z: String,
    /// Test-loss evaluations per decade of steps.
    #[arg(long, default_value_t = 10)]
    pub evals_per_decade: u32,
    /// Time stepping (the shipped rules).
    #[arg(long, value_parser = PossibleValuesParser::new(rule_names()), help = step_rule_help())]
    pub step_rule: Option<String>,
    /// Local-error tolerance of adaptive steps.
    #[arg(long, default_value_t = DEFAULT_TOL, allow_negative_numbers = true)]
    pub tol: f64,
    /// Largest adaptive step (default: unbounded).
    #[arg(long, allow_negative_numbers = true)]
    pub dt_max: Option<f64>,
    /// After the flow, polish the state with a descent-only second-order method on the exact
    /// loss (exact mode): writes polished_* in summary.json and `polished` in state.json.
    #[arg(long)]
    pub polish: bool,
    /// Gradient tolerance of the polish on ‖v‖ = n‖∇ℓ‖ (mean-field units, as grad_norm).
    #[arg(long, allow_negative_numbers = true)]
    pub polish_tol: Option<f64>,
    /// Iteration budget of the polish.
    #[arg(long)]
    pub polish_iterations: Option<u64>,
    /// The polish's minimiser (default trust-region-newton).
    #[arg(long, value_parser = PossibleValuesParser::new(minimiser_names()), help = polish_method_help())]
    pub polish_method: Option<String>,
}

/// `--train-size` when not given.
pub const DEFAULT_TRAIN_SIZE: usize = 4096;
/// `--test-size` when not given.
pub const DEFAULT_TEST_SIZE: usize = 100_000;

fn required<T: Copy>(v: Option<T>, flag: &str, allowed: &str) -> Result<T, CliError> {
    v.ok_or_else(|| CliError::flag(flag, format!("given ({allowed})")))
}

/// Steps from `--steps` or `--time` / Δt.
pub fn steps_for(steps: Option<u64>, time: Option<f64>, dt: f64) -> Result<Option<u64>, CliError> {
    match (steps, time) {
        (Some(k), _) => Ok(Some(k)),
        (None, Some(t)) => {
            if !(t.is_finite() && t >= 0.0) || t / dt > 1e15 {
                return Err(CliError::flag(
                    "--time",
                    "a finite number ≥ 0 (and --time/--dt ≤ 1e15)",
                ));
            }
            Ok(Some((t / dt - 1e-9).ceil().max(0.0) as u64))
        }
        (None, None) => Ok(None),
    }
}

/// A library error as a CLI error: config errors are usage errors (status 2).
pub fn to_cli(e: TrainError) -> CliError {
    match e {
        TrainError::Config { .. } | TrainError::Data(_) => CliError::Usage(e.to_string()),
        _ => CliError::Run(e.to_string()),
    }
}

/// A scan error as a CLI error: config errors of the scan or of its runs are usage errors
/// (status 2), everything else a failed run (status 1).
pub fn scan_to_cli(e: ScanError) -> CliError {
    match e {
        ScanError::Train(e) => to_cli(e),
        ScanError::Config { .. } => CliError::Usage(e.to_string()),
        _ => CliError::Run(e.to_string()),
    }
}

impl RunArgs {
    /// The run configuration at `width` (not yet validated); `--data` files are read.
    pub fn to_config(&self, width: usize) -> Result<TrainConfig, CliError> {
        self.to_config_and_data(width).map(|(cfg, _)| cfg)
    }

    /// As [`RunArgs::to_config`], with the data target of `--data` (read once: train on it
    /// with [`crate::api::trainer`] rather than reading the files again).
    pub fn to_config_and_data(
        &self,
        width: usize,
    ) -> Result<(TrainConfig, Option<DataTarget>), CliError> {
        let (sets, target) = self.data_sets()?.unzip();
        Ok((self.to_config_with(width, sets)?, target))
    }

    /// The run configuration at `width` with the data sets `data` (read from `--data` by
    /// [`RunArgs::to_config`], or given as arrays from Python, `path` absent).
    pub fn to_config_with(
        &self,
        width: usize,
        data: Option<DataSets>,
    ) -> Result<TrainConfig, CliError> {
        let names = unit_names().join(" or ");
        let units = UnitKind::parse(required(self.units.as_deref(), "--units", &names)?)
            .expect("clap checked");
        let dim = match &data {
            Some(sets) => {
                let d = sets.train.dim;
                if self.dim.is_some_and(|g| g != d) {
                    return Err(CliError::flag(
                        "--dim",
                        format!("{d}, the dimension of the --data inputs (or left out)"),
                    ));
                }
                d
            }
            None => required(self.dim, "--dim", "an integer in 1..=512")?,
        };
        let dt = required(self.dt, "--dt", "a finite number > 0")?;
        if !(dt.is_finite() && dt > 0.0) {
            return Err(CliError::flag("--dt", "a finite number > 0"));
        }
        let steps = steps_for(self.steps, self.time, dt)?
            .ok_or_else(|| CliError::flag("--steps", "given (or --time)"))?;
        let mut cfg = TrainConfig::new(units, dim, width, steps, dt, self.seed);
        cfg.mode = Mode::parse(&self.mode).expect("clap checked");
        cfg.batch = self.batch;
        cfg.train_size = self.train_size.unwrap_or(DEFAULT_TRAIN_SIZE);
        cfg.test_size = self.test_size.unwrap_or(DEFAULT_TEST_SIZE);
        if let Some(sets) = data {
            if self.target.as_deref().is_some_and(|t| t != "data") {
                return Err(CliError::flag(
                    "--target",
                    "data or left out with --data (the data set is the target)",
                ));
            }
            for (flag, given, have) in [
                ("--train-size", self.train_size, sets.train.points),
                ("--test-size", self.test_size, sets.test_or_train().points),
            ] {
                if given.is_some_and(|g| g != have) {
                    return Err(CliError::flag(
                        flag,
                        format!("{have}, the number of points of the data file (or left out)"),
                    ));
                }
            }
            cfg.train_size = sets.train.points;
            cfg.test_size = sets.test_or_train().points;
            cfg.target = TargetName::named(data_target::ENTRY.name);
            cfg.data = Some(sets);
        }
        cfg.sigma = self.sigma;
        for p in &self.unit_param {
            let bad = || CliError::flag("--unit-param", "NAME=VALUE with a finite VALUE");
            let (name, value) = p.split_once('=').ok_or_else(bad)?;
            let value: f64 = value.trim().parse().map_err(|_| bad())?;
            if !value.is_finite() {
                return Err(bad());
            }
            cfg.set_unit_param(name.trim(), value);
        }
        if let Some(t) = &self.target
            && cfg.data.is_none()
        {
            if t == data_target::ENTRY.name {
                return Err(CliError::flag(
                    "--target",
                    "spin3 or teacher without --data (the target data is set by --data FILE)",
                ));
            }
            cfg.target = TargetName::parse(t).expect("clap checked");
        }
        if self.birth_death.is_none() {
            if self.birth_death_variant.is_some() {
                return Err(CliError::flag(
                    "--birth-death-variant",
                    "only with --birth-death RATE",
                ));
            }
            if self.birth_death_until.is_some() {
                return Err(CliError::flag(
                    "--birth-death-until",
                    "only with --birth-death RATE",
                ));
            }
        }
        if let Some(rate) = self.birth_death {
            if !(rate.is_finite() && rate >= 0.0) {
                return Err(CliError::flag("--birth-death", "a finite rate ≥ 0"));
            }
            if let Some(t) = self.birth_death_until
                && !(t.is_finite() && t > 0.0)
            {
                return Err(CliError::flag("--birth-death-until", "a finite time > 0"));
            }
            if let Some(t) = self.birth_death_every
                && !(t.is_finite() && t > 0.0)
            {
                return Err(CliError::flag("--birth-death-every", "a finite time > 0"));
            }
            cfg.birth_death = Some(BirthDeath {
                rate,
                variant: self
                    .birth_death_variant
                    .as_deref()
                    .and_then(Variant::parse)
                    .unwrap_or_default(),
                until: self.birth_death_until,
                every: self.birth_death_every,
            });
        }
        if let Some(k) = self.teacher_width {
            if cfg.target.as_str() != "teacher" {
                return Err(CliError::flag(
                    "--teacher-width",
                    "only with --target teacher",
                ));
            }
            cfg.teacher_width = Some(k as usize);
        }
        cfg.init_c = if self.init_c == "normal" {
            InitC::Normal
        } else {
            InitC::Zero
        };
        cfg.init_z = InitZ::Sphere;
        cfg.evals_per_decade = self.evals_per_decade;
        cfg.step_rule = self
            .step_rule
            .as_deref()
            .map(|r| StepRule::parse(r).expect("clap checked"));
        cfg.tol = self.tol;
        cfg.dt_max = self.dt_max;
        cfg.polish = self.polish_config()?;
        Ok(cfg)
    }
}

impl RunArgs {
    /// The data sets of `--data` and `--test-data`, read and recorded (with the sets
    /// themselves); a file that cannot be read is a usage error naming it.
    pub fn data_sets(&self) -> Result<Option<(DataSets, DataTarget)>, CliError> {
        let Some(train_path) = &self.data else {
            if self.test_data.is_some() {
                return Err(CliError::flag("--test-data", "used with --data FILE"));
            }
            return Ok(None);
        };
        let read = |flag: &str, p: &str| {
            read_data(p).map_err(|e| CliError::flag(flag, format!("a readable data set ({e})")))
        };
        let train = read("--data", train_path)?;
        let test = self
            .test_data
            .as_deref()
            .map(|p| read("--test-data", p))
            .transpose()?;
        let sets = DataSets {
            train: train.source(Some(absolute_path(train_path))),
            test: test
                .as_ref()
                .zip(self.test_data.as_deref())
                .map(|(t, p)| t.source(Some(absolute_path(p)))),
        };
        let target = DataTarget::new(train, test)
            .map_err(|e| CliError::flag("--test-data", format!("a set like --data's ({e})")))?;
        Ok(Some((sets, target)))
    }

    /// The polish of `--polish [--polish-tol T] [--polish-iterations K] [--polish-method M]`
    /// (`None` without `--polish`; the other flags need it).
    pub fn polish_config(&self) -> Result<Option<Polish>, CliError> {
        if !self.polish {
            if self.polish_tol.is_some() {
                return Err(CliError::flag("--polish-tol", "given with --polish"));
            }
            if self.polish_iterations.is_some() {
                return Err(CliError::flag("--polish-iterations", "given with --polish"));
            }
            if self.polish_method.is_some() {
                return Err(CliError::flag("--polish-method", "given with --polish"));
            }
            return Ok(None);
        }
        let mut p = Polish::new(
            self.polish_tol.unwrap_or(DEFAULT_POLISH_TOL),
            self.polish_iterations.unwrap_or(DEFAULT_POLISH_ITERATIONS),
        );
        p.method = self.polish_method.clone();
        Ok(Some(p))
    }
}

/// Creates `dir` and checks that it can be written; otherwise a usage error naming `flag`.
pub fn prepare_out(dir: &std::path::Path, flag: &str) -> Result<(), CliError> {
    let bad = |e: std::io::Error| {
        CliError::flag(flag, format!("a writable folder ({}: {e})", dir.display()))
    };
    std::fs::create_dir_all(dir).map_err(bad)?;
    let probe = dir.join(".mf-write-probe");
    std::fs::write(&probe, b"").map_err(bad)?;
    std::fs::remove_file(&probe).map_err(bad)
}
