//! # mf-core
//!
//! Wide two-layer networks as interacting particle systems (Rotskoff & Vanden-Eijnden,
//! arXiv 1805.00915). A network of $n$ units is
//!
//! $$ f_n(x) = \frac1n \sum_{i=1}^n c_i\, \varphi(x, z_i), $$
//!
//! the mean-field $1/n$ scaling, and each unit $\theta_i = (c_i, z_i)$ is a particle. With data
//! $x \sim \nu$ and target $f$, the loss is a convex energy of the empirical measure:
//!
//! $$ \ell = \tfrac12 \mathbb E_\nu |f - f_n|^2 = C_f - \frac1n \sum_i F(\theta_i) + \frac1{2n^2} \sum_{i,j} K(\theta_i, \theta_j), $$
//! $$ C_f = \tfrac12 \mathbb E_\nu f^2, \quad F(\theta) = c\, \mathbb E_\nu[f(x)\varphi(x,z)], \quad K(\theta,\theta') = c c'\, \mathbb E_\nu[\varphi(x,z)\varphi(x,z')]. $$
//!
//! Gradient descent in mean-field time ($t = k\,\Delta t$, a learning rate $\eta = n\,\Delta t$)
//! moves the particles by
//!
//! $$ \dot\theta_i = \nabla F(\theta_i) - \frac1n \sum_j \nabla_\theta K(\theta_i, \theta_j), $$
//!
//! with $F$ and $K$ estimated on the points of the step (a fixed training set: `gd`; minibatches
//! of it: `sgd`; fresh points each step: `online`) or, for Gaussian units on the sphere, in closed
//! form (`exact`, module [`exact`]).
//!
//! Where things are:
//! - [`unit`](mod@unit): the [`Unit`] trait (the math of a unit), its optional fast
//!   [`UnitKernel`], the shipped [`Rbf`] and [`Relu`] units;
//! - [`dynamics`]: the [`Field`] (loss and velocity of a state; the particle step in
//!   [`dynamics::sampled`]), the [`Stepper`]s (step rules) and the [`Minimiser`] hook;
//! - [`exact`]: the closed forms of the population loss for RBF units on the sphere;
//! - [`train`]: a run with its streams, evaluation schedule, divergence check and checkpoints;
//! - [`network`], [`target`], [`points`], [`config`], [`schedule`]: the state, the target f,
//!   the data, the run's configuration and its evaluation grid;
//! - [`output`]: the file formats (`trace.csv`, `state.json`, `summary.json`, checkpoints);
//! - [`special`]: ₀F₁ and ln Γ in log space.
//!
//! ```
//! use mf_core::{Mode, TrainConfig, Trainer, UnitKind};
//! use faer::Par;
//! let mut cfg = TrainConfig::new(UnitKind::named("rbf"), 3, 16, 20, 0.5, 1);
//! cfg.test_size = 1000;
//! cfg.mode = Mode::Online;
//! let mut t = Trainer::new(cfg, Par::Seq).unwrap();
//! t.run(20, &mut |_| {}, &mut |_| Ok(())).unwrap();
//! let first = &t.trace()[0];
//! let last = t.trace().last().unwrap();
//! assert!(last.relative_test_loss < first.relative_test_loss);
//! ```

#![warn(missing_docs)]

pub mod config;
pub mod data;
pub mod dynamics;
pub mod error;
pub mod exact;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod kernels;
#[cfg(not(feature = "internals"))]
mod kernels;
pub mod mode;
pub mod network;
pub mod output;
pub mod points;
pub mod schedule;
pub mod special;
pub mod target;
pub mod train;
pub mod unit;

pub use config::{Mode, StepRule, TrainConfig};
pub use dynamics::{Field, ForwardEuler, Minimiser, Stepper, Workspace};
pub use error::TrainError;
pub use network::{InitC, InitZ, Network, Velocity};
pub use output::Checkpoint;
pub use points::PointSet;
pub use target::{SpinTarget, Target};
pub use train::Trainer;
pub use unit::{Rbf, Relu, Unit, UnitKernel, UnitKind, UnitSpec};

pub use faer;
pub use spin_target;
pub use spin_target::streams;

#[cfg(test)]
mod tests;
