//! # spin-target
//!
//! The continuous spherical 3-spin model, the target function of every experiment of
//! `meanfield` (Rotskoff & Vanden-Eijnden, arXiv 1805.00915):
//!
//! ```text
//! f(x) = κ Σ_{p,q,r=1..d} a_pqr x_p x_q x_r,   x ∈ S^{d-1}(R),   a_pqr i.i.d. N(0, 1),
//! ```
//!
//! with the data measure ν uniform on the sphere. The default normalisation is R = √d, κ = 1/d
//! (the spin-glass convention, Var_a f(x) = d); both are configurable.
//!
//! - [`SpinModel`]: coefficients reproducible from a seed, the energy of one point or of a
//!   batch (as matrix products), ambient and tangent gradients, and the exact mean square
//!   ∫ f² dν (module [`moments`]).
//! - [`sample_sphere`]: uniform points on S^{d-1}(R), batched into a preallocated matrix.
//! - [`streams`]: independent xoshiro256++ streams obtained by jumps from one base seed.
//!
//! ```
//! use spin_target::SpinModel;
//! let model = SpinModel::new(5, 1).unwrap();
//! let x = [1.0, 1.0, 1.0, 1.0, 1.0]; // |x| = √5 = R
//! let f = model.energy(&x);
//! assert!(f.is_finite());
//! assert!(model.mean_square() > 0.0);
//! ```

pub mod error;
pub mod linalg;
pub mod model;
pub mod moments;
pub mod sphere;
pub mod streams;

pub use error::SpinError;
pub use model::{EnergyWorkspace, MAX_DIM, SpinModel};
pub use sphere::sample_sphere;
pub use streams::{Purpose, StreamRng, stream};

/// Re-export of the matrix library used in the public API.
pub use faer;

#[cfg(test)]
mod tests;
