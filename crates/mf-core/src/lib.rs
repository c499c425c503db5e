//! # mf-core
//!
//! Wide two-layer networks as interacting particle systems (Rotskoff & Vanden-Eijnden,
//! arXiv 1805.00915).
//!
//! A network of n units is f_n(x) = (1/n) Σ_i c_i φ(x, z_i) — the mean-field 1/n scaling — and each
//! unit θ_i = (c_i, z_i) is a particle. With data x ~ ν (uniform on S^{d-1}(R)) and target f,
//!
//! ```text
//! ℓ = ½ E_ν |f(x) − f_n(x)|² = C_f − (1/n) Σ_i F(θ_i) + (1/2n²) Σ_ij K(θ_i, θ_j),
//! C_f = ½ E_ν f²,   F(θ) = c E_ν[f(x) φ(x, z)],   K(θ, θ') = c c' E_ν[φ(x, z) φ(x, z')],
//! ```
//!
//! and gradient descent in mean-field time moves the particles by
//! dθ_i/dt = ∇F(θ_i) − (1/n) Σ_j ∇K(θ_i, θ_j), F and K being estimated on the points of the step
//! (a fixed training set: `gd`; minibatches of it: `sgd`; fresh points each step: `online`).
//!
//! - [`unit`]: the [`Unit`] trait, [`Rbf`] and [`Relu`] units;
//! - [`network`]: the particles and their initial law;
//! - [`dynamics`]: velocities, losses and the [`Integrator`] trait (forward Euler);
//! - [`train`]: a run with its streams, evaluation schedule, divergence check and checkpoints;
//! - [`output`]: atomic writes and the trace CSV.
//!
//! ```
//! use mf_core::{Mode, TrainConfig, Trainer, UnitKind};
//! use faer::Par;
//! let mut cfg = TrainConfig::new(UnitKind::Rbf, 3, 16, 20, 0.5, 1);
//! cfg.test_size = 1000;
//! cfg.mode = Mode::Online;
//! let mut t = Trainer::new(cfg, Par::Seq).unwrap();
//! t.run(20, &mut |_| {}, &mut |_| Ok(())).unwrap();
//! let first = &t.trace()[0];
//! let last = t.trace().last().unwrap();
//! assert!(last.relative_test_loss < first.relative_test_loss);
//! ```

pub mod config;
pub mod dynamics;
pub mod error;
pub mod exact;
pub mod fastexp;
pub mod network;
pub mod output;
pub mod points;
pub mod schedule;
pub mod train;
pub mod unit;

pub use config::{Mode, TrainConfig};
pub use dynamics::{ForwardEuler, Integrator, Velocity, Workspace};
pub use error::TrainError;
pub use network::{InitC, InitZ, Network};
pub use points::PointSet;
pub use train::{Checkpoint, Trainer};
pub use unit::{Rbf, Relu, Unit, UnitKind};

pub use faer;
pub use spin_target;
pub use spin_target::streams;

#[cfg(test)]
mod tests;
