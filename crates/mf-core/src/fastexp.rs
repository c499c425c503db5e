//! A branch-free exponential for slices, written so that the compiler vectorises it.
//!
//! exp(x) = 2^k · exp(r) with k = round(x / ln 2) and r = x − k ln 2 (Cody–Waite split of ln 2,
//! |r| ≤ ln 2 / 2), exp(r) by its Taylor polynomial of degree 13 (truncation error
//! < (ln 2/2)^14 / 14! ≈ 4e-18, below half an ulp), and 2^k assembled from the exponent bits.
//! Two forms: [`exp_in_place`] evaluates the polynomial with separate multiplies and adds,
//! [`exp_in_place_fused`] with fused multiply-adds (fewer operations, for the particle step); each
//! gives the same bits on every processor. Accuracy of both: within 2 ulp of the correctly
//! rounded value on [−708, 709] (tested against the system `exp`); below −708 the result is
//! flushed to 0 (the smallest normal number is e^{−708.4}), above 709 it is +∞. NaN in gives NaN
//! out.

const LOG2E: f64 = std::f64::consts::LOG2_E;
/// ln 2 = LN2_HI + LN2_LO with LN2_HI exact in 32 bits (fdlibm's split), so k · LN2_HI is exact.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const SHIFTER: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52: adding it rounds to an integer

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

/// exp(x) for one value (same arithmetic as [`exp_in_place`]).
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    exp_one::<false>(x)
}

/// exp(x) for one value with the polynomial in fused multiply-adds (same arithmetic as
/// [`exp_in_place_fused`]).
#[inline(always)]
pub fn exp_fused(x: f64) -> f64 {
    exp_one::<true>(x)
}

/// One Horner step p·r + c, fused (one rounding, `f64::mul_add`) or not (two roundings).
#[inline(always)]
fn horner<const FUSED: bool>(p: f64, r: f64, c: f64) -> f64 {
    if FUSED { p.mul_add(r, c) } else { p * r + c }
}

#[inline(always)]
fn exp_one<const FUSED: bool>(x: f64) -> f64 {
    let xc = x.clamp(-708.0, 709.5);
    let t = xc * LOG2E + SHIFTER;
    let k = t - SHIFTER;
    let r = (xc - k * LN2_HI) - k * LN2_LO;
    let mut p = C[0];
    for &c in &C[1..] {
        p = horner::<FUSED>(p, r, c);
    }
    let ki = (t.to_bits() as i64).wrapping_sub(SHIFTER.to_bits() as i64);
    let scale = f64::from_bits(((ki + 1023) as u64) << 52);
    let y = p * scale;
    // flush, overflow and NaN without branches the vectoriser cannot handle
    let y = if x < -708.0 { 0.0 } else { y };
    let y = if x > 709.5 { f64::INFINITY } else { y };
    if x.is_nan() { x } else { y }
}

/// Lanes evaluated in lockstep: independent Horner chains hide the latency of each step.
const LANES: usize = 8;

#[inline(always)]
fn exp_lanes<const FUSED: bool>(v: &mut [f64; LANES]) {
    let mut r = [0.0; LANES];
    let mut t = [0.0; LANES];
    for j in 0..LANES {
        let xc = v[j].clamp(-708.0, 709.5);
        t[j] = xc * LOG2E + SHIFTER;
        let k = t[j] - SHIFTER;
        r[j] = (xc - k * LN2_HI) - k * LN2_LO;
    }
    let mut p = [C[0]; LANES];
    for &c in &C[1..] {
        for j in 0..LANES {
            p[j] = horner::<FUSED>(p[j], r[j], c);
        }
    }
    for j in 0..LANES {
        let x = v[j];
        let ki = (t[j].to_bits() as i64).wrapping_sub(SHIFTER.to_bits() as i64);
        let y = p[j] * f64::from_bits(((ki + 1023) as u64) << 52);
        let y = if x < -708.0 { 0.0 } else { y };
        let y = if x > 709.5 { f64::INFINITY } else { y };
        v[j] = if x.is_nan() { x } else { y };
    }
}

/// exp over a slice, 8 lanes at a time (inlined into the callers compiled for AVX2/AVX-512).
#[inline(always)]
pub(crate) fn exp_slice<const FUSED: bool>(v: &mut [f64]) {
    let mut chunks = v.chunks_exact_mut(LANES);
    for ch in &mut chunks {
        exp_lanes::<FUSED>(ch.try_into().expect("chunk of LANES"));
    }
    for x in chunks.into_remainder() {
        *x = exp_one::<FUSED>(*x);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn exp_slice_avx2(v: &mut [f64]) {
    // the same operations (no FMA contraction), in 4-wide registers: identical bits
    exp_slice::<false>(v)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn exp_slice_avx512(v: &mut [f64]) {
    // the same operations in 8-wide registers: identical bits
    exp_slice::<false>(v)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn exp_slice_fused_avx2(v: &mut [f64]) {
    exp_slice::<true>(v)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
fn exp_slice_fused_avx512(v: &mut [f64]) {
    exp_slice::<true>(v)
}

/// Replaces every v by exp(v). Uses AVX-512 or AVX2 when the processor has them; the arithmetic
/// is the same (no fused multiply-add), so the bits do not depend on the processor.
pub fn exp_in_place(v: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the feature was detected at run time.
            return unsafe { exp_slice_avx512(v) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the feature was detected at run time.
            return unsafe { exp_slice_avx2(v) };
        }
    }
    exp_slice::<false>(v)
}

/// Replaces every v by exp(v), the Horner steps as fused multiply-adds (one rounding each, so
/// ~40 % fewer operations than [`exp_in_place`] and the same bits on every processor: without
/// FMA hardware `f64::mul_add` is the correctly rounded software fma). Same accuracy bound.
pub fn exp_in_place_fused(v: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx512_fma() {
            // SAFETY: the features were detected at run time.
            return unsafe { exp_slice_fused_avx512(v) };
        }
        if has_avx2_fma() {
            // SAFETY: the features were detected at run time.
            return unsafe { exp_slice_fused_avx2(v) };
        }
    }
    exp_slice::<true>(v)
}

/// True when the processor has AVX-512F and FMA.
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx512_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("fma")
}

/// True when the processor has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// The portable paths of [`exp_in_place`] and [`exp_in_place_fused`] (for tests comparing bits).
pub fn exp_in_place_portable(v: &mut [f64], fused: bool) {
    if fused {
        exp_slice::<true>(v)
    } else {
        exp_slice::<false>(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
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
            // the AVX2 paths, which an AVX-512 processor never takes through the dispatch
            #[cfg(target_arch = "x86_64")]
            if has_avx2_fma() {
                let mut c = xs.clone();
                // SAFETY: the features were detected at run time.
                unsafe {
                    if fused {
                        exp_slice_fused_avx2(&mut c)
                    } else {
                        exp_slice_avx2(&mut c)
                    }
                }
                assert_eq!(c, a);
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
