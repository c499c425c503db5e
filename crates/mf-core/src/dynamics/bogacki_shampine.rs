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
//! z-dynamics like c_i²). The step controller ([`StepControl`]) sets the next step to
//! h · clamp(0.9 err^{−1/3}, 0.2, 5), capped at `h_max`; after a rejection for a rising loss, h
//! shrinks by at least half.

use super::field::Field;
use super::stepper::{
    AdaptiveCore, EXACT_ONLY, OnRise, RuleContext, StepControl, StepError, StepOutcome,
    StepRuleSpec, Stepper, StepperState,
};
use crate::network::Network;

/// The rule in the registry: `bogacki-shampine` (alias `adaptive`), exact mode's default.
pub const SPEC: StepRuleSpec = StepRuleSpec {
    name: "bogacki-shampine",
    aliases: &["adaptive"],
    help: "Bogacki–Shampine 3(2) with error control (--tol) and a descent check (exact mode; its default)",
    adaptive: true,
    order: 3,
    modes: EXACT_ONLY,
    dense_matrices: 0,
    build: |c: &RuleContext<'_>| Box::new(BogackiShampine::new(c)),
};

/// The controller: err^(−1/3), growth at most 5, a rising loss shrinks by at least half.
const CONTROL: StepControl = StepControl {
    exponent: 1.0 / 3.0,
    grow_max: 5.0,
    on_rise: OnRise::Clamp,
};

/// The Bogacki–Shampine 3(2) rule of the module docs.
#[derive(Clone, Debug)]
pub struct BogackiShampine {
    core: AdaptiveCore,
}

impl BogackiShampine {
    /// A stepper for the network, first step, bounds, tolerance and round-off allowance of
    /// `ctx`.
    pub fn new(ctx: &RuleContext<'_>) -> Self {
        Self {
            core: AdaptiveCore::new(ctx, CONTROL),
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
        SPEC.name
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
                c.grow_after(h, err);
                return Ok(out);
            }
            c.shrink_after(h, err, rose);
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
