//! A training run: initial particles, data streams, the time loop, evaluations and checkpoints.
//!
//! The [`Trainer`] owns the schedule (evaluations on a log-spaced grid of t/Δt), the
//! divergence check and the checkpoints; the step itself is a [`Stepper`] on the step's
//! [`crate::dynamics::Field`] (module [`crate::dynamics`]). Time is kept one way for every
//! rule: each step aims at a grid point t* = kΔt (the next one for fixed-step rules, the next
//! evaluation for adaptive ones), t ← t + h, and t = t* exactly once the step lands there.

pub mod end_state;
pub mod memory;
mod source;

use crate::config::{Mode, StepRule, TrainConfig};
use crate::dynamics::birth_death::{BirthDeath, JumpCounts, jump, potentials, rates};
use crate::dynamics::stepper::{RuleContext, StepperFactory, no_custom_rules};
use crate::dynamics::{
    MinimiseReport, Minimiser, StepError, StepOutcome, Stepper, StopRule, Workspace, loss,
};
use crate::error::TrainError;
use crate::exact::{ExactRbf, ExactWorkspace};
use crate::network::{Network, Velocity};
use crate::output::checkpoint::{BirthDeathState, Checkpoint};
use crate::output::summary::PolishReport;
use crate::output::trace::TraceRow;
use crate::points::PointSet;
use crate::schedule::next_eval;
use crate::streams::{Purpose, StreamRng, stream, stream_from_state, stream_state};
use crate::target::{Target, target_for};
use crate::unit::{Unit, UnitFactory, builtin_unit, is_builtin_name};
use end_state::EndDiagnostics;
use faer::Par;
use source::{Source, Streams};
use std::sync::Arc;

/// Growth of the loss over its initial value beyond which a run is declared divergent.
pub const DIVERGENCE_FACTOR: f64 = 1e6;

/// A run in progress. Construct with [`Trainer::new`] (or [`Trainer::with_unit`],
/// [`Trainer::with_target`], [`Trainer::from_checkpoint`]), advance with [`Trainer::run`].
pub struct Trainer {
    config: TrainConfig,
    unit: Box<dyn Unit>,
    target: Arc<dyn Target>,
    net: Network,
    test: PointSet,
    source: Source,
    data_rng: StreamRng,
    batch_rng: StreamRng,
    ws: Workspace,
    stepper: Box<dyn Stepper>,
    step: u64,
    time: f64,
    last_batch_loss: Option<f64>,
    trace: Vec<TraceRow>,
    initial_test_loss: f64,
    par: Par,
    /// Velocity buffer of the evaluations' diagnostics.
    eval_vel: Velocity,
    /// End-state diagnostics, once [`Trainer::finish`] ran.
    end: Option<EndDiagnostics>,
    /// The polish and the polished particles, once [`Trainer::polish`] ran.
    polished: Option<(PolishReport, Network)>,
    /// The birth–death stream, the births and deaths so far, and the time since the last
    /// jumps.
    birth_death: (StreamRng, JumpCounts, f64),
    /// Set from another thread to stop the configured polish before its next iteration
    /// ([`Trainer::set_polish_cancel`]).
    polish_cancel: Option<Arc<std::sync::atomic::AtomicBool>>,
}

/// The closed forms of exact mode: RBF units on the 3-spin target, or on an RBF teacher of
/// the same σ.
fn exact_field_for(target: &dyn Target, unit: &dyn Unit) -> Result<ExactRbf, TrainError> {
    let sigma = unit.gaussian_width();
    if let (Some(model), Some(sigma)) = (target.spin_model(), sigma) {
        return Ok(ExactRbf::new(model.clone(), sigma));
    }
    if let (Some(t), Some(sigma)) = (target.teacher(), sigma) {
        if t.sigma() != sigma {
            return Err(TrainError::config(
                "sigma",
                format!("the teacher's σ = {} in exact mode", t.sigma()),
            ));
        }
        return Ok(ExactRbf::with_teacher(Arc::new(t.clone())));
    }
    Err(TrainError::config(
        "mode",
        "gd, sgd or online for a custom unit or target (exact mode needs RBF units on the 3-spin or teacher target)",
    ))
}

/// Checks that `unit` is the unit `config` names: the shipped unit with the config's
/// parameters, or (for `units = custom`) a unit whose name is not a shipped one's.
fn check_unit(config: &TrainConfig, unit: &dyn Unit) -> Result<(), TrainError> {
    let spec = unit.spec();
    match config.builtin_spec() {
        Some(want) if want != spec => Err(TrainError::Unit(format!(
            "the config names {want} but the unit given is {spec} (set the config's sigma, or units = custom for a unit of your own)"
        ))),
        None if is_builtin_name(&spec.name) => Err(TrainError::Unit(format!(
            "a custom unit must not take the name of a shipped unit ({spec})"
        ))),
        _ => Ok(()),
    }
}

impl Trainer {
    /// Validates `config`, draws the test set, training set and initial particles from their
    /// streams, and evaluates nothing yet. `par` is the parallelism of the products (use
    /// `Par::Seq` when runs are parallel over replicas).
    pub fn new(config: TrainConfig, par: Par) -> Result<Self, TrainError> {
        let unit = config.builtin_unit().ok_or_else(|| {
            TrainError::config(
                "units",
                "rbf or relu (a custom unit needs Trainer::with_unit)",
            )
        })?;
        Self::with_unit(config, unit, par)
    }

    /// As [`Trainer::new`] with a unit of your own (any [`Unit`] implementation, with
    /// `config.units = UnitKind::CUSTOM`; or a shipped unit equal to the one the config names):
    /// the extension point for new units, with no change inside this crate. Exact mode needs
    /// the RBF unit.
    pub fn with_unit(
        config: TrainConfig,
        unit: Box<dyn Unit>,
        par: Par,
    ) -> Result<Self, TrainError> {
        let target = target_for(&config)?;
        Self::with_target(config, unit, target, par)
    }

    /// As [`Trainer::with_unit`] with a target of your own (any [`Target`] of dimension
    /// `config.dim`): the extension point for new targets. Exact mode needs the 3-spin target.
    pub fn with_target(
        config: TrainConfig,
        unit: Box<dyn Unit>,
        target: Arc<dyn Target>,
        par: Par,
    ) -> Result<Self, TrainError> {
        config.validate()?;
        check_unit(&config, unit.as_ref())?;
        let (seed, rep) = (config.seed, config.replica);
        let mut init_rng = stream(seed, rep, Purpose::Init);
        let net = Network::init(
            unit.as_ref(),
            config.width,
            config.dim,
            target.radius(),
            config.init_c,
            &mut init_rng,
        );
        let data_rng = stream(seed, rep, Purpose::Data);
        let batch_rng = stream(seed, rep, Purpose::Minibatch);
        let rngs = (data_rng, batch_rng);
        Self::assemble(config, par, target, unit, net, rngs, &no_custom_rules)
    }

    fn assemble(
        config: TrainConfig,
        par: Par,
        target: Arc<dyn Target>,
        unit: Box<dyn Unit>,
        net: Network,
        (mut data_rng, batch_rng): (StreamRng, StreamRng),
        extensions_steppers: &StepperFactory,
    ) -> Result<Self, TrainError> {
        let d = config.dim;
        let (bd_seed, bd_replica) = (config.seed, config.replica);
        if target.dim() != d {
            return Err(TrainError::config(
                "dim",
                format!("the target's dimension {}", target.dim()),
            ));
        }
        memory::check_dense_memory(&config, unit.param_dim(d), memory::available_bytes())?;
        let data = target.data();
        match (data, &config.data) {
            (Some(t), Some(_)) => t.check(&config)?,
            (None, None) => {}
            (Some(_), None) => {
                return Err(TrainError::config(
                    "data",
                    "the record of the target's data sets in the config (DataSets)",
                ));
            }
            (None, Some(_)) => {
                return Err(TrainError::config(
                    "target",
                    "a data target (target::DataTarget) for a config with data",
                ));
            }
        }
        let test = match data {
            Some(t) => t.test_points(),
            None => PointSet::sample(
                target.as_ref(),
                config.test_size,
                &mut stream(config.seed, 0, Purpose::Test),
                par,
            ),
        };
        // the training set is a pure function of (seed, replica) or the data set:
        // regenerated on resume
        let train_set = || match data {
            Some(t) => t.train_points(),
            None => {
                let mut rng = stream(config.seed, config.replica, Purpose::Data);
                PointSet::sample(target.as_ref(), config.train_size, &mut rng, par)
            }
        };
        let source = match config.mode {
            Mode::Gd => Source::Train(train_set()),
            Mode::Sgd => Source::Minibatch {
                train: train_set(),
                perm: (0..config.train_size).collect(),
                batch: PointSet::zeros(config.batch, d),
                size: config.batch,
            },
            Mode::Online => Source::Online(PointSet::zeros(config.batch, d)),
            Mode::Exact => {
                let ex = exact_field_for(target.as_ref(), unit.as_ref())?;
                Source::Exact(Box::new((ex, ExactWorkspace::new(config.width, d))))
            }
        };
        if config.mode != Mode::Online {
            data_rng = stream(config.seed, config.replica, Purpose::Data);
        }
        let ws = Workspace::new(
            unit.as_ref(),
            config.width,
            d,
            config.points_per_step().max(config.test_size),
        );
        let stepper = stepper_for(
            &config,
            &net,
            target.zero_network_loss(),
            extensions_steppers,
        )?;
        let eval_vel = Velocity::zeros(net.width(), net.param_dim());
        Ok(Self {
            eval_vel,
            end: None,
            polished: None,
            stepper,
            config,
            unit,
            target,
            net,
            test,
            source,
            data_rng,
            batch_rng,
            ws,
            step: 0,
            time: 0.0,
            last_batch_loss: None,
            trace: Vec::new(),
            initial_test_loss: f64::NAN,
            par,
            birth_death: (
                stream(bd_seed, bd_replica, Purpose::BirthDeath),
                JumpCounts::default(),
                0.0,
            ),
            polish_cancel: None,
        })
    }

    /// Restores a run of the shipped units, step rules and targets from a [`Checkpoint`];
    /// continuing it gives the same bits as a run that was never stopped.
    pub fn from_checkpoint(ck: Checkpoint, par: Par) -> Result<Self, TrainError> {
        Self::from_checkpoint_with(ck, &Extensions::default(), par)
    }

    /// Restores a run of a unit, step rule or target of your own: `ext.units` rebuilds the
    /// unit from the checkpoint's [`crate::UnitSpec`], `ext.steppers` a step rule that is not
    /// shipped from the name the config records, `ext.target` is the target (default: the
    /// config's). Resuming with a different unit than the checkpoint's is an error.
    pub fn from_checkpoint_with(
        ck: Checkpoint,
        ext: &Extensions<'_>,
        par: Par,
    ) -> Result<Self, TrainError> {
        ck.config.validate()?;
        let config = ck.config.clone();
        let spec = ck
            .unit
            .clone()
            .or_else(|| config.builtin_spec())
            .ok_or_else(|| {
                TrainError::Unit("the checkpoint of a custom unit does not record the unit".into())
            })?;
        let unit = (ext.units)(&spec).ok_or_else(|| {
            TrainError::Unit(format!(
                "the checkpoint's unit {spec} is not one the factory knows (resume a custom unit with Trainer::from_checkpoint_with and its factory)"
            ))
        })?;
        if unit.spec() != spec {
            return Err(TrainError::Unit(format!(
                "the factory built {} for the checkpoint's {spec}",
                unit.spec()
            )));
        }
        check_unit(&config, unit.as_ref())?;
        let target = match &ext.target {
            Some(t) => t.clone(),
            None => target_for(&config)?,
        };
        let q = unit.param_dim(config.dim);
        let stepper_state = ck.stepper_state();
        let net = Network::from_rows(ck.c, &ck.z, q)
            .filter(|n| n.width() == config.width)
            .ok_or(TrainError::Checkpoint(
                "its width or parameter count differs from the config's",
            ))?;
        let mut t = Self::assemble(
            config,
            par,
            target,
            unit,
            net,
            (
                stream_from_state(ck.data_rng),
                stream_from_state(ck.batch_rng),
            ),
            ext.steppers,
        )?;
        if t.config.mode == Mode::Online {
            t.data_rng = stream_from_state(ck.data_rng);
        }
        t.step = ck.step;
        t.time = if t.stepper.is_adaptive() {
            ck.time
        } else {
            ck.step as f64 * t.config.dt
        };
        if let Some(s) = stepper_state {
            t.stepper.restore(s);
        }
        if let Some(bd) = ck.birth_death {
            t.birth_death = (stream_from_state(bd.rng), bd.counts, bd.since);
        }
        t.trace = ck.trace;
        t.initial_test_loss = ck.initial_test_loss;
        t.last_batch_loss = ck.last_batch_loss;
        Ok(t)
    }

    /// The state needed to continue this run later.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            config: self.config.clone(),
            unit: Some(self.unit.spec()),
            step: self.step,
            c: self.net.c.clone(),
            z: self.net.z_rows(),
            data_rng: stream_state(&self.data_rng),
            batch_rng: stream_state(&self.batch_rng),
            last_batch_loss: self.last_batch_loss,
            trace: self.trace.clone(),
            initial_test_loss: self.initial_test_loss,
            time: self.time,
            adaptive: self.stepper.state().map(|s| (s.h, s.accepted, s.rejected)),
            stepper_memory: self.stepper.state().and_then(|s| s.memory),
            birth_death: self.config.birth_death.map(|_| BirthDeathState {
                rng: stream_state(&self.birth_death.0),
                counts: self.birth_death.1,
                since: self.birth_death.2,
            }),
        }
    }

    /// Births and deaths of the birth–death term so far (zero without one).
    pub fn birth_death_counts(&self) -> JumpCounts {
        self.birth_death.1
    }

    /// The grid position k of the time axis: the steps taken for a fixed-step rule,
    /// ⌊t/Δt⌋ for an adaptive one.
    pub fn grid_position(&self) -> u64 {
        if self.stepper.is_adaptive() {
            (self.time / self.config.dt + 1e-9).floor() as u64
        } else {
            self.step
        }
    }

    /// Advances to t = `until` Δt, evaluating on the log grid of t/Δt and at `until`.
    /// `on_step` is called after every step with the grid position (steps taken for a
    /// fixed-step rule, ⌊t/Δt⌋ for an adaptive one); `on_eval` after every evaluation (e.g. to
    /// write a checkpoint). Stops with [`TrainError::Diverged`] when the loss is non-finite or
    /// exceeds [`DIVERGENCE_FACTOR`] × its initial value, or an adaptive step underflows.
    pub fn run(
        &mut self,
        until: u64,
        on_step: &mut dyn FnMut(u64),
        on_eval: &mut dyn FnMut(&Trainer) -> Result<(), TrainError>,
    ) -> Result<(), TrainError> {
        self.run_until_stopped(
            until,
            &mut |k| {
                on_step(k);
                std::ops::ControlFlow::Continue(())
            },
            on_eval,
        )
        .map(|_| ())
    }

    /// As [`Trainer::run`], but `on_step` may stop the run after any step
    /// (`ControlFlow::Break`): returns `Ok(true)` when t = `until` Δt was reached, `Ok(false)`
    /// when stopped. A stopped run is valid but between evaluations; to continue it bit for
    /// bit as if never stopped, resume from the [`Trainer::checkpoint`] of its last evaluation
    /// (what `mf train` writes and the Python package keeps on Ctrl-C).
    pub fn run_until_stopped(
        &mut self,
        until: u64,
        on_step: &mut dyn FnMut(u64) -> std::ops::ControlFlow<()>,
        on_eval: &mut dyn FnMut(&Trainer) -> Result<(), TrainError>,
    ) -> Result<bool, TrainError> {
        let (dt, per_decade) = (self.config.dt, self.config.evals_per_decade);
        if self.trace.last().map(|r| r.step) != Some(self.step) {
            self.evaluate()?;
            on_eval(self)?;
        }
        let t_end = until as f64 * dt;
        let adaptive = self.stepper.is_adaptive();
        let mut next = next_eval(self.grid_position(), per_decade).min(until);
        while self.time < t_end {
            // the grid point this step aims at
            let goal = if adaptive {
                next
            } else {
                self.grid_position() + 1
            };
            let target = goal as f64 * dt;
            let span = if adaptive { target - self.time } else { dt };
            self.advance(span, Some(target))?;
            let flow = on_step(self.grid_position());
            if self.time >= next as f64 * dt {
                self.evaluate()?;
                on_eval(self)?;
                next = next_eval(next, per_decade).min(until);
            }
            if flow.is_break() && self.time < t_end {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Takes one step without evaluating (for benchmarks and custom loops): Δt for a
    /// fixed-step rule, the rule's own step for an adaptive one. Returns the loss on the step's
    /// points before the move.
    pub fn step_once(&mut self) -> Result<f64, TrainError> {
        let span = if self.stepper.is_adaptive() {
            f64::INFINITY
        } else {
            self.config.dt
        };
        Ok(self.advance(span, None)?.loss_before)
    }

    /// One step of at most `span` (exactly `span` for a fixed-step rule) aiming at the grid
    /// time `target`; updates the clock and checks for divergence.
    fn advance(&mut self, span: f64, target: Option<f64>) -> Result<StepOutcome, TrainError> {
        let par = self.par;
        let mut field = self.source.step_field(
            self.unit.as_ref(),
            self.target.as_ref(),
            &mut self.ws,
            Streams {
                data: &mut self.data_rng,
                batch: &mut self.batch_rng,
            },
            par,
        );
        let out = match self.stepper.step(&mut self.net, &mut field, span) {
            Ok(out) => out,
            Err(StepError::Underflow { h }) => {
                return Err(TrainError::StepUnderflow {
                    step: self.step,
                    time: self.time,
                    h,
                    rule: self.stepper.name().to_string(),
                });
            }
            Err(e @ StepError::NeedsHessian { .. }) => {
                return Err(TrainError::Step {
                    step: self.step,
                    source: e,
                });
            }
        };
        let t_before = self.time;
        self.step += 1;
        self.time += out.dt;
        if let Some(t) = target
            && (self.time - t).abs() <= 1e-12 * t
        {
            self.time = t;
        }
        if let Some(bd) = self.config.birth_death
            && bd.rate > 0.0
            && bd.until.is_none_or(|u| t_before < u)
        {
            self.birth_death.2 += out.dt;
            let since = self.birth_death.2;
            if bd.every.is_none_or(|tau| since >= tau * (1.0 - 1e-12)) {
                self.birth_death.2 = 0.0;
                self.birth_death_jumps(bd, since);
            }
        }
        let l = out.loss_before;
        self.last_batch_loss = Some(l);
        let reference = self.initial_test_loss.max(self.target.zero_network_loss());
        if !l.is_finite() || l > DIVERGENCE_FACTOR * reference {
            return Err(TrainError::Diverged {
                step: self.step,
                loss: l,
                dt: self.config.dt,
            });
        }
        Ok(out)
    }

    /// The jump part of birth–death dynamics over the step just taken (`dt`): the potentials
    /// V_i = −c_i v^c_i from the velocity of the objective's field (exact: the population loss;
    /// gd, sgd: the training set; online: a fresh batch of P points from the birth–death
    /// stream), the rates, the jumps. A step that changed the population resets the stepper
    /// (its stored stage and factorisation belong to the old particles).
    fn birth_death_jumps(&mut self, bd: BirthDeath, dt: f64) {
        let par = self.par;
        let n = self.net.width();
        let online = if self.config.mode == Mode::Online {
            Some(PointSet::sample(
                self.target.as_ref(),
                self.config.batch,
                &mut self.birth_death.0,
                par,
            ))
        } else {
            None
        };
        {
            let mut field = match &online {
                Some(points) => {
                    source::StepField::Sampled(crate::dynamics::sampled::SampledField {
                        unit: self.unit.as_ref(),
                        points,
                        ws: &mut self.ws,
                        par,
                    })
                }
                None => {
                    self.source
                        .objective_field(self.unit.as_ref(), &self.test, &mut self.ws, par)
                }
            };
            crate::dynamics::Field::velocity(&mut field, &self.net, &mut self.eval_vel);
        }
        let mut v = vec![0.0; n];
        potentials(&self.net.c, &self.eval_vel.c, &mut v);
        let mut u = vec![0.0; n];
        rates(&v, bd.rate, &mut u);
        let (unit, d, radius, init_c) = (
            self.unit.as_ref(),
            self.config.dim,
            self.target.radius(),
            self.config.init_c,
        );
        let mut prior = |rng: &mut StreamRng| {
            let one = Network::init(unit, 1, d, radius, init_c, rng);
            let q = one.param_dim();
            (one.c[0], (0..q).map(|k| one.z[(0, k)]).collect())
        };
        let counts = jump(
            &mut self.net,
            &u,
            dt,
            bd.variant,
            &mut self.birth_death.0,
            &mut prior,
        );
        self.birth_death.1.births += counts.births;
        self.birth_death.1.deaths += counts.deaths;
        self.birth_death.1.occasions += 1;
        if counts.any() {
            self.stepper.reset();
        }
    }

    /// Evaluates the test (and train) loss at the current step and appends a trace row.
    fn evaluate(&mut self) -> Result<(), TrainError> {
        let par = self.par;
        let mc = loss(self.unit.as_ref(), &self.net, &self.test, &mut self.ws, par);
        let (test_loss, mc_test_loss) = match self.source.exact() {
            Some((ex, ws)) => (ex.loss(&self.net, ws, par), Some(mc)),
            None => (mc, None),
        };
        if self.step == 0 || !self.initial_test_loss.is_finite() {
            self.initial_test_loss = test_loss;
        }
        let train_loss = self
            .source
            .train_set()
            .map(|t| loss(self.unit.as_ref(), &self.net, t, &mut self.ws, par));
        let cf = self.target.zero_network_loss();
        let grad_norm = {
            let mut field =
                self.source
                    .objective_field(self.unit.as_ref(), &self.test, &mut self.ws, par);
            crate::dynamics::Field::velocity(&mut field, &self.net, &mut self.eval_vel);
            self.eval_vel.norm()
        };
        let adaptive = self.stepper.state();
        let last_dt = adaptive.map(|_| {
            let prev = self.trace.last().map(|r| (r.step, r.time));
            match prev {
                Some((s0, t0)) if self.step > s0 => (self.time - t0) / (self.step - s0) as f64,
                _ => self.config.dt,
            }
        });
        self.trace.push(TraceRow {
            step: self.step,
            time: self.time,
            test_loss,
            relative_test_loss: test_loss / cf,
            train_loss,
            batch_loss: self.last_batch_loss,
            dt: last_dt,
            rejected: adaptive.map(|a| a.rejected),
            mc_test_loss,
            grad_norm: Some(grad_norm),
            max_abs_c: Some(self.net.max_abs_c()),
            min_pair_distance: Some(self.net.min_pair_distance()),
        });
        if !test_loss.is_finite() || test_loss > DIVERGENCE_FACTOR * self.initial_test_loss.max(cf)
        {
            return Err(TrainError::Diverged {
                step: self.step,
                loss: test_loss,
                dt: self.config.dt,
            });
        }
        Ok(())
    }

    /// Runs `minimiser` from the current state on the run's fixed loss (the exact population
    /// loss, or gd's training loss) and returns the minimised state and the report; the run
    /// itself (its particles and time) is unchanged. Errors in sgd and online modes, whose
    /// loss changes every step.
    pub fn minimise(
        &mut self,
        minimiser: &mut dyn Minimiser,
        rule: &StopRule,
    ) -> Result<(Network, MinimiseReport), TrainError> {
        let mut net = self.net.clone();
        let mut field = self
            .source
            .fixed_field(self.unit.as_ref(), &mut self.ws, self.par)
            .ok_or_else(|| {
                TrainError::config("mode", "exact or gd to minimise (a fixed loss is needed)")
            })?;
        let report = minimiser.minimise(&mut net, &mut field, rule);
        Ok((net, report))
    }

    /// Ends the run: computes the end-state diagnostics of the current state
    /// ([`Trainer::diagnose`]) and, when the config asks for a polish, runs it with the
    /// configured method (from the minimiser registry) — the one place a run's polish is run,
    /// for `mf train`, `mf scan` and the library alike.
    pub fn finish(&mut self) -> Result<&EndDiagnostics, TrainError> {
        self.diagnose();
        if let Some(p) = self.config.polish.clone() {
            let (mut m, mut rule) = polish_minimiser(&p).ok_or_else(|| {
                TrainError::config(
                    "polish_method",
                    format!(
                        "one of {}",
                        crate::dynamics::minimisers::minimiser_names().join(", ")
                    ),
                )
            })?;
            rule.cancel = self.polish_cancel.clone();
            self.polish(m.as_mut(), &rule)?;
        }
        Ok(self.end.as_ref().expect("diagnosed"))
    }

    /// Computes the end-state diagnostics of the current state (‖v‖, max|c|, min pair distance,
    /// in exact mode the extreme eigenvalues of H = n∇²ℓ) and its end state (module
    /// [`end_state`]); kept for `summary.json`.
    pub fn diagnose(&mut self) -> &EndDiagnostics {
        let par = self.par;
        let (n, q) = (self.net.width(), self.net.param_dim());
        let big = n * (q + 1);
        let mut field =
            self.source
                .objective_field(self.unit.as_ref(), &self.test, &mut self.ws, par);
        crate::dynamics::Field::velocity(&mut field, &self.net, &mut self.eval_vel);
        let grad_norm = self.eval_vel.norm();
        let loss = crate::dynamics::Field::loss(&mut field, &self.net);
        // the Hessian's eigenpairs, where the field has a Hessian (exact mode)
        let curvature = if crate::dynamics::Field::has_hessian(&field) {
            let mut h = faer::Mat::<f64>::zeros(big, big);
            let mut v = vec![0.0; big];
            self.eval_vel.to_flat(&mut v);
            crate::dynamics::Field::hessian(&mut field, &self.net, h.as_mut())
                .and_then(|_| crate::dynamics::dense::symmetric_eigen(h.as_ref()))
                .map(|(ev, q)| end_state::Curvature::from_eigen(&ev, q.as_ref(), &v, n))
        } else {
            None
        };
        let (state, reason) = end_state::end_state(
            &self.trace,
            grad_norm,
            big,
            self.target.zero_network_loss(),
            loss,
            curvature,
        );
        self.end.insert(EndDiagnostics {
            grad_norm,
            max_abs_c: self.net.max_abs_c(),
            min_pair_distance: self.net.min_pair_distance(),
            hessian_min_eigenvalue: curvature.map(|c| c.min_eigenvalue),
            hessian_max_abs_eigenvalue: curvature.map(|c| c.max_abs_eigenvalue),
            newton_decrease: curvature.map(|c| c.newton_decrease),
            end_state: state,
            end_state_reason: reason,
        })
    }

    /// The end-state diagnostics, once [`Trainer::finish`] ran.
    pub fn end_diagnostics(&self) -> Option<&EndDiagnostics> {
        self.end.as_ref()
    }

    /// Polishes the current state with `minimiser` on the exact population loss (exact mode
    /// only) and keeps the result beside the flow's state (the run's particles and time do
    /// not change): a lower bound on lim ℓ_n(t), never a point of the flow. A minimiser that
    /// cannot decrease the loss leaves the flow's state as the polished one and says so
    /// (`polish_stop = "no-decrease"`).
    pub fn polish(
        &mut self,
        minimiser: &mut dyn Minimiser,
        rule: &StopRule,
    ) -> Result<&PolishReport, TrainError> {
        if self.config.mode != Mode::Exact {
            return Err(TrainError::config(
                "polish",
                "used with --mode exact only (it minimises the exact population loss)",
            ));
        }
        let (mut net, report) = self.minimise(minimiser, rule)?;
        let improved = report.loss_after < report.loss_before && net.is_finite();
        if !improved {
            net = self.net.clone();
        }
        let (loss, grad) = {
            let (ex, ws) = self.source.exact().expect("exact mode");
            let l = ex.velocity(&net, ws, &mut self.eval_vel, self.par);
            (l, self.eval_vel.norm())
        };
        let stop = if !improved {
            "no-decrease"
        } else {
            match report.stop {
                crate::dynamics::Stop::Converged => "converged",
                crate::dynamics::Stop::Stalled => "stalled",
                crate::dynamics::Stop::Budget => "budget",
                crate::dynamics::Stop::Cancelled => "cancelled",
            }
        };
        let out = PolishReport {
            polish_method: minimiser.name().to_string(),
            polished_test_loss: loss,
            polished_relative_test_loss: loss / self.target.zero_network_loss(),
            polish_iterations: report.iterations,
            polish_grad_norm: grad,
            polish_max_abs_c: net.max_abs_c(),
            polish_stop: stop.to_string(),
        };
        let (r, _) = self.polished.insert((out, net));
        Ok(r)
    }

    /// The polish report and the polished particles, once [`Trainer::polish`] ran.
    pub fn polished(&self) -> Option<(&PolishReport, &Network)> {
        self.polished.as_ref().map(|(r, n)| (r, n))
    }

    /// Replaces the step rule (chosen from `config.step_rule` by default) with `stepper`: the
    /// extension point for new step rules. The config records its [`Stepper::name`] (so the
    /// checkpoint names it, and [`Trainer::from_checkpoint_with`] rebuilds it through a
    /// [`StepperFactory`]); its state is checkpointed through [`Stepper::state`].
    pub fn with_stepper(mut self, stepper: Box<dyn Stepper>) -> Self {
        self.config.step_rule = Some(StepRule::new(stepper.name()));
        self.stepper = stepper;
        self
    }

    /// Sets the polish of the run's config (e.g. `--polish` on `--resume`), validated.
    pub fn set_polish(&mut self, polish: Option<crate::config::Polish>) -> Result<(), TrainError> {
        let mut c = self.config.clone();
        c.polish = polish;
        c.validate()?;
        self.config = c;
        Ok(())
    }

    /// A flag that stops the configured polish of [`Trainer::finish`] before its next iteration
    /// once set (from another thread); the polish then reports `polish_stop = "cancelled"` and
    /// keeps what it reached.
    pub fn set_polish_cancel(&mut self, flag: Option<Arc<std::sync::atomic::AtomicBool>>) {
        self.polish_cancel = flag;
    }

    /// Changes the configured number of steps (to continue a run further than planned).
    pub fn set_steps(&mut self, steps: u64) {
        self.config.steps = steps;
    }
    /// The config.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }
    /// The unit.
    pub fn unit(&self) -> &dyn Unit {
        self.unit.as_ref()
    }
    /// The target.
    pub fn target(&self) -> &dyn Target {
        self.target.as_ref()
    }
    /// The particles.
    pub fn network(&self) -> &Network {
        &self.net
    }
    /// The step rule.
    pub fn stepper(&self) -> &dyn Stepper {
        self.stepper.as_ref()
    }
    /// Steps taken.
    pub fn step(&self) -> u64 {
        self.step
    }
    /// Mean-field time reached.
    pub fn time(&self) -> f64 {
        self.time
    }
    /// Trace rows so far.
    pub fn trace(&self) -> &[TraceRow] {
        &self.trace
    }
    /// Test loss at step 0.
    pub fn initial_test_loss(&self) -> f64 {
        self.initial_test_loss
    }
    /// The test set.
    pub fn test_set(&self) -> &PointSet {
        &self.test
    }
}

/// The step rule of a config: the shipped rule it names (or the default of its mode) from the
/// registry ([`crate::dynamics::rules`]), else a custom rule from `steppers`; adaptive rules
/// start at Δt, are capped at `dt_max`, with the descent check's round-off allowance 1e-12 C_f.
fn stepper_for(
    config: &TrainConfig,
    net: &Network,
    cf: f64,
    steppers: &StepperFactory,
) -> Result<Box<dyn Stepper>, TrainError> {
    let ctx = RuleContext {
        net,
        dt: config.dt,
        h_max: config.dt_max.unwrap_or(f64::INFINITY),
        tol: config.tol,
        floor: 1e-12 * cf,
    };
    match config.step_rule_spec() {
        Some(spec) => Ok((spec.build)(&ctx)),
        None => {
            let name = config.step_rule.as_ref().map_or("", |r| r.as_str());
            steppers(name, &ctx).ok_or_else(|| {
                TrainError::config(
                    "step_rule",
                    format!(
                        "one of {} ({name} is not shipped: run it with Trainer::with_stepper and resume it with Trainer::from_checkpoint_with and its factory)",
                        crate::dynamics::rules::rule_names().join(", ")
                    ),
                )
            })
        }
    }
}

/// What a run of a unit, step rule or target of your own needs to be rebuilt from its
/// checkpoint ([`Trainer::from_checkpoint_with`]); the default knows the shipped ones only.
pub struct Extensions<'a> {
    /// Rebuilds the unit from its spec.
    pub units: &'a UnitFactory,
    /// Rebuilds a step rule that is not shipped from its name.
    pub steppers: &'a StepperFactory,
    /// The target (`None`: the config's, from the target registry).
    pub target: Option<Arc<dyn Target>>,
}

impl Default for Extensions<'static> {
    fn default() -> Self {
        Self {
            units: &builtin_unit,
            steppers: &no_custom_rules,
            target: None,
        }
    }
}

/// The minimiser and stop rule of a config's polish: the method of the minimiser registry
/// ([`crate::dynamics::minimisers`]; default the trust-region Newton method) with the
/// config's gradient tolerance and iteration budget (`None` for an unknown method).
pub fn polish_minimiser(p: &crate::config::Polish) -> Option<(Box<dyn Minimiser>, StopRule)> {
    let spec = crate::dynamics::minimisers::minimiser(p.method_name())?;
    Some((
        (spec.build)(),
        StopRule {
            grad_tol: p.tol,
            max_iterations: p.max_iterations,
            ..StopRule::default()
        },
    ))
}
