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
    /// The rule failed for a reason it states (e.g. a linear system it cannot solve).
    #[error("{0}")]
    Failed(String),
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
}

/// The state shared by the adaptive rules: step size, bounds, counters, stage buffers and the
/// first-same-as-last velocity.
#[derive(Clone, Debug)]
pub(crate) struct AdaptiveCore {
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
    /// Buffers for `net`'s shape, first step `h0` ≤ `h_max`.
    pub fn new(net: &Network, h0: f64, h_max: f64, tol: f64, floor: f64) -> Self {
        let (n, q) = (net.width(), net.param_dim());
        Self {
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

    /// ‖e / (tol (1 + |θ|))‖_RMS over every parameter, with the error components e given for
    /// the charges (`e_c(i)`) and the unit parameters (`e_z(i, k)`).
    pub fn weighted_rms(
        &self,
        net: &Network,
        e_c: impl Fn(usize) -> f64,
        e_z: impl Fn(usize, usize) -> f64,
    ) -> f64 {
        let mut acc = 0.0;
        for i in 0..net.c.len() {
            let r = e_c(i) / (self.tol * (1.0 + net.c[i].abs()));
            acc += r * r;
        }
        let (n, q) = (net.z.nrows(), net.z.ncols());
        for k in 0..q {
            for i in 0..n {
                let r = e_z(i, k) / (self.tol * (1.0 + net.z[(i, k)].abs()));
                acc += r * r;
            }
        }
        (acc / (net.c.len() + n * q) as f64).sqrt()
    }

    pub fn state(&self) -> StepperState {
        StepperState {
            h: self.h,
            accepted: self.accepted,
            rejected: self.rejected,
        }
    }

    pub fn restore(&mut self, s: StepperState) {
        self.h = s.h;
        self.accepted = s.accepted;
        self.rejected = s.rejected;
    }
}
