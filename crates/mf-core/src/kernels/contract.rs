//! The contraction G = Φ · diag(r) X̃ of the shipped units, as blocked dot products.
//!
//! Φ is the row-major n × B buffer (row stride [`crate::kernels::tiled::row_stride`]`(B)`) left by
//! [`crate::kernels::tiled::tiled_forward`] and X̃ the B × m
//! points (m = d + 1 columns); every entry of G is a dot product over the B points of one row
//! of Φ with one column of diag(r) X̃ (both contiguous):
//!
//! ```text
//! G_ik = Σ_p φ_ip (r_p x̃_pk)
//! ```
//!
//! Each dot product has one fixed summation order, whatever the processor: eight partial sums
//! S_l = Σ_{p ≡ l (mod 8)} φ_ip w_pk, each a chain of fused multiply-adds in increasing p, then
//! ((S_0 + S_1) + (S_2 + S_3)) + ((S_4 + S_5) + (S_6 + S_7)). AVX-512 holds the eight sums in one
//! register, AVX2 in two, the portable path in eight scalars: the same bits on every path. The
//! kernel takes [`UNITS`] rows × up to [`COLS`] columns at a time (24 accumulators on AVX-512,
//! each loaded value used 4–6 times; AVX2, with two registers per sum, takes 2 rows × ≤ 3
//! columns).
//! The points are taken in blocks of [`KC`]: the U rows of a block (8 KiB) stay in L1 while every
//! column group runs over them, the partial sums waiting in a small state between blocks (stored
//! and reloaded exactly, so the sums are those of one pass). Without the blocks each row of Φ was
//! read once per column group, and on a shared machine whose L3 is under pressure the
//! contraction ran 2–3× slower. Blocks of [`ROW_BLOCK`] rows run in parallel with a fixed split,
//! so the result does not depend on threads either. At n = 1024, B = 1024, m = 26 this runs at
//! ≈ 75 GFLOP/s on the project's 2 cores against ≈ 63 for faer's product of the same shape
//! (benches/README.md).

use crate::kernels::simd::Lanes;
use faer::{MatMut, MatRef, Par};
use spin_target::linalg::ROW_BLOCK;

/// Rows of Φ per kernel call on AVX-512 (4 × 6 sums in 24 zmm registers).
pub const UNITS: usize = 4;
/// Most columns of X̃ per kernel call on AVX-512.
pub const COLS: usize = 6;
/// Rows per call on narrower vectors (AVX2: two ymm per sum, 2 × 3 sums in 12 of 16 registers).
const NARROW_UNITS: usize = 2;
/// Most columns per call on narrower vectors.
const NARROW_COLS: usize = 3;
/// Partial sums per dot product (the fixed summation order of the module docs).
const SUMS: usize = 8;

/// The [`SUMS`] partial sums added in the fixed tree order.
#[inline(always)]
fn reduce(s: &[f64; SUMS]) -> f64 {
    ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
}

/// Points per block of the contraction: within a block the U rows of Φ (U · KC · 8 bytes) stay
/// in L1 while every column group runs over them.
pub const KC: usize = 256;
/// Column groups whose partial sums are held across point blocks (m ≤ 72 on AVX-512, m ≤ 36 on
/// AVX2); wider W runs each group over all points at once (the same sums, without the reuse).
const MAX_GROUPS: usize = 12;

/// Partial sums of U rows × up to [`COLS`] columns: `[u][c][l]` = S_l of the module docs.
type State<const U: usize> = [[[f64; SUMS]; COLS]; U];

/// Adds points p0..p1 (multiples of [`SUMS`]) to the partial sums of rows `a[u]` · columns `w[c]`.
///
/// # Safety
/// The processor has `V`'s features, `V::LANES` divides [`SUMS`], and every pointer has p1
/// readable values.
#[inline(always)]
#[allow(clippy::needless_range_loop)] // lanes and registers indexed together
unsafe fn accumulate<V: Lanes, const U: usize, const C: usize>(
    a: [*const f64; U],
    w: [*const f64; C],
    p0: usize,
    p1: usize,
    state: &mut State<U>,
) {
    const { assert!(SUMS.is_multiple_of(V::LANES)) };
    let g = SUMS / V::LANES;
    // SAFETY: this function's contract: V's features, V::LANES divides SUMS, and every pointer has p1 readable values (the loads stay below p1).
    unsafe {
        let mut acc = [[[V::splat(0.0); SUMS]; C]; U];
        for u in 0..U {
            for c in 0..C {
                for h in 0..g {
                    acc[u][c][h] = V::load(state[u][c].as_ptr().add(h * V::LANES));
                }
            }
        }
        let mut p = p0;
        while p < p1 {
            for h in 0..g {
                let at = p + h * V::LANES;
                let mut av = [V::splat(0.0); U];
                for (u, v) in av.iter_mut().enumerate() {
                    *v = V::load(a[u].add(at));
                }
                for c in 0..C {
                    let wv = V::load(w[c].add(at));
                    for u in 0..U {
                        acc[u][c][h] = av[u].mul_add(wv, acc[u][c][h]);
                    }
                }
            }
            p += SUMS;
        }
        for u in 0..U {
            for c in 0..C {
                for h in 0..g {
                    acc[u][c][h].store(state[u][c].as_mut_ptr().add(h * V::LANES));
                }
            }
        }
    }
}

/// Adds the last points whole..len (fewer than [`SUMS`]) to their partial sums and returns the
/// reduced dot products.
///
/// # Safety
/// Every pointer has `len` readable values.
#[inline(always)]
unsafe fn finish<const U: usize, const C: usize>(
    a: [*const f64; U],
    w: [*const f64; C],
    whole: usize,
    len: usize,
    state: &mut State<U>,
) -> [[f64; C]; U] {
    let mut out = [[0.0; C]; U];
    for (u, row) in out.iter_mut().enumerate() {
        for (c, o) in row.iter_mut().enumerate() {
            let s = &mut state[u][c];
            for q in whole..len {
                // SAFETY: q < len.
                let (x, y) = unsafe { (*a[u].add(q), *w[c].add(q)) };
                s[q - whole] = x.mul_add(y, s[q - whole]);
            }
            *o = reduce(s);
        }
    }
    out
}

/// Column group `gi` of rows `a` over points p0..p1 into `state`, then (when `last`) its final
/// values into `out` (rows (i, r0) as in [`row_group`]; W = (pointer, column stride, m)).
///
/// # Safety
/// As [`accumulate`].
#[inline(always)]
unsafe fn group_cols<V: Lanes, const U: usize, const CMAX: usize>(
    a: [*const f64; U],
    (i, r0, len): (usize, usize, usize),
    gi: usize,
    (p0, p1, last): (usize, usize, bool),
    (w, ws, m): (*const f64, usize, usize),
    state: &mut State<U>,
    out: &mut MatMut<'_, f64>,
) {
    let groups = m.div_ceil(CMAX);
    let whole = len / SUMS * SUMS;
    let (k0, k1) = (m * gi / groups, m * (gi + 1) / groups);
    macro_rules! cols {
        ($c:literal) => {{
            // SAFETY: forwarded from the caller; k0 + c < k1 ≤ m.
            unsafe {
                let cols: [*const f64; $c] = std::array::from_fn(|c| w.add((k0 + c) * ws));
                accumulate::<V, U, $c>(a, cols, p0, p1, state);
                if last {
                    let g = finish::<U, $c>(a, cols, whole, len, state);
                    for (u, row) in g.iter().enumerate() {
                        for (c, v) in row.iter().enumerate() {
                            out[(i + u - r0, k0 + c)] = *v;
                        }
                    }
                }
            }
        }};
    }
    match k1 - k0 {
        1 => cols!(1),
        2 => cols!(2),
        3 => cols!(3),
        4 => cols!(4),
        5 => cols!(5),
        6 => cols!(6),
        _ => unreachable!("column groups hold 1..=COLS columns"),
    }
}

/// Rows i..i+U of G (all m columns) into `out`, whose row 0 is Φ row `r0`: point block by point
/// block ([`KC`] points, so the U rows of the block stay in L1), every column group in turn
/// (columns in nearly equal groups of at most CMAX: 26 → 5, 5, 5, 5, 6 for CMAX = 6). The partial sums
/// wait in `state` between blocks, so the sums are those of one pass over all points.
///
/// # Safety
/// As [`accumulate`]; `phi` has the rows, `w` has m columns of B values at column stride `ws`.
#[inline(always)]
unsafe fn row_group<V: Lanes, const U: usize, const CMAX: usize>(
    phi: Phi<'_>,
    i: usize,
    r0: usize,
    w: *const f64,
    ws: usize,
    m: usize,
    out: &mut MatMut<'_, f64>,
) {
    let len = phi.len;
    let a: [*const f64; U] = std::array::from_fn(|u| phi.data[(i + u) * phi.ld..].as_ptr());
    let groups = m.div_ceil(CMAX);
    let whole = len / SUMS * SUMS;
    if groups <= MAX_GROUPS {
        let mut states = [[[[0.0; SUMS]; COLS]; U]; MAX_GROUPS];
        let mut p0 = 0;
        loop {
            let p1 = (p0 + KC).min(whole);
            let last = p1 == whole;
            for (gi, state) in states.iter_mut().enumerate().take(groups) {
                // SAFETY: forwarded from the caller.
                unsafe {
                    group_cols::<V, U, CMAX>(
                        a,
                        (i, r0, len),
                        gi,
                        (p0, p1, last),
                        (w, ws, m),
                        state,
                        out,
                    )
                };
            }
            if last {
                break;
            }
            p0 = p1;
        }
    } else {
        for gi in 0..groups {
            let state = &mut [[[0.0; SUMS]; COLS]; U];
            // SAFETY: forwarded from the caller.
            unsafe {
                group_cols::<V, U, CMAX>(
                    a,
                    (i, r0, len),
                    gi,
                    (0, whole, true),
                    (w, ws, m),
                    state,
                    out,
                )
            };
        }
    }
}

/// Rows `rows` of G = Φ · W into `out` (its row 0 is Φ row `rows.start`; W is B × m with
/// contiguous columns): [`UNITS`] rows at a time, the last ones singly (each entry is its own
/// dot product, so the grouping does not change it). Checks every extent the kernels read, so
/// that the processor's features are its only requirement.
///
/// # Safety
/// The processor has `V`'s features.
#[inline(always)]
unsafe fn block_rows<V: Lanes>(
    phi: Phi<'_>,
    rows: std::ops::Range<usize>,
    w: MatRef<'_, f64>,
    out: &mut MatMut<'_, f64>,
) {
    let (len, m) = (phi.len, w.ncols());
    assert!(rows.start <= rows.end && out.nrows() == rows.len() && out.ncols() == m);
    assert!(
        w.nrows() == len && w.row_stride() == 1,
        "W: B rows, contiguous columns"
    );
    assert!(
        m <= 1 || w.col_stride() >= len as isize,
        "columns of W do not overlap"
    );
    assert!(phi.ld >= len, "rows of Φ do not overlap");
    assert!(
        rows.is_empty() || (rows.end - 1) * phi.ld + len <= phi.data.len(),
        "rows of Φ"
    );
    if rows.is_empty() || m == 0 || len == 0 {
        out.fill(0.0);
        return;
    }
    let (wp, ws) = (w.as_ptr(), w.col_stride() as usize);
    if V::LANES >= 8 {
        // SAFETY: the features are the caller's; every extent was checked above.
        unsafe { rows_in_tiles::<V, UNITS, COLS>(phi, rows, wp, ws, m, out) }
    } else {
        // SAFETY: as above.
        unsafe { rows_in_tiles::<V, NARROW_UNITS, NARROW_COLS>(phi, rows, wp, ws, m, out) }
    }
}

/// Rows `rows` of G, U rows × ≤ C columns per kernel call, the last rows singly: the register
/// tile of the vector width (the values do not depend on it).
///
/// # Safety
/// As [`row_group`].
#[inline(always)]
unsafe fn rows_in_tiles<V: Lanes, const U: usize, const C: usize>(
    phi: Phi<'_>,
    rows: std::ops::Range<usize>,
    wp: *const f64,
    ws: usize,
    m: usize,
    out: &mut MatMut<'_, f64>,
) {
    let mut i = rows.start;
    while i + U <= rows.end {
        // SAFETY: forwarded from the caller.
        unsafe { row_group::<V, U, C>(phi, i, rows.start, wp, ws, m, out) };
        i += U;
    }
    for i in i..rows.end {
        // SAFETY: forwarded from the caller.
        unsafe { row_group::<V, 1, C>(phi, i, rows.start, wp, ws, m, out) };
    }
}

/// Φ as the kernels read it: row i is `data[i·ld..i·ld + len]`.
#[derive(Clone, Copy)]
pub(crate) struct Phi<'a> {
    data: &'a [f64],
    len: usize,
    ld: usize,
}

type BlockFn = block_paths::Kernel;

crate::kernels::simd::simd_paths!(
    block_paths,
    fn(
        phi: Phi<'_>,
        rows: std::ops::Range<usize>,
        w: MatRef<'_, f64>,
        out: &mut MatMut<'_, f64>,
    ) => block_rows
);

/// G = Φ · W into `out` (n × m): `phi` row-major n × B with row stride `ld` ≥ B (row i is
/// `phi[i·ld..i·ld + B]`), `w` B × m with contiguous columns. Row blocks of [`ROW_BLOCK`] run
/// in parallel unless `Par::Seq`; every entry is one dot product in the fixed order of the
/// module docs.
pub fn contract_points(phi: &[f64], ld: usize, w: MatRef<'_, f64>, out: MatMut<'_, f64>, par: Par) {
    contract_with(block_paths::widest(), phi, ld, w, out, par)
}

fn contract_with(
    kernel: BlockFn,
    phi: &[f64],
    ld: usize,
    w: MatRef<'_, f64>,
    out: MatMut<'_, f64>,
    par: Par,
) {
    let (n, m, len) = (out.nrows(), out.ncols(), w.nrows());
    if n == 0 || m == 0 || len == 0 {
        let mut out = out;
        out.fill(0.0);
        return;
    }
    assert_eq!(w.ncols(), m, "columns of W and G");
    assert!(ld >= len, "rows of Φ do not overlap");
    assert!(phi.len() >= (n - 1) * ld + len, "Φ holds n rows");
    let job = Job {
        kernel,
        phi: Phi { data: phi, len, ld },
        w,
    };
    job.rows(0, out, !matches!(par, Par::Seq));
}

/// One contraction: the kernel, Φ and W.
struct Job<'a> {
    kernel: BlockFn,
    phi: Phi<'a>,
    w: MatRef<'a, f64>,
}

impl Job<'_> {
    /// Rows i0.. of G into `out`: blocks of [`ROW_BLOCK`] rows, split in halves at block
    /// boundaries on rayon when `par` (the leaves are the same blocks either way).
    fn rows(&self, i0: usize, mut out: MatMut<'_, f64>, par: bool) {
        let rows = out.nrows();
        let blocks = rows.div_ceil(ROW_BLOCK);
        if !par || blocks <= 1 {
            for b in 0..blocks {
                let r0 = b * ROW_BLOCK;
                let r1 = (r0 + ROW_BLOCK).min(rows);
                let mut sub = out.rb_mut().subrows_mut(r0, r1 - r0);
                (self.kernel)(self.phi, i0 + r0..i0 + r1, self.w, &mut sub);
            }
            return;
        }
        let mid = (blocks / 2) * ROW_BLOCK;
        let (o0, o1) = out.split_at_row_mut(mid);
        rayon::join(|| self.rows(i0, o0, par), || self.rows(i0 + mid, o1, par));
    }
}

use faer::prelude::ReborrowMut;

/// G = Φ · diag(r) X̃: scales the rows of X̃ by the residuals into `xr`, then contracts the
/// row-major n × B buffer left by [`crate::kernels::tiled::tiled_forward`] (row stride
/// [`crate::kernels::tiled::row_stride`]) with it into `out` (n × (d+1), [`contract_points`]).
/// Shared by the units whose contraction is a single product against the points (RBF with Φ,
/// ReLU with the indicator).
pub(crate) fn weighted_points_product(
    buf: &[f64],
    x: MatRef<'_, f64>,
    r: &[f64],
    mut xr: MatMut<'_, f64>,
    out: MatMut<'_, f64>,
    par: Par,
) {
    let b = x.nrows();
    for k in 0..x.ncols() {
        let xk = crate::kernels::cols::col(x, k);
        for ((o, rp), xp) in crate::kernels::cols::col_mut(&mut xr, k)
            .iter_mut()
            .zip(&r[..b])
            .zip(xk)
        {
            *o = rp * xp;
        }
    }
    contract_points(
        buf,
        crate::kernels::tiled::row_stride(b),
        xr.as_ref(),
        out,
        par,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    fn inputs(n: usize, ld: usize, len: usize, m: usize) -> (Vec<f64>, Mat<f64>) {
        let phi = (0..n * ld)
            .map(|i| ((i * 7919) % 1009) as f64 / 1009.0 - 0.3)
            .collect();
        let w = Mat::from_fn(len, m, |p, k| ((p * 31 + k * 17) % 97) as f64 / 48.5 - 1.0);
        (phi, w)
    }

    fn bits(g: &Mat<f64>) -> Vec<u64> {
        (0..g.ncols())
            .flat_map(|k| (0..g.nrows()).map(move |i| (i, k)))
            .map(|(i, k)| g[(i, k)].to_bits())
            .collect()
    }

    /// The definition of the module docs, one entry at a time.
    fn reference(phi: &[f64], ld: usize, w: &Mat<f64>, n: usize) -> Mat<f64> {
        let len = w.nrows();
        Mat::from_fn(n, w.ncols(), |i, k| {
            let mut s = [0.0; SUMS];
            for p in 0..len {
                s[p % SUMS] = phi[i * ld + p].mul_add(w[(p, k)], s[p % SUMS]);
            }
            reduce(&s)
        })
    }

    #[test]
    fn every_path_gives_the_definition_bits_and_the_product() {
        // n not a multiple of UNITS or ROW_BLOCK, B not a multiple of 8, m with uneven groups
        for (n, ld, len, m) in [
            (261, 203, 203, 26),
            (7, 16, 16, 1),
            (130, 1032, 1024, 13),
            (5, 11, 3, 7),
            // several point blocks with a tail, and more column groups than MAX_GROUPS
            (9, 600, 597, 80),
        ] {
            let (phi, w) = inputs(n, ld, len, m);
            let want = reference(&phi, ld, &w, n);
            // against the plain product within rounding
            for i in 0..n {
                for k in 0..m {
                    let exact: f64 = (0..len).map(|p| phi[i * ld + p] * w[(p, k)]).sum();
                    assert!((want[(i, k)] - exact).abs() <= 1e-12 * (1.0 + exact.abs()));
                }
            }
            for (name, k) in block_paths::paths() {
                for par in [Par::Seq, Par::rayon(2)] {
                    let mut g = Mat::<f64>::zeros(n, m);
                    contract_with(k, &phi, ld, w.as_ref(), g.as_mut(), par);
                    assert_eq!(bits(&g), bits(&want), "{name} n={n} len={len} m={m}");
                }
            }
            let mut g = Mat::<f64>::zeros(n, m);
            contract_points(&phi, ld, w.as_ref(), g.as_mut(), Par::rayon(0));
            assert_eq!(bits(&g), bits(&want));
        }
    }
}
