//! The cache-blocked forward pass shared by the shipped units.
//!
//! On a chunk of B points the pre-activations S = Z Wᵀ (n × B, W the rows of the points as the
//! unit reads them) are computed tile by tile, [`TILE_ROWS`] units × [`TILE_COLS`] points (256 KiB,
//! resident in L2), and each tile is mapped and summed while it is still in cache:
//!
//! ```text
//! buf_ip    = map(s_ip)                                 (what the contraction needs)
//! part_b,p  = Σ_{i ∈ block b, in order} c_i φ(s_ip)     (one vectorised axpy per unit)
//! f_n(x_p)  = (1/n) Σ_{b = 0, 1, ...} part_b,p          (blocks added in order)
//! ```
//!
//! The blocks and the order of every sum are fixed by n and B alone, so the result is bitwise
//! identical for any number of threads (blocks run in parallel on rayon unless `Par::Seq`).
//! `buf` is row-major with a padded row stride L = [`row_stride`]`(B)`: row i is
//! `buf[i·L..i·L + B]`.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use spin_target::linalg::for_each_block;

/// Units per block (one rayon task, one partial sum).
pub const TILE_ROWS: usize = spin_target::linalg::ROW_BLOCK;
/// Points per tile.
pub const TILE_COLS: usize = 256;

/// Values between the starts of two rows of the n × B buffer beyond B. For B a multiple of 512,
/// B · 8 bytes is a multiple of 4 KiB (2 KiB at B = 256), so without padding every row would
/// start in the same L1 cache sets and the contraction's streams (4 rows of Φ, 6 columns of the
/// points) would evict each other.
pub const ROW_PAD: usize = 8;

/// Row stride L = B + [`ROW_PAD`] of the n × B buffer (it holds n · L values).
pub fn row_stride(b: usize) -> usize {
    b + ROW_PAD
}

/// Length of the partial-sum scratch the tiled pass needs for n units and B points.
pub fn partial_len(n: usize, b: usize) -> usize {
    n.div_ceil(TILE_ROWS) * b
}

/// The tiled forward pass (see the module docs). `w` is B × q (the points as the unit reads
/// them, q = z.ncols()); `partial` has at least [`partial_len`] entries; `map(i, j0, row, acc)`
/// receives s_ip for p ∈ j0..j0 + row.len() in `row`, must overwrite it with what the
/// contraction reads and add c_i φ_ip to `acc[p − j0]`.
pub fn tiled_forward<M>(
    z: MatRef<'_, f64>,
    w: MatRef<'_, f64>,
    partial: &mut [f64],
    buf: &mut [f64],
    fn_out: &mut [f64],
    par: Par,
    map: M,
) where
    M: Fn(usize, usize, &mut [f64], &mut [f64]) + Sync,
{
    let (n, b) = (z.nrows(), w.nrows());
    let ld = row_stride(b);
    debug_assert_eq!(z.ncols(), w.ncols());
    let block = |blk: usize, rows: &mut [f64], acc: &mut [f64]| {
        let i0 = blk * TILE_ROWS;
        let m = rows.len() / ld;
        acc.fill(0.0);
        for j0 in (0..b).step_by(TILE_COLS) {
            let len = TILE_COLS.min(b - j0);
            // the tile's transpose is column-major (len × m, column stride L): Sᵀ = W_J Z_Iᵀ
            // (not `MatMut::from_row_major_slice_with_stride_mut`: in faer 0.24.4 it builds a
            // column-major view and writes out of bounds, faer-rs PR #267)
            matmul(
                MatMut::from_column_major_slice_with_stride_mut(&mut rows[j0..], len, m, ld),
                Accum::Replace,
                w.subrows(j0, len),
                z.subrows(i0, m).transpose(),
                1.0,
                Par::Seq,
            );
            for r in 0..m {
                let row = &mut rows[r * ld + j0..r * ld + j0 + len];
                map(i0 + r, j0, row, &mut acc[j0..j0 + len]);
            }
        }
    };
    let partial = &mut partial[..partial_len(n, b)];
    for_each_block(par, &mut buf[..n * ld], TILE_ROWS * ld, partial, b, block);
    let out = &mut fn_out[..b];
    out.fill(0.0);
    for acc in partial.chunks(b) {
        for (o, a) in out.iter_mut().zip(acc) {
            *o += a;
        }
    }
    let inv_n = 1.0 / n as f64;
    out.iter_mut().for_each(|o| *o *= inv_n);
}
