//! # mf-stats
//!
//! Statistics of mean-field particle networks (Rotskoff & Vanden-Eijnden, arXiv 1805.00915):
//! replicas of one configuration run on independent RNG streams, the law-of-large-numbers and
//! central-limit fluctuation estimators (n · Var_R[f_n(x)] on probe points, bias², distances
//! between widths), mean losses with standard errors and bootstrap intervals, power-law fits
//! y(n) ≈ A n^β with confidence intervals, and scans over widths × replicas with sharding,
//! merging and resume.
//!
//! This crate is the layer above [`mf_core`], which it re-exports.

pub mod estimators;
pub mod fit;
pub mod scan;

pub use fit::{PowerLawFit, fit_power_law};
pub use mf_core;
