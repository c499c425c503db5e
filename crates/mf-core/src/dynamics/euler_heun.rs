//! Forward Euler with the embedded Heun error estimate and the loss-descent check (exact mode):
//! one velocity evaluation per step, the local error bounded like Bogacki–Shampine's.
//!
//! ```text
//! θ' = θ + h k₁,  k₄ = v(θ')  (= next k₁, first-same-as-last),  e = (h/2)(k₄ − k₁)
//! ```
//!
//! Accepted when ‖e_i / (tol (1 + |θ_i|))‖_RMS ≤ 1 and the loss did not rise beyond round-off;
//! the next step is h · clamp(0.9 err^{−1/2}, 0.2, 2); a rising loss halves h.

use super::field::Field;
use super::stepper::{
    AdaptiveCore, EXACT_ONLY, OnRise, RuleContext, StepControl, StepError, StepOutcome,
    StepRuleSpec, Stepper, StepperState,
};
use crate::network::Network;

/// The rule in the registry: `euler-heun`, exact mode.
pub const SPEC: StepRuleSpec = StepRuleSpec {
    name: "euler-heun",
    aliases: &[],
    help: "Euler with the embedded Heun error estimate and a descent check, one evaluation per step (exact mode)",
    adaptive: true,
    order: 1,
    modes: EXACT_ONLY,
    dense_matrices: 0,
    build: |c: &RuleContext<'_>| Box::new(EulerHeun::new(c)),
};

/// The controller: err^(−1/2), growth at most 2, a rising loss halves the step.
const CONTROL: StepControl = StepControl {
    exponent: 0.5,
    grow_max: 2.0,
    on_rise: OnRise::Halve,
};

/// Euler with the Heun error estimate (module docs).
#[derive(Clone, Debug)]
pub struct EulerHeun {
    core: AdaptiveCore,
}

impl EulerHeun {
    /// A stepper for the network, first step, bounds, tolerance and round-off allowance of
    /// `ctx`.
    pub fn new(ctx: &RuleContext<'_>) -> Self {
        Self {
            core: AdaptiveCore::new(ctx, CONTROL),
        }
    }

    /// (h/2)(k₄ − k₁) in the weighted RMS norm.
    fn heun_error(&self, net: &Network, h: f64) -> f64 {
        let (k1, k4) = (&self.core.k[0], &self.core.k[3]);
        self.core.weighted_rms(
            net,
            |i| 0.5 * h * (k4.c[i] - k1.c[i]),
            |i, k| 0.5 * h * (k4.z[(i, k)] - k1.z[(i, k)]),
        )
    }
}

impl Stepper for EulerHeun {
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
            let [k1, _, _, k4] = &mut c.k;
            c.stage.set_lincomb(net, h, &[(1.0, &*k1)]);
            let loss1 = field.velocity(&c.stage, k4);
            let err = self.heun_error(net, h);
            let c = &mut self.core;
            let rose = c.rose(loss1);
            if !rose && err <= 1.0 && err.is_finite() {
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
