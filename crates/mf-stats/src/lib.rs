//! # mf-stats
//!
//! Statistics of mean-field particle networks (Rotskoff & Vanden-Eijnden, arXiv 1805.00915):
//! replicas of one configuration on independent RNG streams, and the estimators that make the
//! paper's claims measurable with error bars:
//!
//! - the law of large numbers: the mean field $\bar f_n(x_k) = R^{-1}\sum_r f_n^{(r)}(x_k)$ on
//!   probe points, and the distance $K^{-1}\sum_k (\bar f_n(x_k) - \bar f_{4n}(x_k))^2$ between widths;
//! - the central limit theorem: $n \cdot K^{-1} \sum_k \mathrm{Var}_R[f_n(x_k)]$, $O(1)$ while the
//!   fluctuations are $O(n^{-1/2})$, decaying when they heal; the bias $K^{-1}\sum_k(\bar f_n - f)^2$;
//! - mean losses with standard errors and t intervals ([`inference`]: a delete-one jackknife
//!   per width, Welch–Satterthwaite degrees of freedom for any combination of widths);
//! - power-law fits $y(n) \approx A\, n^{\beta}$ on log–log axes (least squares), with the t
//!   interval of $\beta$, the local slopes, a test that the curve is a power law over the widths,
//!   the sensitivity to each end width, the exponent of the replica variance, and the rules
//!   choosing the widths of a long-time fit ([`fit`]);
//! - the coverage of every interval measured by simulation at a scan's widths, replicas and
//!   spreads ([`coverage`]);
//! - the extrapolation $\ell_\infty(t)$ of the mean loss in $n$ and the exponent of
//!   $E[\ell_n(t)] - \ell_\infty(t)$ by profile least squares ([`extrapolate`]);
//! - scans over widths × replicas with resume, shards and merging ([`scan`]).
//!
//! This crate is the layer above [`mf_core`], which it re-exports.
//!
//! ```
//! use mf_stats::estimators::mean_se;
//! let (m, se) = mean_se(&[1.0, 2.0, 3.0]);
//! assert_eq!(m, 2.0);
//! assert!((se - (1.0f64 / 3.0).sqrt()).abs() < 1e-15);
//! ```

#![warn(missing_docs)]

pub mod coverage;
pub mod error;
pub mod estimators;
pub mod extrapolate;
pub mod fit;
pub mod inference;
pub mod scan;
pub mod speedup;
pub mod time_limit;
pub mod transition;
pub mod verdict;

pub use error::ScanError;
pub use fit::{PowerLawFit, fit_power_law};
pub use mf_core;
