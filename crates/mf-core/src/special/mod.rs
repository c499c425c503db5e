//! Special functions of the exact mode, in log space: the confluent hypergeometric limit function
//! ₀F₁(; b; y), its contiguous ratios and ln Γ (module [`hyp0f1`] for the method
//! and its accuracy).
//!
//! Hand-written on purpose: the exact loss needs ln ₀F₁ for arguments where ₀F₁ itself
//! overflows (y up to ~10⁶) and the ratios ₀F₁(;b+1;y)/₀F₁(;b;y) without forming either, to
//! ~1e-14; no maintained Rust crate offers a log-space ₀F₁ with ratios.

pub mod hyp0f1;

pub use hyp0f1::{Hyp0f1, hyp0f1_ratio, ln_gamma, ln_hyp0f1, ln_hyp0f1_and_ratios};
