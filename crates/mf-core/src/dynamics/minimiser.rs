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
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StopRule {
    /// Stop when ‖v‖ = n‖∇ℓ‖ is at most this (mean-field units, as the trace's `grad_norm`).
    pub grad_tol: f64,
    /// Stop when the relative loss decrease over an iteration is below this.
    pub rel_decrease: f64,
    /// Iteration budget.
    pub max_iterations: u64,
}

impl Default for StopRule {
    fn default() -> Self {
        Self {
            grad_tol: 1e-8,
            rel_decrease: 1e-15,
            max_iterations: 10_000,
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
pub trait Minimiser {
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

/// Steepest descent θ ← θ + α v(θ) with Armijo backtracking (α halved until
/// ℓ(θ + α v) ≤ ℓ(θ) − 10⁻⁴ α ‖v‖²/n, α grown by 2 after a success): the reference minimiser.
#[derive(Clone, Debug, Default)]
pub struct SteepestDescent;

impl Minimiser for SteepestDescent {
    fn name(&self) -> &'static str {
        "steepest-descent"
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
            if g2.sqrt() <= rule.grad_tol {
                break Stop::Converged;
            }
            if it >= rule.max_iterations {
                break Stop::Budget;
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
            let decrease = (loss - l) / loss.abs().max(f64::MIN_POSITIVE);
            loss = field.velocity(net, &mut v);
            alpha *= 2.0;
            if decrease < rule.rel_decrease {
                break Stop::Stalled;
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
