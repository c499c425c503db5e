//! The particle dynamics in mean-field time, as three small concepts:
//!
//! - a **field** ([`Field`]): the loss ℓ(θ) of a network state and its mean-field velocity
//!   v(θ) = −n ∇ℓ(θ), i.e. dθ_i/dt = ∇F(θ_i) − (1/n) Σ_j ∇_θ K(θ_i, θ_j) — sampled on points
//!   ([`SampledField`], module [`sampled`]: gd, sgd, online) or in closed form
//!   ([`crate::exact::ExactField`]: RBF units on the sphere);
//! - a **stepper** ([`Stepper`]): one rule that advances the state by one step and reports the
//!   step it took — fixed-step [`ForwardEuler`] and [`Heun`], adaptive [`BogackiShampine`],
//!   [`EulerHeun`], [`BacktrackingEuler`], and the stiff [`Rodas3`] (linearly implicit, with
//!   the field's Hessian);
//! - a **minimiser** ([`Minimiser`]): descent on the loss without a time axis (the polish):
//!   the reference [`SteepestDescent`], plain [`Lbfgs`], and the polish itself,
//!   [`TrustRegionNewton`] (Steihaug–Toint CG on exact Hessian-vector products).
//!
//! Time is mean-field time t: a plain learning rate η on the loss corresponds to Δt = η/n, and
//! the relaxation rate in t does not depend on n. The [`crate::Trainer`] owns the schedule,
//! evaluations, checkpoints and the divergence check. A new step rule or minimiser is one file
//! implementing its trait.

mod backtracking;
pub mod birth_death;
mod bogacki_shampine;
pub mod dense;
mod euler;
mod euler_heun;
pub mod field;
mod heun;
pub mod lbfgs;
pub mod minimiser;
pub mod minimisers;
#[cfg(test)]
mod polish_tests;
mod rodas3;
pub mod ros34pw2;
pub mod rules;
pub mod sampled;
pub mod stage_matrix;
pub mod stepper;
#[cfg(test)]
pub(crate) mod test_fields;
pub mod trust_region;

pub use crate::network::Velocity;
pub use backtracking::BacktrackingEuler;
pub use bogacki_shampine::BogackiShampine;
pub use euler::ForwardEuler;
pub use euler_heun::EulerHeun;
pub use field::Field;
pub use heun::Heun;
pub use lbfgs::Lbfgs;
pub use minimiser::{MinimiseReport, Minimiser, SteepestDescent, Stop, StopRule};
pub use rodas3::Rodas3;
pub use ros34pw2::Ros34pw2;
pub use rules::{STEP_RULES, step_rule};
pub use sampled::{
    SampledField, Workspace, chunk_len, loss, outputs, reference_velocity, velocity,
};
pub use stepper::{
    RuleContext, StepError, StepOutcome, StepRuleSpec, StepWork, Stepper, StepperFactory,
    StepperState,
};
pub use trust_region::{RegionNorm, TrustRegionNewton, TrustRegionStats};
