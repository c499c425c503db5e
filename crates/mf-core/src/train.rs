//! A training run: initial particles, data streams, the time loop, evaluations and checkpoints.

use crate::config::{Mode, StepRule, TrainConfig};
use crate::dynamics::{ForwardEuler, Integrator, Velocity, Workspace, loss, velocity};
use crate::error::TrainError;
use crate::exact::adaptive::AdaptiveMethod;
use crate::exact::{AdaptiveStepper, ExactRbf, ExactWorkspace};
use crate::network::Network;
use crate::output::TraceRow;
use crate::points::PointSet;
use crate::schedule::next_eval;
use crate::streams::{Purpose, StreamRng, stream, stream_from_state, stream_state};
use crate::target::{SpinTarget, Target};
use crate::unit::Unit;
use faer::{Mat, Par};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use spin_target::SpinModel;
use std::sync::Arc;

/// Growth of the loss over its initial value beyond which a run is declared divergent.
pub const DIVERGENCE_FACTOR: f64 = 1e6;

/// A run in progress. Construct with [`Trainer::new`] or [`Trainer::from_checkpoint`], advance
/// with [`Trainer::run`].
pub struct Trainer {
    config: TrainConfig,
    unit: Box<dyn Unit>,
    target: Arc<dyn Target>,
    net: Network,
    test: PointSet,
    train: Option<PointSet>,
    batch: PointSet,
    perm: Vec<usize>,
    data_rng: StreamRng,
    batch_rng: StreamRng,
    ws: Workspace,
    integrator: Box<dyn Integrator>,
    exact: Option<ExactState>,
    step: u64,
    time: f64,
    last_batch_loss: Option<f64>,
    trace: Vec<TraceRow>,
    initial_test_loss: f64,
    par: Par,
}

/// The exact-mode machinery: closed forms, their work arrays, and the adaptive stepper.
struct ExactState {
    ex: ExactRbf,
    ws: ExactWorkspace,
    stepper: Option<AdaptiveStepper>,
}

/// Everything needed to continue a run bit for bit (see [`Trainer::checkpoint`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The run's config.
    pub config: TrainConfig,
    /// Steps taken.
    pub step: u64,
    /// Charges c_i.
    pub c: Vec<f64>,
    /// Unit parameters z_i, one array per unit.
    pub z: Vec<Vec<f64>>,
    /// State of the data stream.
    pub data_rng: [u8; 32],
    /// State of the minibatch stream.
    pub batch_rng: [u8; 32],
    /// Loss on the last batch.
    pub last_batch_loss: Option<f64>,
    /// Trace so far.
    pub trace: Vec<TraceRow>,
    /// Test loss at step 0.
    pub initial_test_loss: f64,
    /// Mean-field time reached.
    #[serde(default)]
    pub time: f64,
    /// Adaptive stepper state: (next step size, accepted, rejected).
    #[serde(default)]
    pub adaptive: Option<(f64, u64, u64)>,
}

impl Trainer {
    /// Validates `config`, draws the test set, training set and initial particles from their
    /// streams, and evaluates nothing yet. `par` is the parallelism of the products (use
    /// `Par::Seq` when runs are parallel over replicas).
    pub fn new(config: TrainConfig, par: Par) -> Result<Self, TrainError> {
        let unit = config.unit();
        Self::with_unit(config, unit, par)
    }

    /// As [`Trainer::new`] with a unit of your own (any [`Unit`] implementation): the extension
    /// point for new units, with no change inside this crate. `config.units` is then only a
    /// label; exact mode needs the crate's RBF unit.
    pub fn with_unit(
        config: TrainConfig,
        unit: Box<dyn Unit>,
        par: Par,
    ) -> Result<Self, TrainError> {
        let target = spin_target_for(&config)?;
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
        if config.mode == Mode::Exact && (unit.name() != "rbf" || target.spin_model().is_none()) {
            return Err(TrainError::config(
                "mode",
                "gd, sgd or online for a custom unit or target",
            ));
        }
        if target.dim() != config.dim {
            return Err(TrainError::config(
                "dim",
                format!("the target's dimension {}", target.dim()),
            ));
        }
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
        Self::assemble(config, par, target, unit, net, data_rng, batch_rng)
    }

    fn assemble(
        config: TrainConfig,
        par: Par,
        target: Arc<dyn Target>,
        unit: Box<dyn Unit>,
        net: Network,
        mut data_rng: StreamRng,
        batch_rng: StreamRng,
    ) -> Result<Self, TrainError> {
        let d = config.dim;
        let test = PointSet::sample(
            target.as_ref(),
            config.test_size,
            &mut stream(config.seed, 0, Purpose::Test),
            par,
        );
        // the training set is a pure function of (seed, replica): regenerated on resume
        let train = match config.mode {
            Mode::Gd | Mode::Sgd => {
                let mut rng = stream(config.seed, config.replica, Purpose::Data);
                Some(PointSet::sample(
                    target.as_ref(),
                    config.train_size,
                    &mut rng,
                    par,
                ))
            }
            Mode::Online | Mode::Exact => None,
        };
        if config.mode != Mode::Online {
            data_rng = stream(config.seed, config.replica, Purpose::Data);
        }
        let per_step = config.points_per_step();
        let batch_len = if config.mode == Mode::Gd { 0 } else { per_step };
        let q = unit.param_dim(d);
        let ws = Workspace::new(config.width, q, d, per_step.max(config.test_size));
        let exact = match (config.mode, target.spin_model()) {
            (Mode::Exact, Some(model)) => Some(model.clone()),
            _ => None,
        }
        .map(|model| {
            let ex = ExactRbf::new(model, config.resolved_sigma());
            let rule = config.resolved_step_rule();
            let stepper = (rule != StepRule::Fixed).then(|| {
                let mut st = AdaptiveStepper::new(
                    &net,
                    config.dt,
                    config.dt_max.unwrap_or(f64::INFINITY),
                    config.tol,
                );
                st.method = match rule {
                    StepRule::Backtracking => AdaptiveMethod::BacktrackingEuler,
                    StepRule::EulerHeun => AdaptiveMethod::EulerHeun,
                    _ => AdaptiveMethod::BogackiShampine,
                };
                st
            });
            ExactState {
                ex,
                ws: ExactWorkspace::new(config.width, d),
                stepper,
            }
        });
        let perm = if config.mode == Mode::Sgd {
            (0..config.train_size).collect()
        } else {
            Vec::new()
        };
        Ok(Self {
            integrator: Box::new(ForwardEuler::new(config.width, q)),
            batch: PointSet::zeros(batch_len, d),
            config,
            unit,
            target,
            net,
            test,
            train,
            perm,
            data_rng,
            batch_rng,
            ws,
            exact,
            step: 0,
            time: 0.0,
            last_batch_loss: None,
            trace: Vec::new(),
            initial_test_loss: f64::NAN,
            par,
        })
    }

    /// Restores a run from a [`Checkpoint`]; continuing it gives the same bits as a run that was
    /// never stopped.
    pub fn from_checkpoint(ck: Checkpoint, par: Par) -> Result<Self, TrainError> {
        ck.config.validate()?;
        let config = ck.config.clone();
        let target = spin_target_for(&config)?;
        let unit = config.unit();
        let q = unit.param_dim(config.dim);
        if ck.c.len() != config.width
            || ck.z.len() != config.width
            || ck.z.iter().any(|r| r.len() != q)
        {
            return Err(TrainError::Io(
                "checkpoint does not match its config (width or parameter count)".into(),
            ));
        }
        let net = Network {
            c: ck.c,
            z: Mat::from_fn(config.width, q, |i, k| ck.z[i][k]),
        };
        let mut t = Self::assemble(
            config,
            par,
            target,
            unit,
            net,
            stream_from_state(ck.data_rng),
            stream_from_state(ck.batch_rng),
        )?;
        if t.config.mode == Mode::Online {
            t.data_rng = stream_from_state(ck.data_rng);
        }
        t.step = ck.step;
        t.time = if t.config.resolved_step_rule() != StepRule::Fixed {
            ck.time
        } else {
            ck.step as f64 * t.config.dt
        };
        if let (Some(st), Some((h, acc, rej))) = (
            t.exact.as_mut().and_then(|e| e.stepper.as_mut()),
            ck.adaptive,
        ) {
            st.h = h;
            st.accepted = acc;
            st.rejected = rej;
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
            step: self.step,
            c: self.net.c.clone(),
            z: (0..self.net.width()).map(|i| self.net.z_row(i)).collect(),
            data_rng: stream_state(&self.data_rng),
            batch_rng: stream_state(&self.batch_rng),
            last_batch_loss: self.last_batch_loss,
            trace: self.trace.clone(),
            initial_test_loss: self.initial_test_loss,
            time: self.time,
            adaptive: self.stepper().map(|st| (st.h, st.accepted, st.rejected)),
        }
    }

    fn stepper(&self) -> Option<&AdaptiveStepper> {
        self.exact.as_ref().and_then(|e| e.stepper.as_ref())
    }

    /// Advances to step `until` (evaluating on the log grid and at `until`). `on_step` is called
    /// after every step with the step count; `on_eval` after every evaluation (e.g. to write a
    /// checkpoint). Stops with [`TrainError::Diverged`] when the loss is non-finite or exceeds
    /// [`DIVERGENCE_FACTOR`] × its initial value.
    pub fn run(
        &mut self,
        until: u64,
        on_step: &mut dyn FnMut(u64),
        on_eval: &mut dyn FnMut(&Trainer) -> Result<(), TrainError>,
    ) -> Result<(), TrainError> {
        let per_decade = self.config.evals_per_decade;
        if self.trace.last().map(|r| r.step) != Some(self.step) {
            self.evaluate()?;
            on_eval(self)?;
        }
        if self.stepper().is_some() {
            return self.run_adaptive(until, on_step, on_eval);
        }
        let mut next = next_eval(self.step, per_decade);
        while self.step < until {
            let l = self.advance()?;
            self.last_batch_loss = Some(l);
            on_step(self.step);
            if self.step == next || self.step == until {
                self.evaluate()?;
                on_eval(self)?;
                next = next_eval(self.step, per_decade);
            }
        }
        Ok(())
    }

    /// The adaptive loop: accepted steps of varying size, landing exactly on the evaluation times
    /// t = k Δt of the step grid, until t = `until` Δt. `on_step` gets the grid position ⌊t/Δt⌋.
    fn run_adaptive(
        &mut self,
        until: u64,
        on_step: &mut dyn FnMut(u64),
        on_eval: &mut dyn FnMut(&Trainer) -> Result<(), TrainError>,
    ) -> Result<(), TrainError> {
        let dt = self.config.dt;
        let per_decade = self.config.evals_per_decade;
        let t_end = until as f64 * dt;
        let position = |t: f64| (t / dt + 1e-9).floor() as u64;
        let mut next = next_eval(position(self.time), per_decade).min(until);
        let floor = 1e-12 * self.target.zero_network_loss();
        let par = self.par;
        while self.time < t_end {
            let target = next as f64 * dt;
            let st = self.exact.as_mut().expect("adaptive runs are exact");
            let (ex, ws) = (&st.ex, &mut st.ws);
            let stepper = st.stepper.as_mut().expect("adaptive");
            let out = stepper.step(&mut self.net, target - self.time, floor, &mut |net, vel| {
                ex.velocity(net, ws, vel, par)
            });
            let Some(out) = out else {
                return Err(TrainError::Diverged {
                    step: self.step,
                    loss: f64::NAN,
                    dt: stepper.h,
                });
            };
            self.step += 1;
            self.time += out.dt;
            if (self.time - target).abs() <= 1e-12 * target {
                self.time = target;
            }
            self.last_batch_loss = Some(out.loss_before);
            on_step(position(self.time));
            if self.time >= target {
                self.evaluate()?;
                on_eval(self)?;
                next = next_eval(next, per_decade).min(until);
            }
        }
        Ok(())
    }

    /// Takes one step without evaluating (for benchmarks and custom loops); returns the loss on
    /// the step's points before the move.
    pub fn step_once(&mut self) -> Result<f64, TrainError> {
        let l = self.advance()?;
        self.last_batch_loss = Some(l);
        Ok(l)
    }

    /// One step of the dynamics; returns the loss on the step's points before the move.
    fn advance(&mut self) -> Result<f64, TrainError> {
        let par = self.par;
        if let Some(st) = self.exact.as_mut() {
            let (ex, ws) = (&st.ex, &mut st.ws);
            let l = self
                .integrator
                .advance(&mut self.net, self.config.dt, &mut |net, vel| {
                    ex.velocity(net, ws, vel, par)
                });
            return self.finish_step(l);
        }
        let points: &PointSet = match self.config.mode {
            Mode::Exact => unreachable!("handled above"),
            Mode::Gd => self.train.as_ref().expect("gd has a training set"),
            Mode::Sgd => {
                let train = self.train.as_ref().expect("sgd has a training set");
                draw_minibatch(&mut self.perm, self.config.batch, &mut self.batch_rng);
                self.batch.gather(train, &self.perm[..self.config.batch]);
                undo_minibatch(&mut self.perm);
                &self.batch
            }
            Mode::Online => {
                self.batch
                    .resample(self.target.as_ref(), &mut self.data_rng, par);
                &self.batch
            }
        };
        let unit = self.unit.as_ref();
        let ws = &mut self.ws;
        let l = self.integrator.advance(
            &mut self.net,
            self.config.dt,
            &mut |net: &Network, vel: &mut Velocity| velocity(unit, net, points, ws, vel, par),
        );
        self.finish_step(l)
    }

    fn finish_step(&mut self, l: f64) -> Result<f64, TrainError> {
        self.step += 1;
        self.time = self.step as f64 * self.config.dt;
        let reference = self.initial_test_loss.max(self.target.zero_network_loss());
        if !l.is_finite() || l > DIVERGENCE_FACTOR * reference {
            return Err(TrainError::Diverged {
                step: self.step,
                loss: l,
                dt: self.config.dt,
            });
        }
        Ok(l)
    }

    /// Evaluates the test (and train) loss at the current step and appends a trace row.
    fn evaluate(&mut self) -> Result<(), TrainError> {
        let par = self.par;
        let mc = loss(self.unit.as_ref(), &self.net, &self.test, &mut self.ws, par);
        let (test_loss, mc_test_loss) = match self.exact.as_mut() {
            Some(st) => (st.ex.loss(&self.net, &mut st.ws, par), Some(mc)),
            None => (mc, None),
        };
        if self.step == 0 || !self.initial_test_loss.is_finite() {
            self.initial_test_loss = test_loss;
        }
        let train_loss = self
            .train
            .as_ref()
            .map(|t| loss(self.unit.as_ref(), &self.net, t, &mut self.ws, par));
        let cf = self.target.zero_network_loss();
        let adaptive = self.stepper().map(|st| (st.h, st.rejected));
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
            rejected: adaptive.map(|a| a.1),
            mc_test_loss,
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

    /// Replaces the fixed-step rule (forward Euler by default) with `integrator`: the extension
    /// point for new step rules. It is used by every fixed-step mode (gd, sgd, online, and exact
    /// with `StepRule::Fixed`); its own state is not part of checkpoints.
    pub fn with_integrator(mut self, integrator: Box<dyn Integrator>) -> Self {
        self.integrator = integrator;
        self
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

/// The 3-spin target of a config: coefficients from the target stream of its seed.
fn spin_target_for(config: &TrainConfig) -> Result<Arc<dyn Target>, TrainError> {
    let model = SpinModel::new(config.dim, config.seed)
        .map_err(|e| TrainError::config("dim", e.to_string()))?;
    Ok(Arc::new(SpinTarget::new(model)))
}

/// Partial Fisher–Yates: after the call, `perm[..p]` is a uniform random p-subset of the
/// indices, in random order (no repeats within a minibatch). [`undo_minibatch`] then restores the
/// identity, so the permutation carries no state from one step to the next.
fn draw_minibatch(perm: &mut [usize], p: usize, rng: &mut StreamRng) {
    let m = perm.len();
    for k in 0..p {
        let j = rng.random_range(k..m);
        perm.swap(k, j);
    }
}

/// Restores `perm` to the identity (O(m) but allocation-free).
fn undo_minibatch(perm: &mut [usize]) {
    for (k, v) in perm.iter_mut().enumerate() {
        *v = k;
    }
}
