//! # mf-core
//!
//! Wide two-layer networks as interacting particle systems (Rotskoff & Vanden-Eijnden,
//! arXiv 1805.00915).
//!
//! This crate is the layer above [`spin_target`], which it re-exports.

pub use spin_target;
