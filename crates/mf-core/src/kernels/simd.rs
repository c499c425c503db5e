//! A minimal vector-of-f64 abstraction for the vector kernels (the exp, the RBF row map and the
//! contraction of `unit/contract.rs`), so that one generic body runs on AVX-512 (8 lanes), AVX2 (4 lanes) and plain `f64`
//! (1 lane, the portable path and the tails) with the same operations in the same order, hence
//! the same bits on every path.
//!
//! Why explicit vectors: left to the auto-vectoriser, the exp either became gathers across
//! chunks or a loop of one vector per iteration whose 13-step Horner chain (latency ≈ 90 cycles)
//! stalled the floating-point scheduler. The elementwise kernels built on [`Lanes`] keep [`WAYS`]
//! independent vectors in flight (the contraction keeps 24 accumulators instead).
//!
//! Every method is `unsafe`: the caller guarantees that the processor has the vector's features
//! (the kernels are entered through `#[target_feature]` functions after run-time detection) and,
//! for `load`/`store`, that `LANES` values are readable/writable at the pointer.

/// Independent vectors a kernel keeps in flight.
pub(crate) const WAYS: usize = 4;

/// A vector of `LANES` f64 values and the operations the kernels use (IEEE, no contraction
/// except in [`Lanes::mul_add`]).
pub(crate) trait Lanes: Copy {
    /// Number of f64 lanes.
    const LANES: usize;
    /// Every lane = v.
    unsafe fn splat(v: f64) -> Self;
    /// Loads `LANES` values (unaligned).
    unsafe fn load(p: *const f64) -> Self;
    /// Stores `LANES` values (unaligned).
    unsafe fn store(self, p: *mut f64);
    /// self + o.
    unsafe fn add(self, o: Self) -> Self;
    /// self − o.
    unsafe fn sub(self, o: Self) -> Self;
    /// self · o.
    unsafe fn mul(self, o: Self) -> Self;
    /// self · a + b with one rounding.
    unsafe fn mul_add(self, a: Self, b: Self) -> Self;
    /// Lanes clamped to [lo, hi] as `maxpd`/`minpd` do: a NaN lane becomes lo (callers restore
    /// NaN lanes); lo and hi are never ±0 here.
    unsafe fn clamp(self, lo: Self, hi: Self) -> Self;
    /// Per lane: if self < o then `yes` else `no` (false for NaN).
    unsafe fn lt_select(self, o: Self, yes: Self, no: Self) -> Self;
    /// Per lane: if self is NaN then self else `no`.
    unsafe fn nan_or(self, no: Self) -> Self;
    /// Per lane: the f64 whose bits are ((bits(self) − sub) + add) << 52, wrapping
    /// (2^k from the shifter trick of the exp).
    unsafe fn exp2_bits(self, sub: u64, add: u64) -> Self;
    /// Per lane: table[bits(self) mod 16] (with the shifter trick, j of t = 16 k + j + shifter
    /// when the shifter's bits are ≡ 0 mod 16).
    unsafe fn lookup16(self, table: &[f64; 16]) -> Self;
    /// Per lane: the f64 whose bits are bits(self) + (((bits(t) with the low 4 bits cleared)
    /// − sub) << 48), wrapping (multiplies self by 2^k when bits(t) − sub = 16 k + j, 0 ≤ j < 16,
    /// and the result is normal; `sub` must be ≡ 0 mod 16).
    unsafe fn add_exponent(self, t: Self, sub: u64) -> Self;
}

impl Lanes for f64 {
    const LANES: usize = 1;
    #[inline(always)]
    unsafe fn splat(v: f64) -> Self {
        v
    }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: the caller guarantees one readable f64 at `p` (the trait's contract for load).
        unsafe { *p }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f64) {
        // SAFETY: the caller guarantees one writable f64 at `p` (the trait's contract for store).
        unsafe { *p = self }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        self + o
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        self - o
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        self * o
    }
    #[inline(always)]
    unsafe fn mul_add(self, a: Self, b: Self) -> Self {
        f64::mul_add(self, a, b)
    }
    #[inline(always)]
    unsafe fn clamp(self, lo: Self, hi: Self) -> Self {
        // exactly what max_pd(self, lo) then min_pd(·, hi) compute
        let s = if self > lo { self } else { lo };
        if s < hi { s } else { hi }
    }
    #[inline(always)]
    unsafe fn lt_select(self, o: Self, yes: Self, no: Self) -> Self {
        if self < o { yes } else { no }
    }
    #[inline(always)]
    unsafe fn nan_or(self, no: Self) -> Self {
        if self.is_nan() { self } else { no }
    }
    #[inline(always)]
    unsafe fn exp2_bits(self, sub: u64, add: u64) -> Self {
        f64::from_bits(self.to_bits().wrapping_sub(sub).wrapping_add(add) << 52)
    }
    #[inline(always)]
    unsafe fn lookup16(self, table: &[f64; 16]) -> Self {
        table[(self.to_bits() & 15) as usize]
    }
    #[inline(always)]
    unsafe fn add_exponent(self, t: Self, sub: u64) -> Self {
        let k = (t.to_bits() & !15).wrapping_sub(sub) << 48;
        f64::from_bits(self.to_bits().wrapping_add(k))
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Lanes;
    use std::arch::x86_64::*;

    impl Lanes for __m512d {
        const LANES: usize = 8;
        #[inline(always)]
        unsafe fn splat(v: f64) -> Self {
            // SAFETY: the trait's contract: the processor has AVX-512F; the intrinsic only reads its register arguments.
            unsafe { _mm512_set1_pd(v) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> Self {
            // SAFETY: the trait's contract: the processor has AVX-512F and LANES values are readable at `p` (unaligned load).
            unsafe { _mm512_loadu_pd(p) }
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f64) {
            // SAFETY: the trait's contract: the processor has AVX-512F and LANES values are writable at `p` (unaligned store).
            unsafe { _mm512_storeu_pd(p, self) }
        }
        #[inline(always)]
        unsafe fn add(self, o: Self) -> Self {
            // SAFETY: the trait's contract: the processor has AVX-512F; the intrinsic only reads its register arguments.
            unsafe { _mm512_add_pd(self, o) }
        }
        #[inline(always)]
        unsafe fn sub(self, o: Self) -> Self {
            // SAFETY: the trait's contract: the processor has AVX-512F; the intrinsic only reads its register arguments.
            unsafe { _mm512_sub_pd(self, o) }
        }
        #[inline(always)]
        unsafe fn mul(self, o: Self) -> Self {
            // SAFETY: the trait's contract: the processor has AVX-512F; the intrinsic only reads its register arguments.
            unsafe { _mm512_mul_pd(self, o) }
        }
        #[inline(always)]
        unsafe fn mul_add(self, a: Self, b: Self) -> Self {
            // SAFETY: the trait's contract: the processor has AVX-512F; the intrinsic only reads its register arguments.
            unsafe { _mm512_fmadd_pd(self, a, b) }
        }
        #[inline(always)]
        unsafe fn clamp(self, lo: Self, hi: Self) -> Self {
            // SAFETY: the trait's contract: the processor has AVX-512F; the intrinsic only reads its register arguments.
            unsafe { _mm512_min_pd(_mm512_max_pd(self, lo), hi) }
        }
        #[inline(always)]
        unsafe fn lt_select(self, o: Self, yes: Self, no: Self) -> Self {
            // SAFETY: the trait's contract: the processor has AVX-512F; the intrinsic only reads its register arguments.
            unsafe { _mm512_mask_blend_pd(_mm512_cmp_pd_mask::<_CMP_LT_OQ>(self, o), no, yes) }
        }
        #[inline(always)]
        unsafe fn nan_or(self, no: Self) -> Self {
            // SAFETY: the trait's contract: the processor has AVX-512F; the intrinsic only reads its register arguments.
            unsafe {
                _mm512_mask_blend_pd(_mm512_cmp_pd_mask::<_CMP_UNORD_Q>(self, self), no, self)
            }
        }
        #[inline(always)]
        unsafe fn exp2_bits(self, sub: u64, add: u64) -> Self {
            // SAFETY: the trait's contract: the processor has AVX-512F; the intrinsic only reads its register arguments.
            unsafe {
                let k = _mm512_sub_epi64(_mm512_castpd_si512(self), _mm512_set1_epi64(sub as i64));
                let k = _mm512_add_epi64(k, _mm512_set1_epi64(add as i64));
                _mm512_castsi512_pd(_mm512_slli_epi64::<52>(k))
            }
        }
        #[inline(always)]
        unsafe fn lookup16(self, table: &[f64; 16]) -> Self {
            // SAFETY: the trait's contract gives the features; the loads read the 16 values of `table`, a reference to [f64; 16].
            unsafe {
                let lo = _mm512_loadu_pd(table.as_ptr());
                let hi = _mm512_loadu_pd(table.as_ptr().add(8));
                _mm512_permutex2var_pd(lo, _mm512_castpd_si512(self), hi)
            }
        }
        #[inline(always)]
        unsafe fn add_exponent(self, t: Self, sub: u64) -> Self {
            // SAFETY: the trait's contract: the processor has AVX-512F; the intrinsic only reads its register arguments.
            unsafe {
                let k = _mm512_andnot_si512(_mm512_set1_epi64(15), _mm512_castpd_si512(t));
                let k = _mm512_slli_epi64::<48>(_mm512_sub_epi64(k, _mm512_set1_epi64(sub as i64)));
                _mm512_castsi512_pd(_mm512_add_epi64(_mm512_castpd_si512(self), k))
            }
        }
    }

    impl Lanes for __m256d {
        const LANES: usize = 4;
        #[inline(always)]
        unsafe fn splat(v: f64) -> Self {
            // SAFETY: the trait's contract: the processor has AVX2 and FMA; the intrinsic only reads its register arguments.
            unsafe { _mm256_set1_pd(v) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> Self {
            // SAFETY: the trait's contract: the processor has AVX2 and FMA and LANES values are readable at `p` (unaligned load).
            unsafe { _mm256_loadu_pd(p) }
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f64) {
            // SAFETY: the trait's contract: the processor has AVX2 and FMA and LANES values are writable at `p` (unaligned store).
            unsafe { _mm256_storeu_pd(p, self) }
        }
        #[inline(always)]
        unsafe fn add(self, o: Self) -> Self {
            // SAFETY: the trait's contract: the processor has AVX2 and FMA; the intrinsic only reads its register arguments.
            unsafe { _mm256_add_pd(self, o) }
        }
        #[inline(always)]
        unsafe fn sub(self, o: Self) -> Self {
            // SAFETY: the trait's contract: the processor has AVX2 and FMA; the intrinsic only reads its register arguments.
            unsafe { _mm256_sub_pd(self, o) }
        }
        #[inline(always)]
        unsafe fn mul(self, o: Self) -> Self {
            // SAFETY: the trait's contract: the processor has AVX2 and FMA; the intrinsic only reads its register arguments.
            unsafe { _mm256_mul_pd(self, o) }
        }
        #[inline(always)]
        unsafe fn mul_add(self, a: Self, b: Self) -> Self {
            // SAFETY: the trait's contract: the processor has AVX2 and FMA; the intrinsic only reads its register arguments.
            unsafe { _mm256_fmadd_pd(self, a, b) }
        }
        #[inline(always)]
        unsafe fn clamp(self, lo: Self, hi: Self) -> Self {
            // SAFETY: the trait's contract: the processor has AVX2 and FMA; the intrinsic only reads its register arguments.
            unsafe { _mm256_min_pd(_mm256_max_pd(self, lo), hi) }
        }
        #[inline(always)]
        unsafe fn lt_select(self, o: Self, yes: Self, no: Self) -> Self {
            // SAFETY: the trait's contract: the processor has AVX2 and FMA; the intrinsic only reads its register arguments.
            unsafe { _mm256_blendv_pd(no, yes, _mm256_cmp_pd::<_CMP_LT_OQ>(self, o)) }
        }
        #[inline(always)]
        unsafe fn nan_or(self, no: Self) -> Self {
            // SAFETY: the trait's contract: the processor has AVX2 and FMA; the intrinsic only reads its register arguments.
            unsafe { _mm256_blendv_pd(no, self, _mm256_cmp_pd::<_CMP_UNORD_Q>(self, self)) }
        }
        #[inline(always)]
        unsafe fn exp2_bits(self, sub: u64, add: u64) -> Self {
            // SAFETY: the trait's contract: the processor has AVX2 and FMA; the intrinsic only reads its register arguments.
            unsafe {
                let k = _mm256_sub_epi64(_mm256_castpd_si256(self), _mm256_set1_epi64x(sub as i64));
                let k = _mm256_add_epi64(k, _mm256_set1_epi64x(add as i64));
                _mm256_castsi256_pd(_mm256_slli_epi64::<52>(k))
            }
        }
        #[inline(always)]
        unsafe fn lookup16(self, table: &[f64; 16]) -> Self {
            // SAFETY: the trait's contract gives the features; the loads read the 16 values of `table`, a reference to [f64; 16].
            unsafe {
                let idx = _mm256_and_si256(_mm256_castpd_si256(self), _mm256_set1_epi64x(15));
                _mm256_i64gather_pd::<8>(table.as_ptr(), idx)
            }
        }
        #[inline(always)]
        unsafe fn add_exponent(self, t: Self, sub: u64) -> Self {
            // SAFETY: the trait's contract: the processor has AVX2 and FMA; the intrinsic only reads its register arguments.
            unsafe {
                let k = _mm256_andnot_si256(_mm256_set1_epi64x(15), _mm256_castpd_si256(t));
                let k =
                    _mm256_slli_epi64::<48>(_mm256_sub_epi64(k, _mm256_set1_epi64x(sub as i64)));
                _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(self), k))
            }
        }
    }
}

/// An elementwise kernel over `len` values, written once for any vector type and width.
pub(crate) trait Block {
    /// Processes the `W · V::LANES` values starting at `offset`.
    ///
    /// # Safety
    /// The processor has `V`'s features and the values are in bounds.
    unsafe fn run<V: Lanes, const W: usize>(&mut self, offset: usize);
}

/// Runs `kernel` over `len` values: blocks of [`WAYS`] vectors of `V`, then single vectors,
/// then single values (`f64`, the same operations).
///
/// # Safety
/// The processor has `V`'s features.
#[inline(always)]
pub(crate) unsafe fn for_lanes<V: Lanes, K: Block>(len: usize, kernel: &mut K) {
    let step = V::LANES * WAYS;
    let mut i = 0;
    while i + step <= len {
        // SAFETY: the caller guarantees V's features (for_lanes' contract), and the loop bound keeps every value of the block below `len`.
        unsafe { kernel.run::<V, WAYS>(i) };
        i += step;
    }
    while i + V::LANES <= len {
        // SAFETY: the caller guarantees V's features (for_lanes' contract), and the loop bound keeps every value of the block below `len`.
        unsafe { kernel.run::<V, 1>(i) };
        i += V::LANES;
    }
    while i < len {
        // SAFETY: the caller guarantees V's features (for_lanes' contract), and the loop bound keeps every value of the block below `len`.
        unsafe { kernel.run::<f64, 1>(i) };
        i += 1;
    }
}

/// Instantiates a kernel written once over [`Lanes`] for every vector path, as a module:
///
/// - `portable`, and on x86_64 `avx512` / `avx2` (compiled with AVX-512F + FMA / AVX2 + FMA,
///   `unsafe` to call: the caller guarantees the features);
/// - `widest()`: the widest path this processor runs (features detected at run time);
/// - `paths()`: every path this processor runs, named (for tests comparing their bits).
///
/// `simd_paths!(name, fn(arg: Type, ...) => kernel)` where `kernel::<V>(arg, ...)` is an
/// `unsafe fn` whose only requirement is that the processor has `V`'s features.
macro_rules! simd_paths {
    ($name:ident, fn($($arg:ident: $ty:ty),* $(,)?) => $kernel:ident) => {
        #[allow(dead_code)]
        pub(crate) mod $name {
            use super::*;

            /// A path of the kernel.
            pub(crate) type Kernel = fn($($ty),*);

            /// The kernel on plain `f64` values.
            pub(crate) fn portable($($arg: $ty),*) {
                // SAFETY: f64 lanes need no feature.
                unsafe { $kernel::<f64>($($arg),*) }
            }

            /// The kernel on AVX-512 vectors.
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,fma")]
            pub(crate) fn avx512($($arg: $ty),*) {
                // SAFETY: this function is only entered with the features present.
                unsafe { $kernel::<std::arch::x86_64::__m512d>($($arg),*) }
            }

            /// The kernel on AVX2 vectors.
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            pub(crate) fn avx2($($arg: $ty),*) {
                // SAFETY: this function is only entered with the features present.
                unsafe { $kernel::<std::arch::x86_64::__m256d>($($arg),*) }
            }

            /// The widest path this processor runs (no allocation: called once per pass).
            pub(crate) fn widest() -> Kernel {
                #[cfg(target_arch = "x86_64")]
                {
                    if $crate::kernels::simd::has_avx512_fma() {
                        // SAFETY: the features were detected at run time.
                        return |$($arg),*| unsafe { avx512($($arg),*) };
                    }
                    if $crate::kernels::simd::has_avx2_fma() {
                        // SAFETY: the features were detected at run time.
                        return |$($arg),*| unsafe { avx2($($arg),*) };
                    }
                }
                portable
            }

            /// Every path this processor runs, widest first.
            pub(crate) fn paths() -> Vec<(&'static str, Kernel)> {
                let mut v: Vec<(&'static str, Kernel)> = Vec::new();
                #[cfg(target_arch = "x86_64")]
                {
                    if $crate::kernels::simd::has_avx512_fma() {
                        // SAFETY: the features were detected at run time.
                        v.push(("avx512", |$($arg),*| unsafe { avx512($($arg),*) }));
                    }
                    if $crate::kernels::simd::has_avx2_fma() {
                        // SAFETY: the features were detected at run time.
                        v.push(("avx2", |$($arg),*| unsafe { avx2($($arg),*) }));
                    }
                }
                v.push(("portable", portable));
                v
            }
        }
    };
}
pub(crate) use simd_paths;

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

/// Test harness of the unit row kernels: runs `kernel(row, acc)` on a copy of `row` and partial
/// sums starting at 0.25, and returns the bits of the row then of the partial sums.
#[cfg(test)]
pub(crate) fn row_kernel_bits(row: &[f64], kernel: &dyn Fn(&mut [f64], &mut [f64])) -> Vec<u64> {
    let (mut r, mut acc) = (row.to_vec(), vec![0.25; row.len()]);
    kernel(&mut r, &mut acc);
    r.iter().chain(&acc).map(|v| v.to_bits()).collect()
}
