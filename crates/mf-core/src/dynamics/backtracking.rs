//! Backtracking Euler on the exact loss: θ' = θ + h v(θ), accepted when the loss did not rise
//! (beyond round-off); halve h on a rise, grow it by 1.25 after a success. Descent-only: it
//! bounds no local error, so its time axis is not accurate — the baseline the error-controlled
//! rules are compared to.

use super::field::Field;
use super::stepper::{
    AdaptiveCore, EXACT_ONLY, OnRise, RuleContext, StepControl, StepError, StepOutcome,
    StepRuleSpec, Stepper, StepperState,
};
use crate::network::Network;

/// The rule in the registry: `backtracking`, exact mode.
pub const SPEC: StepRuleSpec = StepRuleSpec {
    name: "backtracking",
    aliases: &[],
    help: "descent-only Euler: halve the step when the loss rises, no local-error bound (exact mode; the baseline)",
    adaptive: true,
    order: 1,
    modes: EXACT_ONLY,
    dense_matrices: 0,
    build: |c: &RuleContext<'_>| Box::new(BacktrackingEuler::new(c)),
};

/// The controller without an error estimate (the error counts as 0): grow by 1.25 after a
/// success, halve on a rise.
const CONTROL: StepControl = StepControl {
    exponent: 0.5,
    grow_max: 1.25,
    on_rise: OnRise::Halve,
};

/// Backtracking Euler (module docs).
#[derive(Clone, Debug)]
pub struct BacktrackingEuler {
    core: AdaptiveCore,
}

impl BacktrackingEuler {
    /// A stepper for the network, first step, bounds and round-off allowance of `ctx` (it
    /// bounds no local error: the tolerance is not used).
    pub fn new(ctx: &RuleContext<'_>) -> Self {
        Self {
            core: AdaptiveCore::new(ctx, CONTROL),
        }
    }
}

impl Stepper for BacktrackingEuler {
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
            if !c.rose(loss1) {
                let out = c.accept(net, h, loss1);
                c.grow_after(h, 0.0);
                return Ok(out);
            }
            c.shrink_after(h, 0.0, true);
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
