//! Plain limited-memory BFGS on the loss ℓ, descent-only: the reference a second-order polish
//! must beat.
//!
//! With g = ∇ℓ = −v/n and the last m pairs s_k = θ_{k+1} − θ_k, y_k = g_{k+1} − g_k
//! (ρ_k = 1/(s_kᵀy_k)), the direction d = −H_k g is the two-loop recursion
//!
//! ```text
//! q ← g;  for k = newest … oldest:  a_k = ρ_k s_kᵀq,  q ← q − a_k y_k
//! r ← γ q,  γ = s_newestᵀy_newest / y_newestᵀy_newest
//! for k = oldest … newest:  b = ρ_k y_kᵀr,  r ← r + (a_k − b) s_k
//! d = −r
//! ```
//!
//! (with no pairs d = −g, and the first trial α = 1/‖g‖ is a unit step). The step θ ← θ + αd satisfies the weak Wolfe conditions
//!
//! ```text
//! ℓ(θ + αd) ≤ ℓ(θ) + c₁ α gᵀd  (and ℓ(θ + αd) < ℓ(θ)),     ∇ℓ(θ + αd)ᵀd ≥ c₂ gᵀd,
//! ```
//!
//! c₁ = [`ARMIJO`], c₂ = [`WOLFE`], found by bisection/doubling from α = 1 (an Armijo point
//! that misses the curvature condition after [`LINE_SEARCH_TRIALS`] trials is accepted).
//! A pair with s_kᵀy_k ≤ 0 is skipped. When the line search finds no decrease along the
//! L-BFGS direction, the memory is cleared and steepest descent tried; when that fails too,
//! `Stalled`. Stops as [`StopRule`] says (an iteration is one accepted step).

use super::field::Field;
use super::minimiser::{MinimiseReport, Minimiser, MinimiserSpec, Stop, StopRule, dot};
use crate::network::{Network, Velocity};
use std::collections::VecDeque;

/// Default memory m.
pub const LBFGS_MEMORY: usize = 10;
/// Sufficient-decrease constant c₁.
pub const ARMIJO: f64 = 1e-4;
/// Curvature constant c₂.
pub const WOLFE: f64 = 0.9;
/// Trial steps per line search.
pub const LINE_SEARCH_TRIALS: usize = 60;

/// The minimiser in the registry: `lbfgs`.
pub const SPEC: MinimiserSpec = MinimiserSpec {
    name: "lbfgs",
    aliases: &[],
    help: "plain L-BFGS with a weak Wolfe line search (first order)",
    build: || Box::new(Lbfgs::default()),
};

/// Plain L-BFGS with a weak Wolfe line search (see the module docs).
#[derive(Clone, Debug)]
pub struct Lbfgs {
    /// Memory m (pairs kept).
    pub memory: usize,
    /// Field evaluations (velocity and loss) of the last minimisation.
    pub evaluations: u64,
    /// Pairs skipped for sᵀy ≤ 0 in the last minimisation.
    pub skipped: u64,
}

impl Default for Lbfgs {
    fn default() -> Self {
        Self {
            memory: LBFGS_MEMORY,
            evaluations: 0,
            skipped: 0,
        }
    }
}

/// d = −H g by the two-loop recursion over `pairs` (s, y, 1/sᵀy), oldest first.
fn direction(pairs: &VecDeque<(Vec<f64>, Vec<f64>, f64)>, g: &[f64], d: &mut [f64]) {
    d.copy_from_slice(g);
    let mut a = vec![0.0; pairs.len()];
    for (k, (s, y, rho)) in pairs.iter().enumerate().rev() {
        a[k] = rho * dot(s, d);
        d.iter_mut().zip(y).for_each(|(q, y)| *q -= a[k] * y);
    }
    if let Some((s, y, _)) = pairs.back() {
        let gamma = dot(s, y) / dot(y, y);
        d.iter_mut().for_each(|q| *q *= gamma);
    }
    for (k, (s, y, rho)) in pairs.iter().enumerate() {
        let b = rho * dot(y, d);
        d.iter_mut().zip(s).for_each(|(r, s)| *r += (a[k] - b) * s);
    }
    d.iter_mut().for_each(|r| *r = -*r);
}

impl Minimiser for Lbfgs {
    fn name(&self) -> &'static str {
        SPEC.name
    }

    fn minimise(
        &mut self,
        net: &mut Network,
        field: &mut dyn Field,
        rule: &StopRule,
    ) -> MinimiseReport {
        let (n, q, len) = (net.width(), net.param_dim(), net.len());
        let inv_n = 1.0 / n as f64;
        let mut vel = Velocity::zeros(n, q);
        let mut vel_acc = Velocity::zeros(n, q);
        let (mut theta, mut g) = (vec![0.0; len], vec![0.0; len]);
        let (mut d, mut xt, mut gt) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
        let mut trial = net.clone();
        let mut pairs: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::new();
        net.to_flat(&mut theta);
        // g = ∇ℓ = −v/n
        let grad = |vel: &Velocity, g: &mut [f64]| {
            vel.to_flat(g);
            g.iter_mut().for_each(|x| *x *= -inv_n);
        };
        let mut loss = field.velocity(net, &mut vel);
        self.evaluations = 1;
        self.skipped = 0;
        let loss_before = loss;
        grad(&vel, &mut g);
        let mut it = 0;
        let stop = loop {
            if let Some(stop) = rule.before_iteration(vel.norm(), loss, it) {
                break stop;
            }
            // L-BFGS direction, then steepest descent if that one finds no decrease
            let mut found = None;
            for attempt in 0..2 {
                if attempt == 1 {
                    if pairs.is_empty() {
                        break;
                    }
                    pairs.clear();
                }
                direction(&pairs, &g, &mut d);
                let mut slope0 = dot(&g, &d);
                if !slope0.is_finite() || slope0 >= 0.0 {
                    pairs.clear();
                    direction(&pairs, &g, &mut d);
                    slope0 = dot(&g, &d);
                }
                let (mut lo, mut hi) = (0.0, f64::INFINITY);
                let mut alpha = if pairs.is_empty() {
                    1.0 / dot(&g, &g).sqrt()
                } else {
                    1.0
                };
                let mut armijo_point = None;
                for _ in 0..LINE_SEARCH_TRIALS {
                    for j in 0..len {
                        xt[j] = theta[j] + alpha * d[j];
                    }
                    trial.set_from_flat(&xt);
                    let l = field.velocity(&trial, &mut vel);
                    self.evaluations += 1;
                    let sufficient = l <= loss + ARMIJO * alpha * slope0 && l < loss;
                    if !sufficient {
                        hi = alpha;
                    } else {
                        grad(&vel, &mut gt);
                        vel_acc.copy_from(&vel);
                        armijo_point = Some((alpha, l));
                        if dot(&gt, &d) >= WOLFE * slope0 {
                            break;
                        }
                        lo = alpha;
                    }
                    alpha = if hi.is_finite() {
                        0.5 * (lo + hi)
                    } else {
                        2.0 * alpha
                    };
                }
                if let Some((a, l)) = armijo_point {
                    found = Some((a, l));
                    break;
                }
            }
            let Some((alpha, l)) = found else {
                // no decrease along either direction: v of the current state back in place
                field.velocity(net, &mut vel);
                self.evaluations += 1;
                break Stop::Stalled;
            };
            // the accepted trial (its gradient in gt, its velocity in vel_acc)
            for j in 0..len {
                xt[j] = theta[j] + alpha * d[j];
            }
            trial.set_from_flat(&xt);
            std::mem::swap(&mut vel, &mut vel_acc);
            let s: Vec<f64> = xt.iter().zip(&theta).map(|(a, b)| a - b).collect();
            let y: Vec<f64> = gt.iter().zip(&g).map(|(a, b)| a - b).collect();
            let sy = dot(&s, &y);
            if sy > 0.0 {
                if pairs.len() == self.memory.max(1) {
                    pairs.pop_front();
                }
                pairs.push_back((s, y, 1.0 / sy));
            } else {
                self.skipped += 1;
            }
            it += 1;
            std::mem::swap(net, &mut trial);
            std::mem::swap(&mut theta, &mut xt);
            std::mem::swap(&mut g, &mut gt);
            let stalled = rule.after_step(loss, l);
            loss = l;
            if let Some(stop) = stalled {
                break stop;
            }
        };
        MinimiseReport {
            iterations: it,
            loss_before,
            loss_after: loss,
            grad_norm: vel.norm(),
            stop,
        }
    }
}
