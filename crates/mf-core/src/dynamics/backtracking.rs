//! Backtracking Euler on the exact loss: θ' = θ + h v(θ), accepted when the loss did not rise
//! (beyond round-off); halve h on a rise, grow it by 1.25 after a success. Descent-only: it
//! bounds no local error, so its time axis is not accurate — the baseline the error-controlled
//! rules are compared to.

use super::field::Field;
use super::stepper::{AdaptiveCore, StepError, StepOutcome, Stepper, StepperState};
use crate::network::Network;

/// Backtracking Euler (module docs).
#[derive(Clone, Debug)]
pub struct BacktrackingEuler {
    core: AdaptiveCore,
}

impl BacktrackingEuler {
    /// A stepper for `net`'s shape (arguments as [`super::BogackiShampine::new`]; `tol` unused).
    pub fn new(net: &Network, h0: f64, h_max: f64, tol: f64, floor: f64) -> Self {
        Self {
            core: AdaptiveCore::new(net, h0, h_max, tol, floor),
        }
    }
}

impl Stepper for BacktrackingEuler {
    fn name(&self) -> &'static str {
        "backtracking"
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
                if h == c.h {
                    c.h = (1.25 * h).min(c.h_max);
                }
                return Ok(out);
            }
            c.rejected += 1;
            c.h = 0.5 * h;
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
