//! # spin-target
//!
//! The continuous spherical 3-spin model, the target function of every experiment of
//! `meanfield` (Rotskoff & Vanden-Eijnden, arXiv 1805.00915):
//!
//! $$ f(x) = \kappa \sum_{p,q,r=1}^{d} a_{pqr}\, x_p x_q x_r, \qquad x \in S^{d-1}(R), \qquad a_{pqr} \sim \mathcal N(0,1) \text{ i.i.d.}, $$
//!
//! with the data measure $\nu$ uniform on the sphere. The default normalisation is $R = \sqrt d$,
//! $\kappa = 1/d$ (the spin-glass convention, $\mathrm{Var}_a f(x) = d$); both are configurable.
//! With the symmetrised tensor $a^S$ and $P$ points as the rows of $X$, the batch is two matrix
//! products, $G = (X \odot X)(A^S)^\top$, $f(X) = \kappa\, \mathrm{rowsum}(X \circ G)$,
//! $\nabla f(X) = 3\kappa G$, and the mean square is exact:
//!
//! $$ \int f^2 \, d\nu = \frac{\kappa^2 R^6}{d(d+2)(d+4)} \Big[ 6 \sum_{pqr} (a^S_{pqr})^2 + 9 \sum_r \Big(\sum_p a^S_{ppr}\Big)^2 \Big]. $$
//!
//! - [`SpinModel`]: coefficients reproducible from a seed, the energy of one point or of a
//!   batch (as matrix products), ambient and tangent gradients, and the exact mean square
//!   (module [`moments`]).
//! - [`sample_sphere`]: uniform points on $S^{d-1}(R)$, batched into a preallocated matrix.
//! - [`streams`]: independent xoshiro256++ streams obtained by jumps from one base seed.
//! - [`linalg`]: deterministic, allocation-free parallel matrix products.
//!
//! ```
//! use spin_target::SpinModel;
//! let model = SpinModel::new(5, 1).unwrap();
//! let x = [1.0, 1.0, 1.0, 1.0, 1.0]; // |x| = √5 = R
//! let f = model.energy(&x);
//! assert!(f.is_finite());
//! assert!(model.mean_square() > 0.0);
//! ```

#![warn(missing_docs)]

pub mod error;
pub mod linalg;
pub mod model;
pub mod moments;
mod monomial_dot;
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
