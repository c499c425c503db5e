//! Forward Euler with a fixed step: θ ← θ + Δt v(θ). One velocity evaluation per step.

use super::field::Field;
use super::stepper::{ALL_MODES, RuleContext, StepError, StepOutcome, StepRuleSpec, Stepper};
use crate::network::{Network, Velocity};

/// The rule in the registry: `euler` (alias `fixed`), every mode, the default of gd, sgd and
/// online.
pub const SPEC: StepRuleSpec = StepRuleSpec {
    name: "euler",
    aliases: &["fixed"],
    help: "forward Euler with the fixed step --dt (every mode; the default of gd, sgd, online)",
    adaptive: false,
    order: 1,
    modes: ALL_MODES,
    dense_matrices: 0,
    build: |c: &RuleContext<'_>| Box::new(ForwardEuler::new(c.net.width(), c.net.param_dim())),
};

/// Forward Euler (fixed step; the default of gd, sgd and online modes).
#[derive(Clone, Debug)]
pub struct ForwardEuler {
    vel: Velocity,
}

impl ForwardEuler {
    /// Euler stepper for n units with q parameters (allocates its velocity buffer once).
    pub fn new(width: usize, q: usize) -> Self {
        Self {
            vel: Velocity::zeros(width, q),
        }
    }
}

impl Stepper for ForwardEuler {
    fn name(&self) -> &'static str {
        SPEC.name
    }

    fn is_adaptive(&self) -> bool {
        false
    }

    fn step(
        &mut self,
        net: &mut Network,
        field: &mut dyn Field,
        span: f64,
    ) -> Result<StepOutcome, StepError> {
        let loss_before = field.velocity(net, &mut self.vel);
        net.axpy(span, &self.vel);
        Ok(StepOutcome {
            dt: span,
            loss_before,
            loss_after: None,
        })
    }
}
