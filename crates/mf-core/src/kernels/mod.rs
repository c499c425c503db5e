//! The deterministic vector kernels of the particle step (private: an implementation detail of
//! the shipped units and of the exact mode; exposed only with the `internals` feature, for the
//! benches).
//!
//! - [`simd`]: a minimal vector-of-f64 abstraction (AVX-512, AVX2, portable) with the same
//!   operations in the same order on every path, so every path gives the same bits;
//! - [`exp`]: the exp (degree-13 form for exact mode, table form for the particle step);
//! - [`tiled`]: the cache-blocked forward pass (products, the unit's row map and the partial
//!   sums of f_n tile by tile);
//! - [`contract`]: the contraction G = Φ · diag(r) X̃ with one fixed summation order;
//! - [`cols`]: columns of faer matrices as slices.
//!
//! Hand-written on purpose: results must be bitwise identical for any thread count and on every
//! processor path, which neither faer's products nor libm's exp guarantee.

pub mod cols;
pub mod contract;
pub mod exp;
pub(crate) mod simd;
pub mod tiled;
