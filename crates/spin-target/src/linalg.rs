//! Deterministic, allocation-free parallel matrix products.
//!
//! `C = α A·B` with the rows of C split into fixed blocks of [`ROW_BLOCK`] rows; each block is one
//! sequential faer product, and blocks run in parallel through `rayon::join`. The partition does
//! not depend on the number of threads, so the result is bitwise identical for any thread count
//! (and for `Par::Seq`, which runs the same blocks in order), and nothing is allocated (faer's
//! own parallel products allocate their task state on every call).

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

/// Rows of C per sequential block.
pub const ROW_BLOCK: usize = 128;

/// C ← α A·B (`Accum::Replace`) or C ← C + α A·B (`Accum::Add`), by row blocks. `par`:
/// `Par::Seq` runs the blocks in order on this thread; any other value runs them on rayon.
pub fn matmul_rows(
    c: MatMut<'_, f64>,
    accum: Accum,
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    alpha: f64,
    par: Par,
) {
    assert_eq!(c.nrows(), a.nrows());
    if matches!(par, Par::Seq) {
        let mut c = c;
        let mut start = 0;
        while start < a.nrows() {
            let rows = ROW_BLOCK.min(a.nrows() - start);
            matmul(
                c.rb_mut().subrows_mut(start, rows),
                accum,
                a.subrows(start, rows),
                b,
                alpha,
                Par::Seq,
            );
            start += rows;
        }
    } else {
        split(c, accum, a, b, alpha);
    }
}

/// Runs `task(k, a_k, b_k)` for every k, where a_k and b_k are the k-th chunks of `a` and `b` of
/// lengths `a_len` and `b_len` (the last ones may be shorter; as many as the shorter split has):
/// in order on this thread for `Par::Seq`, on rayon otherwise. Each task owns its two chunks, so
/// the result does not depend on the number of threads.
pub fn for_each_block<F>(
    par: Par,
    a: &mut [f64],
    a_len: usize,
    b: &mut [f64],
    b_len: usize,
    task: F,
) where
    F: Fn(usize, &mut [f64], &mut [f64]) + Sync + Send,
{
    if matches!(par, Par::Seq) {
        for (k, (x, y)) in a.chunks_mut(a_len).zip(b.chunks_mut(b_len)).enumerate() {
            task(k, x, y);
        }
    } else {
        use rayon::prelude::*;
        a.par_chunks_mut(a_len)
            .zip(b.par_chunks_mut(b_len))
            .enumerate()
            .for_each(|(k, (x, y))| task(k, x, y));
    }
}

fn split(c: MatMut<'_, f64>, accum: Accum, a: MatRef<'_, f64>, b: MatRef<'_, f64>, alpha: f64) {
    let n = a.nrows();
    if n <= ROW_BLOCK {
        matmul(c, accum, a, b, alpha, Par::Seq);
        return;
    }
    // split at a block boundary: the leaves are always the same ROW_BLOCK-row blocks
    let blocks = n.div_ceil(ROW_BLOCK);
    let mid = (blocks / 2) * ROW_BLOCK;
    let (c0, c1) = c.split_at_row_mut(mid);
    let (a0, a1) = a.split_at_row(mid);
    rayon::join(
        || split(c0, accum, a0, b, alpha),
        || split(c1, accum, a1, b, alpha),
    );
}

use faer::prelude::ReborrowMut;

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    #[test]
    fn equals_the_plain_product_and_does_not_depend_on_threads() {
        let (m, k, n) = (517, 33, 41);
        let a = Mat::from_fn(m, k, |i, j| ((i * 7 + j * 3) % 11) as f64 / 7.0 - 0.5);
        let b = Mat::from_fn(k, n, |i, j| ((i * 5 + j) % 13) as f64 / 5.0 - 1.0);
        let mut reference = Mat::<f64>::zeros(m, n);
        matmul(
            reference.as_mut(),
            Accum::Replace,
            a.as_ref(),
            b.as_ref(),
            1.0,
            Par::Seq,
        );
        let run = |threads: usize, par: Par| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut c = Mat::<f64>::zeros(m, n);
                matmul_rows(c.as_mut(), Accum::Replace, a.as_ref(), b.as_ref(), 1.0, par);
                matmul_rows(c.as_mut(), Accum::Add, a.as_ref(), b.as_ref(), 0.5, par);
                c
            })
        };
        let c1 = run(1, Par::rayon(0));
        for i in 0..m {
            for j in 0..n {
                assert!((c1[(i, j)] - 1.5 * reference[(i, j)]).abs() < 1e-12);
            }
        }
        let bits = |c: &Mat<f64>| {
            (0..m)
                .flat_map(|i| (0..n).map(move |j| (i, j)))
                .map(|(i, j)| c[(i, j)].to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&c1), bits(&run(2, Par::rayon(0))));
        assert_eq!(bits(&c1), bits(&run(2, Par::Seq)));
    }
}
