//! A branch-free exponential for slices, on explicit AVX-512 / AVX2 vectors (module `simd`).
//!
//! Two forms, each giving the same bits on every processor path (AVX-512, AVX2, portable):
//!
//! - [`exp_in_place`] / [`exp`] (the exact mode's): exp(x) = 2^k · exp(r) with
//!   k = round(x / ln 2), r = x − k ln 2 (Cody–Waite split of ln 2, |r| ≤ ln 2 / 2), exp(r) by
//!   its Taylor polynomial of degree 13 (truncation < (ln 2/2)^14 / 14! ≈ 4e-18, below half an
//!   ulp) with separate multiplies and adds, and 2^k assembled from the exponent bits;
//! - [`exp_in_place_fused`] / [`exp_fused`] (the particle step's): x = (16 k + j) ln 2 / 16 + r
//!   with |r| ≤ ln 2 / 32, exp(x) = 2^k (T_j + T_j q(r)) with T_j = 2^{j/16} from a 16-entry table
//!   (one in-register permute on AVX-512), q(r) = Σ_{m=1..7} r^m / m! (truncation ≈ 1.2e-18),
//!   every step but q = p · r a fused multiply-add: 11 multiply-class operations per value
//!   instead of 17.
//!
//! Accuracy of both: within 2 ulp of the correctly rounded value on [−708, 709.5] (tested against
//! the system `exp`); below −708 the result is flushed to 0 (the smallest normal number is
//! e^{−708.4}), above 709.5 it is +∞. NaN in gives NaN out.

const LOG2E: f64 = std::f64::consts::LOG2_E;
/// ln 2 = LN2_HI + LN2_LO with LN2_HI exact in 32 bits (fdlibm's split), so k · LN2_HI is exact.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const SHIFTER: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52: adding it rounds to an integer

use crate::kernels::simd::{Block, Lanes, for_lanes};

/// Taylor coefficients 1/k! for k = 13 down to 0.
const C: [f64; 14] = [
    1.0 / 6_227_020_800.0,
    1.0 / 479_001_600.0,
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
    1.0,
    1.0,
];

/// 1/m! for m = 7 down to 1 (the entries of [`C`] from 1/7! to 1/1!):
/// q(r) = r (1 + r (1/2 + ... r / 7!)).
const Q: [f64; 7] = {
    let mut q = [0.0; 7];
    let mut m = 0;
    while m < 7 {
        q[m] = C[6 + m];
        m += 1;
    }
    q
};

/// 2^{j/16} for j = 0..15, correctly rounded.
const EXP2_SIXTEENTHS: [f64; 16] = [
    f64::from_bits(0x3ff0000000000000),
    f64::from_bits(0x3ff0b5586cf9890f),
    f64::from_bits(0x3ff172b83c7d517b),
    f64::from_bits(0x3ff2387a6e756238),
    f64::from_bits(0x3ff306fe0a31b715),
    f64::from_bits(0x3ff3dea64c123422),
    f64::from_bits(0x3ff4bfdad5362a27),
    f64::from_bits(0x3ff5ab07dd485429),
    f64::from_bits(0x3ff6a09e667f3bcd),
    f64::from_bits(0x3ff7a11473eb0187),
    f64::from_bits(0x3ff8ace5422aa0db),
    f64::from_bits(0x3ff9c49182a3f090),
    f64::from_bits(0x3ffae89f995ad3ad),
    f64::from_bits(0x3ffc199bdd85529c),
    f64::from_bits(0x3ffd5818dcfba487),
    f64::from_bits(0x3ffea4afa2a490da),
];

/// exp(x) for one value (same arithmetic as [`exp_in_place`]).
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    exp_one::<false>(x)
}

/// exp(x) for one value with the polynomial in fused multiply-adds (same arithmetic as
/// [`exp_in_place_fused`]).
#[inline(always)]
#[cfg_attr(not(feature = "internals"), allow(dead_code))]
pub fn exp_fused(x: f64) -> f64 {
    exp_one::<true>(x)
}

#[inline(always)]
fn exp_one<const FUSED: bool>(x: f64) -> f64 {
    // SAFETY: the f64 lanes need no processor feature.
    unsafe { exp_lanes::<f64, 1, FUSED>([x])[0] }
}

/// exp of W vectors at once, their steps interleaved (independent chains hide each other's
/// latency): the table form when `FUSED`, the degree-13 form otherwise. Per lane exactly the
/// operations of the module docs, so every vector type and width gives the same bits.
///
/// # Safety
/// The processor has `V`'s features.
#[inline(always)]
pub(crate) unsafe fn exp_lanes<V: Lanes, const W: usize, const FUSED: bool>(x: [V; W]) -> [V; W] {
    // SAFETY: the caller guarantees V's features (this function's contract).
    unsafe {
        if FUSED {
            exp_lanes_table(x)
        } else {
            exp_lanes_taylor13(x)
        }
    }
}

/// The degree-13 form: 2^k · exp(r), |r| ≤ ln 2 / 2, unfused Horner steps.
///
/// # Safety
/// The processor has `V`'s features.
#[inline(always)]
unsafe fn exp_lanes_taylor13<V: Lanes, const W: usize>(x: [V; W]) -> [V; W] {
    // SAFETY: the caller guarantees V's features (this function's contract).
    unsafe {
        let (lo, hi) = (V::splat(-708.0), V::splat(709.5));
        let (log2e, shifter) = (V::splat(LOG2E), V::splat(SHIFTER));
        let (hi_part, lo_part) = (V::splat(LN2_HI), V::splat(LN2_LO));
        let mut t = x;
        let mut r = x;
        for j in 0..W {
            let xc = x[j].clamp(lo, hi);
            t[j] = xc.mul(log2e).add(shifter);
            let k = t[j].sub(shifter);
            r[j] = xc.sub(k.mul(hi_part)).sub(k.mul(lo_part));
        }
        let mut p = [V::splat(C[0]); W];
        for &c in &C[1..] {
            let c = V::splat(c);
            for j in 0..W {
                p[j] = p[j].mul(r[j]).add(c);
            }
        }
        let mut y = p;
        for j in 0..W {
            // (2p) · 2^{k−1}: both factors normal for k ∈ [−1021, 1024] (x ∈ [−708, 709.5]), so
            // the product is p · 2^k with one rounding and stays finite up to 709.5
            let v = p[j].add(p[j]).mul(t[j].exp2_bits(SHIFTER.to_bits(), 1022));
            y[j] = special_cases(x[j], v);
        }
        y
    }
}

/// The table form: x = (16 k + j) ln 2 / 16 + r with |r| ≤ ln 2 / 32, then
/// exp(x) = 2^k · (T_j + T_j · q(r)), T_j = 2^{j/16} (correctly rounded), q(r) = Σ_{m=1..7} r^m/m!
/// (truncation < (ln 2/32)^8 / 8! ≈ 1.2e-18), every step but q = p · r a fused multiply-add.
///
/// # Safety
/// The processor has `V`'s features.
#[inline(always)]
unsafe fn exp_lanes_table<V: Lanes, const W: usize>(x: [V; W]) -> [V; W] {
    // SAFETY: the caller guarantees V's features (this function's contract).
    unsafe {
        let (lo, hi) = (V::splat(-708.0), V::splat(709.5));
        let (scale, shifter) = (V::splat(16.0 * LOG2E), V::splat(SHIFTER));
        let (hi_part, lo_part) = (V::splat(-LN2_HI / 16.0), V::splat(-LN2_LO / 16.0));
        let mut t = x;
        let mut r = x;
        for j in 0..W {
            let xc = x[j].clamp(lo, hi);
            t[j] = xc.mul_add(scale, shifter);
            let k = t[j].sub(shifter);
            // x − k · LN2_HI / 16 is exact: the fma's result is smaller than |x| and lies on the
            // ulp grid of x (|k| < 2^15 and LN2_HI has 32 significant bits)
            r[j] = k.mul_add(lo_part, k.mul_add(hi_part, xc));
        }
        let mut p = [V::splat(Q[0]); W];
        for &c in &Q[1..] {
            let c = V::splat(c);
            for j in 0..W {
                p[j] = p[j].mul_add(r[j], c);
            }
        }
        let mut y = p;
        for j in 0..W {
            let q = p[j].mul(r[j]);
            let tj = t[j]
                .lookup16(&EXP2_SIXTEENTHS)
                .add_exponent(t[j], SHIFTER.to_bits());
            y[j] = special_cases(x[j], tj.mul_add(q, tj));
        }
        y
    }
}

/// Flush below −708, overflow above 709.5, NaN in gives NaN out.
#[inline(always)]
unsafe fn special_cases<V: Lanes>(x: V, v: V) -> V {
    // SAFETY: the caller (an `unsafe fn` of the same contract) guarantees V's features; only register operations.
    unsafe {
        let v = x.lt_select(V::splat(-708.0), V::splat(0.0), v);
        let v = V::splat(709.5).lt_select(x, V::splat(f64::INFINITY), v);
        x.nan_or(v)
    }
}

/// exp in place over the slice at `ptr` (a [`Block`] for [`for_lanes`]).
struct ExpBlock<const FUSED: bool>(*mut f64);

impl<const FUSED: bool> Block for ExpBlock<FUSED> {
    #[inline(always)]
    unsafe fn run<V: Lanes, const W: usize>(&mut self, offset: usize) {
        // SAFETY: Block::run's contract: V's features, and `offset + W·LANES` values in bounds of the slice `self.0` points into (for_lanes stops at its length).
        unsafe {
            let p = self.0.add(offset);
            let mut x = [V::splat(0.0); W];
            for (j, v) in x.iter_mut().enumerate() {
                *v = V::load(p.add(j * V::LANES));
            }
            let y = exp_lanes::<V, W, FUSED>(x);
            for (j, v) in y.iter().enumerate() {
                v.store(p.add(j * V::LANES));
            }
        }
    }
}

/// exp over a slice with vectors of `V`.
///
/// # Safety
/// The processor has `V`'s features.
#[inline(always)]
pub(crate) unsafe fn exp_slice<V: Lanes, const FUSED: bool>(v: &mut [f64]) {
    // SAFETY: the caller guarantees V's features; the pointer and length are the slice's.
    unsafe { for_lanes::<V, _>(v.len(), &mut ExpBlock::<FUSED>(v.as_mut_ptr())) }
}

/// exp over a slice, the degree-13 form, with vectors of `V`.
///
/// # Safety
/// The processor has `V`'s features.
#[inline(always)]
unsafe fn exp_plain<V: Lanes>(v: &mut [f64]) {
    // SAFETY: the caller guarantees V's features (this function's contract).
    unsafe { exp_slice::<V, false>(v) }
}

/// exp over a slice, the table form, with vectors of `V`.
///
/// # Safety
/// The processor has `V`'s features.
#[inline(always)]
unsafe fn exp_table<V: Lanes>(v: &mut [f64]) {
    // SAFETY: the caller guarantees V's features (this function's contract).
    unsafe { exp_slice::<V, true>(v) }
}

crate::kernels::simd::simd_paths!(plain_paths, fn(v: &mut [f64]) => exp_plain);
crate::kernels::simd::simd_paths!(table_paths, fn(v: &mut [f64]) => exp_table);

/// Replaces every v by exp(v), the degree-13 form. Uses AVX-512 or AVX2 when the processor has
/// them; the arithmetic is the same (no fused multiply-add), so the bits do not depend on the
/// processor.
pub fn exp_in_place(v: &mut [f64]) {
    plain_paths::widest()(v)
}

/// Replaces every v by exp(v) in the table form of the module docs (fused multiply-adds, one
/// rounding each: 11 multiply-class operations per value instead of the 17 of
/// [`exp_in_place`]); the same bits on every processor (without FMA hardware `f64::mul_add` is
/// the correctly rounded software fma). Same accuracy bound.
#[cfg_attr(not(feature = "internals"), allow(dead_code))]
pub fn exp_in_place_fused(v: &mut [f64]) {
    table_paths::widest()(v)
}

/// The portable paths of [`exp_in_place`] and [`exp_in_place_fused`] (for tests comparing bits).
#[cfg_attr(not(feature = "internals"), allow(dead_code))]
pub fn exp_in_place_portable(v: &mut [f64], fused: bool) {
    if fused {
        table_paths::portable(v)
    } else {
        plain_paths::portable(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn the_table_holds_two_to_the_sixteenths() {
        assert_eq!(Q[0], 1.0 / 5_040.0);
        assert_eq!(Q[6], 1.0);
        for (j, t) in EXP2_SIXTEENTHS.iter().enumerate() {
            assert!(ulps(*t, (j as f64 / 16.0).exp2()) <= 1, "entry {j}");
        }
        // and the index/exponent split of the shifter trick: t = 16 k + j + SHIFTER
        for kj in [-16_342i64, -17, -16, -1, 0, 1, 15, 16, 16_378] {
            let t = kj as f64 + SHIFTER;
            let (k, j) = (kj.div_euclid(16), kj.rem_euclid(16));
            // SAFETY: f64 lanes need no feature.
            let (tj, scaled) = unsafe {
                (
                    t.lookup16(&EXP2_SIXTEENTHS),
                    1.0f64.add_exponent(t, SHIFTER.to_bits()),
                )
            };
            assert_eq!(tj, EXP2_SIXTEENTHS[j as usize]);
            assert_eq!(scaled, 2f64.powi(k as i32));
        }
    }

    #[test]
    fn within_two_ulp_of_libm() {
        let mut worst = 0;
        let n = 2_000_000;
        for i in 0..=n {
            let x = -708.0 + 1417.0 * i as f64 / n as f64;
            let x = x.min(709.0);
            worst = worst.max(ulps(exp(x), x.exp()));
            worst = worst.max(ulps(exp_fused(x), x.exp()));
        }
        // fine grid near 0 where most RBF arguments live
        for i in 0..=n {
            let x = -5.0 + 5.0 * i as f64 / n as f64;
            worst = worst.max(ulps(exp(x), x.exp()));
            worst = worst.max(ulps(exp_fused(x), x.exp()));
        }
        // the top of the range, where 2^k alone would overflow (k = 1024 above 709.44)
        for i in 0..=100_000 {
            let x = 709.0 + 0.5 * i as f64 / 100_000.0;
            worst = worst.max(ulps(exp(x), x.exp()));
            worst = worst.max(ulps(exp_fused(x), x.exp()));
        }
        assert!(worst <= 2, "worst error {worst} ulp");
        // the slice paths (lanes, remainder, AVX2/AVX-512) give the same bits as the scalar one
        let xs: Vec<f64> = (0..1001).map(|i| -700.0 + 1.4 * i as f64 + 1e-3).collect();
        for (fused, one) in [(false, exp as fn(f64) -> f64), (true, exp_fused)] {
            let mut a = xs.clone();
            let mut b = xs.clone();
            if fused {
                exp_in_place_fused(&mut a);
            } else {
                exp_in_place(&mut a);
            }
            exp_in_place_portable(&mut b, fused);
            for (i, x) in xs.iter().enumerate() {
                assert_eq!(a[i].to_bits(), one(*x).to_bits());
                assert_eq!(b[i].to_bits(), a[i].to_bits());
            }
            // every path this processor runs, AVX2 included (an AVX-512 processor never takes
            // it through the dispatch)
            let paths = if fused {
                table_paths::paths()
            } else {
                plain_paths::paths()
            };
            for (name, kernel) in paths {
                let mut c = xs.clone();
                kernel(&mut c);
                assert_eq!(c, a, "{name}");
            }
            let mut v = vec![0.0, -1.0, 1.0, -800.0, 800.0, f64::NAN];
            if fused {
                exp_in_place_fused(&mut v);
            } else {
                exp_in_place(&mut v);
            }
            assert_eq!(v[0], 1.0);
            assert!(ulps(v[1], (-1.0f64).exp()) <= 1 && ulps(v[2], 1f64.exp()) <= 1);
            assert_eq!(v[3], 0.0);
            assert_eq!(v[4], f64::INFINITY);
            assert!(v[5].is_nan());
        }
    }
}
