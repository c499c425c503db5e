//! The minimiser: descent on the loss without a time axis (the polish after a flow).
//!
//! A minimiser moves a network state downhill on its field's loss ℓ until a convergence test
//! holds: the gradient norm ‖∇ℓ‖ = ‖v‖/n below a tolerance (v the mean-field velocity of the
//! field, so the test reads ‖v‖ ≤ n·tol), or the loss stops decreasing, or an iteration budget.
//! It never increases the loss: a minimiser that cannot decrease it returns the state it was
//! given. Its result bounds lim_{t→∞} ℓ_n(t) from below; it is never a point of the flow.
//!
//! [`SteepestDescent`] (Armijo backtracking along v) is the reference implementation of the
//! hook; second-order polishes implement the same trait.

use super::field::Field;
use crate::network::{Network, Velocity};

/// When a minimiser stops.
#[derive(Clone, Debug)]
pub struct StopRule {
    /// Stop when ‖v‖ = n‖∇ℓ‖ is at most this (mean-field units, as the trace's `grad_norm`).
    pub grad_tol: f64,
    /// Stop when the relative loss decrease over an iteration is below this.
    pub rel_decrease: f64,
    /// Iteration budget.
    pub max_iterations: u64,
    /// Stop before the next iteration once this is set (from another thread: Ctrl-C in the
    /// Python package); `None`: never.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl PartialEq for StopRule {
    /// The tolerances and budget (a cancel flag is not part of the rule's identity).
    fn eq(&self, other: &Self) -> bool {
        self.grad_tol == other.grad_tol
            && self.rel_decrease == other.rel_decrease
            && self.max_iterations == other.max_iterations
    }
}

impl StopRule {
    /// The tests before an iteration, in order: **cancelled** once [`StopRule::cancel`] is
    /// set; **converged** when ‖v‖ ≤ `grad_tol`;
    /// **stalled** when the loss or ‖v‖ is not finite (nothing to measure a decrease
    /// against); **budget** after `max_iterations` iterations. `None`: iterate.
    pub fn before_iteration(&self, grad_norm: f64, loss: f64, iterations: u64) -> Option<Stop> {
        if self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
        {
            Some(Stop::Cancelled)
        } else if grad_norm <= self.grad_tol {
            Some(Stop::Converged)
        } else if !(loss.is_finite() && grad_norm.is_finite()) {
            Some(Stop::Stalled)
        } else if iterations >= self.max_iterations {
            Some(Stop::Budget)
        } else {
            None
        }
    }

    /// The test after an accepted step from the loss `before` to `after`: **stalled** when
    /// the relative decrease (before − after)/|before| is below `rel_decrease`.
    pub fn after_step(&self, before: f64, after: f64) -> Option<Stop> {
        let rel = (before - after) / before.abs().max(f64::MIN_POSITIVE);
        (rel < self.rel_decrease).then_some(Stop::Stalled)
    }
}

/// The Euclidean inner product of two flat vectors (the minimisers' one).
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl Default for StopRule {
    fn default() -> Self {
        Self {
            grad_tol: 1e-8,
            rel_decrease: 1e-15,
            max_iterations: 10_000,
            cancel: None,
        }
    }
}

/// Why a minimiser stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// ‖v‖ ≤ grad_tol.
    Converged,
    /// The loss stopped decreasing (relative decrease below `rel_decrease`, or no step found).
    Stalled,
    /// The iteration budget ran out.
    Budget,
    /// Cancelled from outside ([`StopRule::cancel`]).
    Cancelled,
}

/// What a minimisation did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MinimiseReport {
    /// Iterations taken.
    pub iterations: u64,
    /// Loss at the start.
    pub loss_before: f64,
    /// Loss at the end (≤ `loss_before`).
    pub loss_after: f64,
    /// ‖v‖ at the end.
    pub grad_norm: f64,
    /// Why it stopped.
    pub stop: Stop,
}

/// A descent method on a field's loss (see the module docs).
pub trait Minimiser: Send {
    /// Name, for reports.
    fn name(&self) -> &'static str;

    /// Moves `net` downhill on `field`'s loss until `rule` stops it.
    fn minimise(
        &mut self,
        net: &mut Network,
        field: &mut dyn Field,
        rule: &StopRule,
    ) -> MinimiseReport;
}

/// The reference minimiser in the registry ([`super::minimisers`]).
pub const STEEPEST_DESCENT: MinimiserSpec = MinimiserSpec {
    name: "steepest-descent",
    aliases: &[],
    help: "steepest descent with Armijo backtracking (the reference)",
    build: || Box::new(SteepestDescent),
};

/// Steepest descent θ ← θ + α v(θ) with Armijo backtracking (α halved until
/// ℓ(θ + α v) ≤ ℓ(θ) − 10⁻⁴ α ‖v‖²/n, α grown by 2 after a success): the reference minimiser.
#[derive(Clone, Debug, Default)]
pub struct SteepestDescent;

impl Minimiser for SteepestDescent {
    fn name(&self) -> &'static str {
        STEEPEST_DESCENT.name
    }

    fn minimise(
        &mut self,
        net: &mut Network,
        field: &mut dyn Field,
        rule: &StopRule,
    ) -> MinimiseReport {
        let (n, q) = (net.width(), net.param_dim());
        let mut v = Velocity::zeros(n, q);
        let mut trial = net.clone();
        let mut loss = field.velocity(net, &mut v);
        let loss_before = loss;
        let mut alpha = 1.0;
        let mut it = 0;
        let stop = loop {
            let g2 = v.dot(&v);
            if let Some(stop) = rule.before_iteration(g2.sqrt(), loss, it) {
                break stop;
            }
            let mut accepted = None;
            for _ in 0..60 {
                trial.set_lincomb(net, alpha, &[(1.0, &v)]);
                let l = field.loss(&trial);
                // ℓ(θ + αv) − ℓ(θ) ≈ −α ‖v‖²/n (v = −n∇ℓ)
                if l <= loss - 1e-4 * alpha * g2 / n as f64 {
                    accepted = Some(l);
                    break;
                }
                alpha *= 0.5;
            }
            let Some(l) = accepted else {
                break Stop::Stalled;
            };
            it += 1;
            std::mem::swap(net, &mut trial);
            let stalled = rule.after_step(loss, l);
            loss = field.velocity(net, &mut v);
            alpha *= 2.0;
            if let Some(stop) = stalled {
                break stop;
            }
        };
        MinimiseReport {
            iterations: it,
            loss_before,
            loss_after: loss,
            grad_norm: v.norm(),
            stop,
        }
    }
}

/// One minimiser of the registry.
#[derive(Debug)]
pub struct MinimiserSpec {
    /// Its name (`--polish-method NAME`, also its [`Minimiser::name`] and the `polish_method`
    /// of `summary.json`).
    pub name: &'static str,
    /// Other names it answers to.
    pub aliases: &'static [&'static str],
    /// One line for `--help`.
    pub help: &'static str,
    /// Builds it.
    pub build: fn() -> Box<dyn Minimiser>,
}
