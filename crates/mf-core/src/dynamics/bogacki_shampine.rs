//! Error-controlled Bogacki–Shampine 3(2) steps with a loss-descent check (exact mode's
//! default). First-same-as-last: three velocity evaluations per accepted step.
//!
//! ```text
//! k₁ = v(θ),  k₂ = v(θ + h/2 k₁),  k₃ = v(θ + 3h/4 k₂)
//! θ' = θ + h (2/9 k₁ + 1/3 k₂ + 4/9 k₃),      k₄ = v(θ')   (= next k₁)
//! e  = h (−5/72 k₁ + 1/12 k₂ + 1/9 k₃ − 1/8 k₄)   (third- minus second-order solution)
//! ```
//!
//! A step is accepted when the weighted RMS error ‖e_i / (tol (1 + |θ_i|))‖ ≤ 1 — a bound on
//! the local error, so the time axis stays right — *and* the exact loss did not rise (beyond
//! round-off, 1e-12 C_f): the population dynamics is a gradient flow, and a rising loss is the
//! signature of a step beyond the stability limit (charges |c_i| of tens stiffen the
//! z-dynamics like c_i²). The next step is h · clamp(0.9 err^{−1/3}, 0.2, 5), capped at
//! `h_max`; after a rejection for a rising loss, h shrinks by at least half.

use super::field::Field;
use super::stepper::{AdaptiveCore, StepError, StepOutcome, Stepper, StepperState};
use crate::network::Network;

/// The Bogacki–Shampine 3(2) rule of the module docs.
#[derive(Clone, Debug)]
pub struct BogackiShampine {
    core: AdaptiveCore,
}

impl BogackiShampine {
    /// A stepper for `net`'s shape: first step `h0` ≤ `h_max`, tolerance `tol`, round-off
    /// allowance `floor` of the descent check.
    pub fn new(net: &Network, h0: f64, h_max: f64, tol: f64, floor: f64) -> Self {
        Self {
            core: AdaptiveCore::new(net, h0, h_max, tol, floor),
        }
    }

    /// h (−5/72 k₁ + 1/12 k₂ + 1/9 k₃ − 1/8 k₄) in the weighted RMS norm.
    fn error_norm(&self, net: &Network, h: f64) -> f64 {
        let [k1, k2, k3, k4] = &self.core.k;
        let w = [-5.0 / 72.0, 1.0 / 12.0, 1.0 / 9.0, -1.0 / 8.0];
        self.core.weighted_rms(
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

impl Stepper for BogackiShampine {
    fn name(&self) -> &'static str {
        "adaptive"
    }

    fn is_adaptive(&self) -> bool {
        true
    }

    fn step(
        &mut self,
        net: &mut Network,
        field: &mut dyn Field,
        span: f64,
    ) -> Result<StepOutcome, StepError> {
        self.core.first_stage(net, field);
        loop {
            let c = &mut self.core;
            let h = c.h.min(span);
            c.check(h)?;
            let [k1, k2, k3, k4] = &mut c.k;
            c.stage.set_lincomb(net, h, &[(0.5, &*k1)]);
            field.velocity(&c.stage, k2);
            c.stage.set_lincomb(net, h, &[(0.75, &*k2)]);
            field.velocity(&c.stage, k3);
            c.stage.set_lincomb(
                net,
                h,
                &[(2.0 / 9.0, &*k1), (1.0 / 3.0, &*k2), (4.0 / 9.0, &*k3)],
            );
            let loss1 = field.velocity(&c.stage, k4);
            let err = self.error_norm(net, h);
            let c = &mut self.core;
            let rose = c.rose(loss1);
            if err <= 1.0 && !rose && err.is_finite() {
                let out = c.accept(net, h, loss1);
                let grow = if err > 0.0 {
                    0.9 * err.powf(-1.0 / 3.0)
                } else {
                    5.0
                };
                // only grow from a step that was not clipped by the span
                if h == c.h {
                    c.h = (h * grow.clamp(0.2, 5.0)).min(c.h_max);
                }
                return Ok(out);
            }
            c.rejected += 1;
            let shrink = if err.is_finite() && err > 0.0 {
                0.9 * err.powf(-1.0 / 3.0)
            } else {
                0.2
            };
            c.h = h * if rose {
                shrink.clamp(0.2, 0.5)
            } else {
                shrink.clamp(0.2, 0.9)
            };
        }
    }

    fn reset(&mut self) {
        self.core.have_k1 = false;
    }

    fn state(&self) -> Option<StepperState> {
        Some(self.core.state())
    }

    fn restore(&mut self, state: StepperState) {
        self.core.restore(state);
    }
}
