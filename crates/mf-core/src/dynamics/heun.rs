//! Heun's method (explicit trapezoid) with a fixed step, second order:
//!
//! ```text
//! k₁ = v(θ),  k₂ = v(θ + Δt k₁),  θ ← θ + Δt (k₁ + k₂)/2.
//! ```
//!
//! Two velocity evaluations per step on the same points (in sgd/online modes both stages see
//! the step's batch).

use super::field::Field;
use super::stepper::{ALL_MODES, RuleContext, StepError, StepOutcome, StepRuleSpec, Stepper};
use crate::network::{Network, Velocity};

/// The rule in the registry: `heun`, every mode.
pub const SPEC: StepRuleSpec = StepRuleSpec {
    name: "heun",
    aliases: &[],
    help: "Heun's second-order rule with the fixed step --dt (every mode)",
    adaptive: false,
    order: 2,
    modes: ALL_MODES,
    dense_matrices: 0,
    build: |c: &RuleContext<'_>| Box::new(Heun::new(c.net.width(), c.net.param_dim())),
};

/// Heun's second-order rule with a fixed step.
#[derive(Clone, Debug)]
pub struct Heun {
    k1: Velocity,
    k2: Velocity,
    stage: Network,
}

impl Heun {
    /// Heun stepper for n units with q parameters.
    pub fn new(width: usize, q: usize) -> Self {
        Self {
            k1: Velocity::zeros(width, q),
            k2: Velocity::zeros(width, q),
            stage: Network::zeros(width, q),
        }
    }
}

impl Stepper for Heun {
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
        let loss_before = field.velocity(net, &mut self.k1);
        self.stage.set_lincomb(net, span, &[(1.0, &self.k1)]);
        field.velocity(&self.stage, &mut self.k2);
        self.stage
            .set_lincomb(net, span, &[(0.5, &self.k1), (0.5, &self.k2)]);
        std::mem::swap(net, &mut self.stage);
        Ok(StepOutcome {
            dt: span,
            loss_before,
            loss_after: None,
        })
    }
}
