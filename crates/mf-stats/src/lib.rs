//! # mf-stats
//!
//! Statistics of mean-field particle networks (Rotskoff & Vanden-Eijnden, arXiv 1805.00915):
//! replicas of one configuration run on independent RNG streams, the law-of-large-numbers and
//! central-limit fluctuation estimators (n · Var_R[f_n(x)] on probe points, bias², distances
//! between widths), mean losses with standard errors and bootstrap intervals, and power-law fits
//! y(n) ≈ A n^β with confidence intervals.
//!
//! This crate is the layer above [`mf_core`], which it re-exports.

pub use mf_core;
