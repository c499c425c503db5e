//! The stepper: one rule that advances a network state along its field by one step.
//!
//! A step rule implements [`Stepper`] in one file. *Fixed-step* rules ([`ForwardEuler`](super::ForwardEuler),
//! [`Heun`](super::Heun)) take exactly the span they are given (the trainer gives Δt, so step k ends
//! at t = kΔt); *adaptive* rules ([`BogackiShampine`](super::BogackiShampine),
//! [`EulerHeun`](super::EulerHeun), [`BacktrackingEuler`](super::BacktrackingEuler)) choose their step
//! h ≤ span from a local-error estimate and the descent of the loss, and report the step they
//! took. The trainer keeps the time axis one way for both: t ← t + h, landing exactly on the
//! grid point it aimed at.

use super::field::Field;
use crate::mode::Mode;
use crate::network::{Network, Velocity};
use serde::{Deserialize, Serialize};

/// What one accepted step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepOutcome {
    /// The step taken (mean-field time).
    pub dt: f64,
    /// The loss at the start of the step (on the step's points).
    pub loss_before: f64,
    /// The loss at the end of the step, when the rule computed it.
    pub loss_after: Option<f64>,
}

/// The counters and next step size of an adaptive rule: what a checkpoint keeps of it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepperState {
    /// Step size to try next.
    pub h: f64,
    /// Accepted steps so far.
    pub accepted: u64,
    /// Rejected steps so far.
    pub rejected: u64,
    /// What else a rule carries from step to step and needs to continue bit for bit (the
    /// W-rule's error model α, β; `None` for the others).
    #[serde(default)]
    pub memory: Option<[f64; 2]>,
}

/// The linear-algebra and field work of a stiff rule since it was built: what a step costs
/// beside its count (the benchmarks report it per accepted step).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepWork {
    /// Dense Hessians H = n∇²ℓ formed.
    pub hessians: u64,
    /// Factorisations of a stage matrix G = I/(γh) + H.
    pub factorisations: u64,
    /// Solves with a factorised G (one right-hand side each).
    pub solves: u64,
    /// Velocity evaluations v(θ).
    pub velocities: u64,
}

/// Why a step could not be taken.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StepError {
    /// The step size fell below 1e-14 h₀ (or the loss is not finite): the run cannot continue.
    #[error("the step size underflowed (h = {h:e})")]
    Underflow {
        /// The last step size tried.
        h: f64,
    },
    /// The rule needs the Hessian of the loss, and the field has none (sampled modes).
    #[error("the {rule} rule needs the Hessian of the loss (--mode exact)")]
    NeedsHessian {
        /// The rule's name.
        rule: &'static str,
    },
}

/// A time-stepping rule (see the module docs).
pub trait Stepper: Send {
    /// Name, as in `--step-rule`.
    fn name(&self) -> &'static str;

    /// True when the rule chooses its own step sizes (then it needs a field that is a
    /// deterministic function of the state, i.e. exact mode).
    fn is_adaptive(&self) -> bool;

    /// Advances `net` by one step along `field`: exactly `span` for a fixed-step rule, at most
    /// `span` for an adaptive one.
    fn step(
        &mut self,
        net: &mut Network,
        field: &mut dyn Field,
        span: f64,
    ) -> Result<StepOutcome, StepError>;

    /// Forgets cached stages (call when the state was changed from outside).
    fn reset(&mut self) {}

    /// The state a checkpoint keeps (adaptive rules).
    fn state(&self) -> Option<StepperState> {
        None
    }

    /// Restores a checkpointed state.
    fn restore(&mut self, _state: StepperState) {}

    /// The work done so far (the stiff rules; `None` for the others).
    fn work(&self) -> Option<StepWork> {
        None
    }
}

/// The error norm of every adaptive rule: ‖e_j / (tol (1 + |θ_j|))‖_RMS over the pairs
/// (e_j, θ_j), in the order given (flat order: the charges, then z column by column).
pub fn weighted_rms(tol: f64, pairs: impl Iterator<Item = (f64, f64)>) -> f64 {
    let (mut acc, mut count) = (0.0, 0usize);
    for (e, theta) in pairs {
        let r = e / (tol * (1.0 + theta.abs()));
        acc += r * r;
        count += 1;
    }
    (acc / count as f64).sqrt()
}

/// The safety factor of the step controller: the next step aims at 0.9 of the tolerance.
pub const SAFETY: f64 = 0.9;
/// The smallest factor a step changes by, after an acceptance or a rejection.
pub const SHRINK_MIN: f64 = 0.2;
/// The largest factor after a rejection for the error alone.
pub const SHRINK_MAX: f64 = 0.9;
/// The largest factor after a rejection for a rising loss (a step beyond the stability limit).
pub const RISE_SHRINK: f64 = 0.5;

/// What a rejection for a rising loss (or an error that is not a positive number) does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnRise {
    /// The error's factor, clamped to [[`SHRINK_MIN`], [`RISE_SHRINK`]] (the rules with an
    /// error estimate of order ≥ 2).
    Clamp,
    /// Exactly [`RISE_SHRINK`] (Euler with its Heun estimate, backtracking).
    Halve,
}

/// The step controller shared by every adaptive rule: from the error `err` of a step h (in the
/// norm of [`weighted_rms`], 1 = the tolerance), the factor SAFETY · err^(−`exponent`)
/// (`exponent` = 1/(p+1) for an error estimate of order p), clamped to named limits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepControl {
    /// 1/(p + 1) for an error estimate of order p: 1/3 (Bogacki–Shampine, RODAS3), 1/2 (the
    /// Euler–Heun estimate).
    pub exponent: f64,
    /// The largest growth after an accepted step (also the growth at err = 0).
    pub grow_max: f64,
    /// What a rising loss does.
    pub on_rise: OnRise,
}

impl StepControl {
    /// SAFETY · err^(−exponent) (with err^(−1/2) as 1/√err, which is correctly rounded).
    fn factor(&self, err: f64) -> f64 {
        if self.exponent == 0.5 {
            SAFETY / err.sqrt()
        } else {
            SAFETY * err.powf(-self.exponent)
        }
    }

    /// The next step after accepting the step h with error `err`:
    /// h · clamp(factor, SHRINK_MIN, grow_max) (grow_max when err = 0).
    pub fn grown(&self, h: f64, err: f64) -> f64 {
        let g = if err > 0.0 {
            self.factor(err)
        } else {
            self.grow_max
        };
        h * g.clamp(SHRINK_MIN, self.grow_max)
    }

    /// The step to retry after rejecting the step h with error `err` (`rose`: the loss rose):
    /// h · clamp(factor, SHRINK_MIN, SHRINK_MAX) for the error alone; on a rise, or an error
    /// that is not a positive number, as [`OnRise`] says (the factor then SHRINK_MIN for
    /// [`OnRise::Clamp`]).
    pub fn shrunk(&self, h: f64, err: f64, rose: bool) -> f64 {
        let usable = err.is_finite() && err > 0.0;
        match self.on_rise {
            OnRise::Halve if rose || !usable => h * RISE_SHRINK,
            OnRise::Halve => h * self.factor(err).clamp(SHRINK_MIN, SHRINK_MAX),
            OnRise::Clamp => {
                let f = if usable { self.factor(err) } else { SHRINK_MIN };
                h * if rose {
                    f.clamp(SHRINK_MIN, RISE_SHRINK)
                } else {
                    f.clamp(SHRINK_MIN, SHRINK_MAX)
                }
            }
        }
    }
}

/// The state shared by the adaptive rules: step size, bounds, counters, stage buffers, the
/// first-same-as-last velocity and the step controller.
#[derive(Clone, Debug)]
pub(crate) struct AdaptiveCore {
    pub control: StepControl,
    pub h: f64,
    pub h_max: f64,
    pub h_floor: f64,
    pub tol: f64,
    /// Round-off allowance of the descent check (1e-12 C_f in the trainer).
    pub floor: f64,
    pub accepted: u64,
    pub rejected: u64,
    /// Stage velocities k₁…k₄ (k₁ = v at the current state, cached between steps).
    pub k: [Velocity; 4],
    pub stage: Network,
    pub have_k1: bool,
    /// The loss at the current state.
    pub loss0: f64,
}

impl AdaptiveCore {
    /// Buffers for `net`'s shape, first step `h0` ≤ `h_max` (`ctx`), and the rule's controller.
    pub fn new(ctx: &RuleContext<'_>, control: StepControl) -> Self {
        let (net, h0, h_max, tol, floor) = (ctx.net, ctx.dt, ctx.h_max, ctx.tol, ctx.floor);
        let (n, q) = (net.width(), net.param_dim());
        Self {
            control,
            h: h0.min(h_max),
            h_max,
            h_floor: 1e-14 * h0.min(h_max),
            tol,
            floor,
            accepted: 0,
            rejected: 0,
            k: std::array::from_fn(|_| Velocity::zeros(n, q)),
            stage: net.clone(),
            have_k1: false,
            loss0: f64::NAN,
        }
    }

    /// k₁ = v(θ) and the loss at θ, unless cached from the last accepted step.
    pub fn first_stage(&mut self, net: &Network, field: &mut dyn Field) {
        if !self.have_k1 {
            self.loss0 = field.velocity(net, &mut self.k[0]);
            self.have_k1 = true;
        }
    }

    /// Err when the step h cannot be tried (underflow, NaN, or a non-finite loss).
    pub fn check(&self, h: f64) -> Result<(), StepError> {
        if h.is_nan() || h <= self.h_floor || !self.loss0.is_finite() {
            Err(StepError::Underflow { h })
        } else {
            Ok(())
        }
    }

    /// True when `loss1` rose above the current loss beyond the round-off allowance.
    pub fn rose(&self, loss1: f64) -> bool {
        loss1.is_nan() || loss1 > self.loss0 + self.floor
    }

    /// Takes the stage as the new state (its velocity k₄ becomes the next k₁) and reports the
    /// step.
    pub fn accept(&mut self, net: &mut Network, h: f64, loss1: f64) -> StepOutcome {
        std::mem::swap(net, &mut self.stage);
        self.k.swap(0, 3);
        let out = StepOutcome {
            dt: h,
            loss_before: self.loss0,
            loss_after: Some(loss1),
        };
        self.loss0 = loss1;
        self.accepted += 1;
        out
    }

    /// [`weighted_rms`] over every parameter of `net`, in flat order, with the error components
    /// given for the charges (`e_c(i)`) and the unit parameters (`e_z(i, k)`).
    pub fn weighted_rms(
        &self,
        net: &Network,
        e_c: impl Fn(usize) -> f64,
        e_z: impl Fn(usize, usize) -> f64,
    ) -> f64 {
        let (n, q) = (net.z.nrows(), net.z.ncols());
        let charges = (0..net.c.len()).map(|i| (e_c(i), net.c[i]));
        let units = (0..q).flat_map(|k| (0..n).map(move |i| (i, k)));
        let units = units.map(|(i, k)| (e_z(i, k), net.z[(i, k)]));
        weighted_rms(self.tol, charges.chain(units))
    }

    /// The next step after accepting the step h with error `err` ([`StepControl::grown`]),
    /// unless h was clipped by the span (then the step size stays), capped at `h_max`.
    pub fn grow_after(&mut self, h: f64, err: f64) {
        if h == self.h {
            self.h = self.control.grown(h, err).min(self.h_max);
        }
    }

    /// Counts a rejection of the step h and sets the step to retry ([`StepControl::shrunk`]).
    pub fn shrink_after(&mut self, h: f64, err: f64, rose: bool) {
        self.rejected += 1;
        self.h = self.control.shrunk(h, err, rose);
    }

    pub fn state(&self) -> StepperState {
        StepperState {
            h: self.h,
            accepted: self.accepted,
            rejected: self.rejected,
            memory: None,
        }
    }

    pub fn restore(&mut self, s: StepperState) {
        self.h = s.h;
        self.accepted = s.accepted;
        self.rejected = s.rejected;
    }
}

/// What a rule is built from: the network's shape (and its initial state), the first step Δt,
/// the largest step, the local-error tolerance and the round-off allowance of the descent check.
#[derive(Clone, Copy, Debug)]
pub struct RuleContext<'a> {
    /// The network (its shape; adaptive rules copy it into their stage buffer).
    pub net: &'a Network,
    /// Δt: the step of a fixed-step rule, the first step of an adaptive one.
    pub dt: f64,
    /// Largest adaptive step (`--dt-max`; infinite when unbounded).
    pub h_max: f64,
    /// Local-error tolerance (`--tol`).
    pub tol: f64,
    /// Round-off allowance of the descent check (1e-12 C_f).
    pub floor: f64,
}

/// One step rule of the registry.
#[derive(Debug)]
pub struct StepRuleSpec {
    /// The rule's name (`--step-rule NAME`), also its [`Stepper::name`].
    pub name: &'static str,
    /// Other names it answers to (older or shorter names).
    pub aliases: &'static [&'static str],
    /// One line for `--help`.
    pub help: &'static str,
    /// True when the rule chooses its own steps from an error estimate or a descent check.
    pub adaptive: bool,
    /// The order p of the solution it advances (the global error falls like hᵖ; checked for
    /// every rule by one test).
    pub order: u32,
    /// The modes it runs in: adaptive rules need a field that is a deterministic function of
    /// the state (exact mode), the stiff rule the field's Hessian.
    pub modes: &'static [Mode],
    /// The dense N × N matrices it keeps (N = n(q + 1)), for the memory check of
    /// [`crate::train::memory`].
    pub dense_matrices: u64,
    /// Builds the stepper.
    pub build: fn(&RuleContext<'_>) -> Box<dyn Stepper>,
}

impl StepRuleSpec {
    /// Whether `name` names this rule.
    pub fn answers_to(&self, name: &str) -> bool {
        self.name == name || self.aliases.contains(&name)
    }

    /// Whether the rule runs in `mode`.
    pub fn supports(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }
}

/// Every mode.
pub const ALL_MODES: &[Mode] = &[Mode::Gd, Mode::Sgd, Mode::Online, Mode::Exact];
/// Exact mode only.
pub const EXACT_ONLY: &[Mode] = &[Mode::Exact];

/// Rebuilds a step rule that is not shipped from its name (`None` when the factory does not
/// know it): how a run of a custom rule resumes.
pub type StepperFactory = dyn Fn(&str, &RuleContext<'_>) -> Option<Box<dyn Stepper>>;

/// The factory that knows no rule beyond the shipped ones.
pub fn no_custom_rules(_name: &str, _ctx: &RuleContext<'_>) -> Option<Box<dyn Stepper>> {
    None
}
