//! Exact population gradient flow for Gaussian RBF units on the sphere: no sampling noise.
//!
//! With x uniform on S^{d-1}(R) every expectation of the loss has a closed form through the
//! moment generating function of ν,
//!
//! ```text
//! G(v) = E e^{v·x} = g(|v|²),   g(u) = ₀F₁(; d/2; R²u/4),
//! g^{(m)}(u) = (R²/4)^m / (d/2)_m · ₀F₁(; d/2 + m; R²u/4),
//! ```
//!
//! ([`crate::special`] evaluates ln ₀F₁ and the ratios ₀F₁(;b+1;y)/₀F₁(;b;y)). See
//! [`population`] for F̂, K̂, the exact loss and the exact velocities, [`hessian`] for the dense
//! Hessian H = n∇²ℓ (and H·x), [`table`] for the fast path of the pair work, and [`ExactField`]
//! for the field the steppers see.

pub mod field;
pub mod hessian;
pub mod kernel;
pub mod population;
pub mod table;

pub use field::ExactField;
pub use population::{ExactRbf, ExactWorkspace};

#[cfg(test)]
mod teacher_tests;
#[cfg(test)]
mod tests;
