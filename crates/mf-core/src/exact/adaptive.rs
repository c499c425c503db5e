//! Error-controlled time stepping for the exact population dynamics.
//!
//! Bogacki–Shampine 3(2) with first-same-as-last (three velocity evaluations per accepted step):
//!
//! ```text
//! k₁ = v(θ),  k₂ = v(θ + h/2 k₁),  k₃ = v(θ + 3h/4 k₂)
//! θ' = θ + h (2/9 k₁ + 1/3 k₂ + 4/9 k₃),      k₄ = v(θ')   (= next k₁)
//! e  = h (−5/72 k₁ + 1/12 k₂ + 1/9 k₃ − 1/8 k₄)   (third- minus second-order solution)
//! ```
//!
//! A step is accepted when the weighted RMS error ‖e_i / (tol (1 + |θ_i|))‖ ≤ 1 — a bound on the
//! local error, so the time axis stays right — *and* the exact loss did not rise (beyond round-off,
//! 1e-12 C_f): the population dynamics is a gradient flow, and a rising loss is the signature of a
//! step beyond the stability limit (charges |c_i| of tens stiffen the z-dynamics like c_i²).
//! The next step is h · clamp(0.9 err^{−1/3}, 0.2, 5), capped at `h_max`; after a rejection for a
//! rising loss, h is halved.

use crate::dynamics::Velocity;
use crate::network::Network;

/// What one accepted step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepOutcome {
    /// Accepted step size.
    pub dt: f64,
    /// Loss at the start of the step.
    pub loss_before: f64,
    /// Loss at the end of the step.
    pub loss_after: f64,
}

/// The rule of an [`AdaptiveStepper`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdaptiveMethod {
    /// Bogacki–Shampine 3(2) with local-error control and the loss-descent check.
    BogackiShampine,
    /// Forward Euler with the loss-descent check only (backtracking: halve on a rise, grow by
    /// 1.25 after a success). It bounds no local error: kept as the baseline it is compared to.
    BacktrackingEuler,
    /// Forward Euler with the embedded Heun error estimate e = (h/2)(v(θ') − v(θ)) and the
    /// loss-descent check. First-same-as-last: v(θ') is the next step's v(θ), so one velocity
    /// evaluation per step, with the local error bounded like the Bogacki–Shampine rule's
    /// (next step h · clamp(0.9 err^{−1/2}, 0.2, 2)).
    EulerHeun,
}

/// Adaptive Bogacki–Shampine stepper with loss-descent check. Holds its stage buffers.
#[derive(Clone, Debug)]
pub struct AdaptiveStepper {
    /// The rule.
    pub method: AdaptiveMethod,
    /// Step size to try next.
    pub h: f64,
    /// Largest step size.
    pub h_max: f64,
    /// Tolerance on the weighted local error.
    pub tol: f64,
    /// Rejected steps so far.
    pub rejected: u64,
    /// Accepted steps so far.
    pub accepted: u64,
    h_floor: f64,
    k: [Velocity; 4],
    stage: Network,
    have_k1: bool,
    loss0: f64,
}

impl AdaptiveStepper {
    /// A stepper for `net`'s shape, starting with step `h0` ≤ `h_max`, tolerance `tol`.
    pub fn new(net: &Network, h0: f64, h_max: f64, tol: f64) -> Self {
        let (n, q) = (net.width(), net.z.ncols());
        Self {
            method: AdaptiveMethod::BogackiShampine,
            h: h0.min(h_max),
            h_max,
            h_floor: 1e-14 * h0.min(h_max),
            tol,
            rejected: 0,
            accepted: 0,
            k: std::array::from_fn(|_| Velocity::zeros(n, q)),
            stage: net.clone(),
            have_k1: false,
            loss0: f64::NAN,
        }
    }

    /// Forgets the cached first stage (call when `net` was changed from outside).
    pub fn reset(&mut self) {
        self.have_k1 = false;
    }

    /// Takes one accepted step of size ≤ min(h, `max_dt`) and updates `net`. `velocity` returns
    /// the loss at the state it is given; `floor` is the round-off allowance for loss increases.
    /// Returns `None` when the step size underflows (h < 1e-14 h₀): the run cannot continue.
    pub fn step(
        &mut self,
        net: &mut Network,
        max_dt: f64,
        floor: f64,
        velocity: &mut dyn FnMut(&Network, &mut Velocity) -> f64,
    ) -> Option<StepOutcome> {
        if !self.have_k1 {
            self.loss0 = velocity(net, &mut self.k[0]);
            self.have_k1 = true;
        }
        if self.method != AdaptiveMethod::BogackiShampine {
            return self.euler_step(net, max_dt, floor, velocity);
        }
        loop {
            let h = self.h.min(max_dt);
            if h.is_nan() || h <= self.h_floor || !self.loss0.is_finite() {
                return None;
            }
            combine(&mut self.stage, net, h, &[(0.5, 0)], &self.k);
            let [k1, k2, k3, k4] = &mut self.k;
            velocity(&self.stage, k2);
            combine(&mut self.stage, net, h, &[(0.75, 1)], &[&*k1, &*k2]);
            velocity(&self.stage, k3);
            combine(
                &mut self.stage,
                net,
                h,
                &[(2.0 / 9.0, 0), (1.0 / 3.0, 1), (4.0 / 9.0, 2)],
                &[&*k1, &*k2, &*k3],
            );
            let loss1 = velocity(&self.stage, k4);
            let err = self.error_norm(net, h);
            let rose = loss1.is_nan() || loss1 > self.loss0 + floor;
            if err <= 1.0 && !rose && err.is_finite() {
                let out = self.accept(net, h, loss1);
                let grow = if err > 0.0 {
                    0.9 * err.powf(-1.0 / 3.0)
                } else {
                    5.0
                };
                // only grow from a step that was not clipped by max_dt
                if h == self.h {
                    self.h = (h * grow.clamp(0.2, 5.0)).min(self.h_max);
                }
                return Some(out);
            }
            self.rejected += 1;
            let shrink = if err.is_finite() && err > 0.0 {
                0.9 * err.powf(-1.0 / 3.0)
            } else {
                0.2
            };
            self.h = h * if rose {
                shrink.clamp(0.2, 0.5)
            } else {
                shrink.clamp(0.2, 0.9)
            };
        }
    }

    fn euler_step(
        &mut self,
        net: &mut Network,
        max_dt: f64,
        floor: f64,
        velocity: &mut dyn FnMut(&Network, &mut Velocity) -> f64,
    ) -> Option<StepOutcome> {
        loop {
            let h = self.h.min(max_dt);
            if h.is_nan() || h <= self.h_floor || !self.loss0.is_finite() {
                return None;
            }
            combine(&mut self.stage, net, h, &[(1.0, 0)], &self.k);
            let loss1 = velocity(&self.stage, &mut self.k[3]);
            let heun = self.method == AdaptiveMethod::EulerHeun;
            let err = if heun { self.heun_error(net, h) } else { 0.0 };
            let rose = loss1.is_nan() || loss1 > self.loss0 + floor;
            if !rose && err <= 1.0 && err.is_finite() {
                let out = self.accept(net, h, loss1);
                if h == self.h {
                    let grow = if !heun {
                        1.25
                    } else if err > 0.0 {
                        (0.9 / err.sqrt()).clamp(0.2, 2.0)
                    } else {
                        2.0
                    };
                    self.h = (grow * h).min(self.h_max);
                }
                return Some(out);
            }
            self.rejected += 1;
            let shrink = if heun && !rose && err.is_finite() && err > 0.0 {
                (0.9 / err.sqrt()).clamp(0.2, 0.9)
            } else {
                0.5
            };
            self.h = shrink * h;
        }
    }

    /// Takes the stage as the new state (its velocity k₄ becomes the next k₁) and reports the step.
    fn accept(&mut self, net: &mut Network, h: f64, loss1: f64) -> StepOutcome {
        std::mem::swap(net, &mut self.stage);
        self.k.swap(0, 3);
        let out = StepOutcome {
            dt: h,
            loss_before: self.loss0,
            loss_after: loss1,
        };
        self.loss0 = loss1;
        self.accepted += 1;
        out
    }

    /// ‖e / (tol (1 + |θ|))‖_RMS over every parameter, with the error components e given for the
    /// charges (`e_c(i)`) and the unit parameters (`e_z(i, k)`).
    fn weighted_rms(
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

    /// Heun minus Euler, (h/2)(k₄ − k₁) with k₄ = v(θ + h k₁), in the weighted RMS norm.
    fn heun_error(&self, net: &Network, h: f64) -> f64 {
        let (k1, k4) = (&self.k[0], &self.k[3]);
        self.weighted_rms(
            net,
            |i| 0.5 * h * (k4.c[i] - k1.c[i]),
            |i, k| 0.5 * h * (k4.z[(i, k)] - k1.z[(i, k)]),
        )
    }

    /// h (−5/72 k₁ + 1/12 k₂ + 1/9 k₃ − 1/8 k₄) (third- minus second-order solution), in the
    /// weighted RMS norm.
    fn error_norm(&self, net: &Network, h: f64) -> f64 {
        let [k1, k2, k3, k4] = &self.k;
        let w = [-5.0 / 72.0, 1.0 / 12.0, 1.0 / 9.0, -1.0 / 8.0];
        self.weighted_rms(
            net,
            |i| h * (w[0] * k1.c[i] + w[1] * k2.c[i] + w[2] * k3.c[i] + w[3] * k4.c[i]),
            |i, k| {
                h * (w[0] * k1.z[(i, k)]
                    + w[1] * k2.z[(i, k)]
                    + w[2] * k3.z[(i, k)]
                    + w[3] * k4.z[(i, k)])
            },
        )
    }
}

/// out = base + h Σ_m w_m k[idx_m].
fn combine<K: std::borrow::Borrow<Velocity>>(
    out: &mut Network,
    base: &Network,
    h: f64,
    terms: &[(f64, usize)],
    k: &[K],
) {
    for (i, o) in out.c.iter_mut().enumerate() {
        let mut v = base.c[i];
        for &(w, m) in terms {
            v += h * w * k[m].borrow().c[i];
        }
        *o = v;
    }
    let (n, q) = (base.z.nrows(), base.z.ncols());
    for kk in 0..q {
        for i in 0..n {
            let mut v = base.z[(i, kk)];
            for &(w, m) in terms {
                v += h * w * k[m].borrow().z[(i, kk)];
            }
            out.z[(i, kk)] = v;
        }
    }
}
