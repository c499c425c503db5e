//! The dense Hessian of the exact (population) loss for RBF units, in closed form.
//!
//! # Flat parameter order
//!
//! A network of n units in dimension d has N = n(d + 1) parameters, flattened as c first, then
//! the columns of z (the column-major flattening of [`Network`]):
//!
//! ```text
//! θ_{c_index(i)}       = θ_i           = c_i          (0 ≤ i < n)
//! θ_{z_index(n, i, k)} = θ_{n + k·n + i} = z_{i,k}    (0 ≤ i < n, 0 ≤ k < d)
//! ```
//!
//! # What is computed
//!
//! H = n ∇²ℓ, so that the Jacobian of the mean-field velocity field v = −n ∇ℓ of
//! [`ExactRbf::velocity`] is −H (H is positive semi-definite at a minimiser of ℓ). Write
//! K_ij = K̂(z_i, z_j), S_ij = z_i + z_j, F_i = F̂(z_i), and for each pair the direction
//!
//! ```text
//! a_ij = −z_i/σ² + s_ij S_ij,   so that  ∇_1 K̂(z_i, z_j) = K_ij a_ij,   ∇_2 K̂(z_i, z_j) = K_ij a_ji,
//! ```
//!
//! with s the scalar of the module docs of [`super::population`]. Then
//!
//! ```text
//! H[c_i, c_j]     = K_ij / n
//! H[c_i, z_p]     = (c_p/n) K_pi a_pi + δ_ip D^c_p,      D^c_p = −∇F_p + (1/n) Σ_j c_j K_pj a_pj
//! H[z_m, z_p]     = (c_m c_p/n) K12_mp + δ_mp D^z_p,
//!                   D^z_p = −c_p ∇²F_p + (c_p/n) Σ_j c_j K11_pj
//! ```
//!
//! (each z block d × d, H[z_m, z_p]_{kl} = H[z_{m,k}, z_{p,l}]), where K11 and K12 are the
//! second derivatives of K̂ in its first argument twice and in its first and second arguments:
//!
//! ```text
//! K11_ij = ∇_1∇_1ᵀ K̂(z_i, z_j) = K_ij [ a_ij a_ijᵀ + t_ij S_ij S_ijᵀ + (s_ij − 1/σ²) I ]
//! K12_ij = ∇_1∇_2ᵀ K̂(z_i, z_j) = K_ij [ a_ij a_jiᵀ + t_ij S_ij S_ijᵀ + s_ij I ]
//! ```
//!
//! with t = ∂s/∂w · 2/σ⁴ the derivative of s along w = |z + z'|²/σ⁴ (∇_z s = t S). From
//! s = 2 g'(w)/(g(w) σ⁴) = R² ρ(d/2, y)/(d σ⁴), y = R² w/4, and ρ(b, y) = ₀F₁(;b+1;y)/₀F₁(;b;y):
//!
//! ```text
//! t = (4/σ⁸) (g''/g − (g'/g)²) = s (s₁ − s),   s₁ = 2 g''/(g' σ⁴) = R² ρ(d/2 + 1, y)/((d + 2) σ⁴).
//! ```
//!
//! The curvature of ln g is small against (g'/g)² when y is large (ln g ~ 2√y), so t loses about
//! log₁₀(2√y) digits to cancellation (under one digit at the states of the dynamics, y ≲ 16).
//!
//! F̂ = κ e(z) Φ(z) with e(z) = exp(−(R² + |z|²)/(2σ²)) and Φ = 8 g'''(u) A(v) + 4 g''(u) B(v),
//! v = z/σ², u = |v|². With r_m = g^{(m)}(u)/g(u), ∇A and ∇²A the derivatives of A in v
//! (∂²A/∂v_p∂v_q = 6 Σ_r a^S_pqr v_r; ∇A = ½ ∇²A v and A = ⅓ v·∇A by homogeneity), and
//!
//! ```text
//! P_0 = 8 r₃ A + 4 r₂ B,   P_1 = 8 r₄ A + 4 r₃ B,   P_2 = 8 r₅ A + 4 r₄ B
//! V = 8 r₃ ∇A + 4 r₂ b,    W = 8 r₄ ∇A + 4 r₃ b
//! ∇Φ/g  = (2z/σ⁴) P_1 + V/σ²
//! ∇²Φ/g = (4/σ⁸) P_2 z zᵀ + (2/σ⁴) P_1 I + (2/σ⁶)(z Wᵀ + W zᵀ) + (8 r₃/σ⁴) ∇²A
//! ```
//!
//! and, with pre = κ e g (formed as exp(ln e + ln ₀F₁)),
//!
//! ```text
//! F̂    = pre P_0
//! ∇F̂   = pre [ ∇Φ/g − (z/σ²) P_0 ]
//! ∇²F̂  = pre [ (z zᵀ/σ⁴ − I/σ²) P_0 − (z (∇Φ/g)ᵀ + (∇Φ/g) zᵀ)/σ² + ∇²Φ/g ]
//! ```
//!
//! # Numerics
//!
//! K̂ and s come from [`ExactRbf::pair`] (the Chebyshev table of the velocity, so H[c, c] is the
//! K̂/n of [`ExactRbf::khat`] bit for bit). ρ(d/2 + 1, y), needed only for t, is evaluated
//! directly per unordered pair with a prepared [`Hyp0f1`]: the table holds only the first ratio,
//! [`ExactRbf`] has no place to keep a second one (it would be rebuilt on every call, ~10³–10⁴
//! reference evaluations), and the direct route costs n(n+1)/2 evaluations, all the pair and unit
//! work together ≈ 7 ms of the ≈ 90 ms of the dense Hessian at n = 256, d = 25 (whose cost is
//! writing the N² entries). F̂ needs r₂ … r₅, from one [`ln_hyp0f1_and_ratios`] per unit.
//!
//! Every entry is written as a product of factors that are symmetric under the exchange of its
//! row and column (IEEE products and sums are commutative; the sums in D^z_p are accumulated on
//! one triangle and mirrored), so H is symmetric bit for bit. The
//! columns of H are independent computations (parallel over columns; the per-pair and per-unit
//! work parallel over pairs and units, with every sum over units in unit order), so the result
//! is bitwise identical for any thread count and for `Par::Seq`.

use super::kernel::SphereRbfKernel;
use super::population::ExactRbf;
use crate::network::Network;
use crate::special::{Hyp0f1, ln_hyp0f1_and_ratios};
use crate::target::RbfTeacher;
use faer::prelude::ReborrowMut;
use faer::{MatMut, Par};
use rayon::prelude::*;

/// Flat index of c_i (see the module docs).
pub const fn c_index(i: usize) -> usize {
    i
}

/// Flat index of z_{i,k} in a network of `width` units: n + k·n + i (see the module docs).
pub const fn z_index(width: usize, i: usize, k: usize) -> usize {
    width + k * width + i
}

/// a(x, y, s) = s (x + y) − x/σ², one coordinate of a_ij (x = z_{i,k}, y = z_{j,k}); every entry
/// of H forms it with these operations so that H is bitwise symmetric.
#[inline(always)]
fn dir(x: f64, y: f64, s: f64, inv_s2: f64) -> f64 {
    s * (x + y) - x * inv_s2
}

/// Everything H is assembled from (see the module docs).
pub(crate) struct Parts {
    n: usize,
    d: usize,
    inv_s2: f64,
    inv_n: f64,
    c: Vec<f64>,
    /// z column-major n × d: z_{i,k} at k·n + i.
    z: Vec<f64>,
    /// z unit-major: z_{i,k} at i·d + k.
    zu: Vec<f64>,
    /// Per column j, three n-vectors: K_·j, s_·j, t_·j (symmetric; at j·3n + {0, n, 2n} + i).
    pairs: Vec<f64>,
    /// Per unit i, 1 + d + d² values: F_i, ∇F_i, ∇²F_i (column-major, l·d + k).
    units: Vec<f64>,
    loss: f64,
}

impl Parts {
    #[inline(always)]
    fn k_col(&self, j: usize) -> &[f64] {
        &self.pairs[3 * self.n * j..3 * self.n * j + self.n]
    }
    #[inline(always)]
    fn s_col(&self, j: usize) -> &[f64] {
        &self.pairs[3 * self.n * j + self.n..3 * self.n * j + 2 * self.n]
    }
    #[inline(always)]
    fn t_col(&self, j: usize) -> &[f64] {
        &self.pairs[3 * self.n * j + 2 * self.n..3 * self.n * (j + 1)]
    }
    #[inline(always)]
    fn unit(&self, i: usize) -> &[f64] {
        let len = 1 + self.d + self.d * self.d;
        &self.units[i * len..(i + 1) * len]
    }
    #[inline(always)]
    fn zc(&self, k: usize) -> &[f64] {
        &self.z[k * self.n..(k + 1) * self.n]
    }
    #[inline(always)]
    fn zrow(&self, i: usize) -> &[f64] {
        &self.zu[i * self.d..(i + 1) * self.d]
    }
}

/// The pair and unit work of the last state whose Hessian-vector product was asked for.
#[derive(Default)]
pub struct HvpCache {
    state: Option<(Vec<f64>, Vec<f64>, Box<Parts>)>,
}

impl std::fmt::Debug for HvpCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HvpCache")
            .field("filled", &self.state.is_some())
            .finish()
    }
}

impl Clone for HvpCache {
    /// A clone starts empty (the cache is a pure speed-up).
    fn clone(&self) -> Self {
        Self::default()
    }
}

fn bits_eq(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Runs `f(index, chunk)` over the `len`-chunks of `buf`: in order for `Par::Seq`, on rayon
/// otherwise (each chunk independent, so the result does not depend on threads).
fn for_each_chunk<F>(par: Par, buf: &mut [f64], len: usize, f: F)
where
    F: Fn(usize, &mut [f64]) + Sync + Send,
{
    if matches!(par, Par::Seq) {
        buf.chunks_mut(len).enumerate().for_each(|(i, c)| f(i, c));
    } else {
        buf.par_chunks_mut(len)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    }
}

impl ExactRbf {
    /// Writes the dense Hessian **H = n ∇²ℓ** of the exact loss into `out` (N × N, N = n(d + 1),
    /// in the flat parameter order of the module docs: c_i at i, z_{i,k} at n + k·n + i) and
    /// returns ℓ (equal to [`ExactRbf::loss`] to round-off). −H is the Jacobian of the velocity
    /// field of [`ExactRbf::velocity`]. H is symmetric bit for bit, and bitwise identical for any
    /// thread count and `par`. Allocates O(n² + n d²) work space per call.
    ///
    /// # Panics
    /// If `out` is not N × N or `net` is not of dimension d.
    pub fn hessian(&self, net: &Network, mut out: MatMut<'_, f64>, par: Par) -> f64 {
        let parts = self.parts(net, par);
        let (n, d) = (parts.n, parts.d);
        let big = n * (d + 1);
        assert!(
            out.nrows() == big && out.ncols() == big,
            "hessian: out is {} × {}, expected {big} × {big}",
            out.nrows(),
            out.ncols()
        );
        // per unit p: D^c_p (d values) then D^z_p (d × d)
        let blk = d + d * d;
        let mut diag = vec![0.0; n * blk];
        for_each_chunk(par, &mut diag, blk, |p, o| diag_block(&parts, p, o));
        let fill = |j: usize, col: &mut [f64], scr: &mut Vec<f64>| {
            fill_column(&parts, &diag, j, col, scr);
        };
        let run = |j: usize, mut col: faer::ColMut<'_, f64>, scr: &mut Vec<f64>| {
            if let Some(c) = col.rb_mut().try_as_col_major_mut() {
                fill(j, c.as_slice_mut(), scr);
            } else {
                let mut buf = vec![0.0; big];
                fill(j, &mut buf, scr);
                for (r, v) in buf.into_iter().enumerate() {
                    col[r] = v;
                }
            }
        };
        if matches!(par, Par::Seq) {
            let mut scr = Vec::new();
            for (j, col) in out.rb_mut().col_iter_mut().enumerate() {
                run(j, col, &mut scr);
            }
        } else {
            out.rb_mut()
                .par_col_iter_mut()
                .enumerate()
                .for_each_init(Vec::new, |scr, (j, col)| run(j, col, scr));
        }
        parts.loss
    }

    /// y = H x for the H of [`ExactRbf::hessian`] without forming it (O(n² d) after the pair
    /// work), x and y in the flat parameter order; returns ℓ. Equal to the dense product to
    /// round-off; bitwise identical for any thread count and `par`.
    ///
    /// # Panics
    /// If `x` or `y` is not of length N = n(d + 1).
    pub fn hessian_vector(&self, net: &Network, x: &[f64], y: &mut [f64], par: Par) -> f64 {
        let parts = self.parts(net, par);
        Self::product(&parts, x, y, par)
    }

    /// As [`ExactRbf::hessian_vector`], keeping the pair and unit work in `cache` for the next
    /// product at the same state (the CG iterations of the polish; the same bits as without).
    pub fn hessian_vector_cached(
        &self,
        net: &Network,
        x: &[f64],
        y: &mut [f64],
        cache: &mut HvpCache,
        par: Par,
    ) -> f64 {
        let z: Vec<f64> = net
            .z
            .as_ref()
            .col_iter()
            .flat_map(|c| c.iter().copied())
            .collect();
        let hit = cache
            .state
            .as_ref()
            .is_some_and(|(cc, cz, _)| bits_eq(cc, &net.c) && bits_eq(cz, &z));
        if !hit {
            cache.state = Some((net.c.clone(), z, Box::new(self.parts(net, par))));
        }
        let parts = &cache.state.as_ref().expect("filled").2;
        Self::product(parts, x, y, par)
    }

    /// y = H x from the pair and unit work.
    fn product(parts: &Parts, x: &[f64], y: &mut [f64], par: Par) -> f64 {
        let (n, d) = (parts.n, parts.d);
        assert_eq!(x.len(), n * (d + 1), "hessian_vector: x of wrong length");
        assert_eq!(y.len(), n * (d + 1), "hessian_vector: y of wrong length");
        // per unit m: (Hx)_{c_m} then (Hx)_{z_m}, gathered unit by unit
        let mut xu = vec![0.0; n * d];
        for k in 0..d {
            for i in 0..n {
                xu[i * d + k] = x[z_index(n, i, k)];
            }
        }
        let mut rows = vec![0.0; n * (d + 1)];
        for_each_chunk(par, &mut rows, d + 1, |m, o| {
            hvp_row(parts, &x[..n], &xu, m, o)
        });
        for m in 0..n {
            y[m] = rows[m * (d + 1)];
            for k in 0..d {
                y[z_index(n, m, k)] = rows[m * (d + 1) + 1 + k];
            }
        }
        parts.loss
    }

    /// The pair work (K̂, s, t), the unit work (F̂, ∇F̂, ∇²F̂) and the loss.
    fn parts(&self, net: &Network, par: Par) -> Parts {
        let (n, d) = (net.width(), self.dim());
        assert!(n > 0, "hessian: empty network");
        assert_eq!(net.z.nrows(), n);
        assert_eq!(net.z.ncols(), d, "hessian: centres of wrong dimension");
        let (r, sigma) = (self.radius(), self.sigma());
        let s2 = sigma * sigma;
        let inv_s2 = 1.0 / s2;
        let inv_n = 1.0 / n as f64;
        let mut z = vec![0.0; n * d];
        let mut zu = vec![0.0; n * d];
        for k in 0..d {
            for i in 0..n {
                z[k * n + i] = net.z[(i, k)];
                zu[i * d + k] = net.z[(i, k)];
            }
        }
        // |z_i|² summed in k order, as in `khat`
        let zsq: Vec<f64> = (0..n)
            .map(|i| (0..d).map(|k| z[k * n + i] * z[k * n + i]).sum())
            .collect();
        // pairs i ≤ j by columns, then mirrored
        let h1 = Hyp0f1::new(0.5 * d as f64 + 1.0, 1);
        let (y_scale, s1_scale) = (r * r / (4.0 * s2 * s2), r * r / ((d + 2) as f64 * s2 * s2));
        let mut pairs = vec![0.0; 3 * n * n];
        {
            let (z, zsq, h1) = (&z, &zsq, &h1);
            for_each_chunk(par, &mut pairs, 3 * n, |j, col| {
                let (kc, rest) = col.split_at_mut(n);
                let (sc, tc) = rest.split_at_mut(n);
                for i in 0..=j {
                    // |z_i + z_j|² in k order, as in `khat`
                    let sum_sq: f64 = (0..d)
                        .map(|k| {
                            let a = z[k * n + i] + z[k * n + j];
                            a * a
                        })
                        .sum();
                    let (kv, s) = self.pair(zsq[i], zsq[j], sum_sq);
                    let mut rho1 = [0.0];
                    h1.eval(y_scale * sum_sq.max(0.0), &mut rho1);
                    kc[i] = kv;
                    sc[i] = s;
                    tc[i] = s * (s1_scale * rho1[0] - s);
                }
            });
        }
        for j in 0..n {
            for i in j + 1..n {
                for off in [0, n, 2 * n] {
                    pairs[3 * n * j + off + i] = pairs[3 * n * i + off + j];
                }
            }
        }
        // unit work
        let ulen = 1 + d + d * d;
        let mut units = vec![0.0; n * ulen];
        if let Some((_, b)) = self.spin_b() {
            let zu = &zu;
            for_each_chunk(par, &mut units, ulen, |i, o| {
                self.unit_terms(&zu[i * d..(i + 1) * d], b, o);
            });
        } else if let Some(t) = self.teacher() {
            let (zu, h1) = (&zu, &h1);
            for_each_chunk(par, &mut units, ulen, |i, o| {
                teacher_unit_terms(self.kernel(), t, h1, &zu[i * d..(i + 1) * d], o);
            });
        }
        // ℓ = C_f − (1/n) Σ c_i F_i + (1/2n²) Σ_i c_i Σ_j K_ij c_j
        let c = net.c.clone();
        let mut lin = 0.0;
        let mut quad = 0.0;
        for i in 0..n {
            lin += c[i] * units[i * ulen];
            let kc: f64 = (0..n).map(|j| pairs[3 * n * j + i] * c[j]).sum();
            quad += c[i] * kc;
        }
        let loss = self.zero_network_loss() - inv_n * lin + 0.5 * inv_n * inv_n * quad;
        Parts {
            n,
            d,
            inv_s2,
            inv_n,
            c,
            z,
            zu,
            pairs,
            units,
            loss,
        }
    }

    /// F̂(z), ∇F̂(z) and ∇²F̂(z) (column-major, l·d + k) into `out` (1 + d + d² values), by the
    /// formulas of the module docs; `b` as in [`ExactRbf::new`].
    fn unit_terms(&self, z: &[f64], b: &[f64], out: &mut [f64]) {
        let (model, _) = self.spin_b().expect("the 3-spin target");
        let d = model.dim();
        let sym = model.symmetric_matrix();
        let (r, sigma) = (model.radius(), self.sigma());
        let s2 = sigma * sigma;
        let s4 = s2 * s2;
        let v: Vec<f64> = z.iter().map(|x| x / s2).collect();
        // ∇²A(v)_pq = 6 Σ_r a^S_rpq v_r, symmetrised bit for bit
        let mut ha = vec![0.0; d * d];
        for q in 0..d {
            for p in 0..d {
                let col = sym.col(p * d + q);
                let acc: f64 = (0..d).map(|r| col[r] * v[r]).sum();
                ha[q * d + p] = 6.0 * acc;
            }
        }
        for q in 0..d {
            for p in 0..q {
                let m = 0.5 * (ha[q * d + p] + ha[p * d + q]);
                ha[q * d + p] = m;
                ha[p * d + q] = m;
            }
        }
        // ∇A = ½ ∇²A v, A = ⅓ v·∇A, B = b·v
        let ga: Vec<f64> = (0..d)
            .map(|p| 0.5 * (0..d).map(|q| ha[q * d + p] * v[q]).sum::<f64>())
            .collect();
        let a: f64 = (0..d).map(|p| v[p] * ga[p]).sum::<f64>() / 3.0;
        let bv: f64 = b.iter().zip(&v).map(|(b, v)| b * v).sum();
        // r_m = g^(m)/g = (R²/4)^m/(β)_m · ρ₀ ⋯ ρ_{m−1}
        let zsq: f64 = z.iter().map(|x| x * x).sum();
        let beta = 0.5 * d as f64;
        let mut rho = [0.0; 5];
        let lnf = ln_hyp0f1_and_ratios(beta, r * r * (zsq / s4) / 4.0, 5, &mut rho);
        let q = r * r / 4.0;
        let r2 = q * q / (beta * (beta + 1.0)) * rho[0] * rho[1];
        let r3 = r2 * q / (beta + 2.0) * rho[2];
        let r4 = r3 * q / (beta + 3.0) * rho[3];
        let r5 = r4 * q / (beta + 4.0) * rho[4];
        let pre = model.scale() * (lnf - (r * r + zsq) / (2.0 * s2)).exp();
        let p0 = 8.0 * r3 * a + 4.0 * r2 * bv;
        let p1 = 8.0 * r4 * a + 4.0 * r3 * bv;
        let p2 = 8.0 * r5 * a + 4.0 * r4 * bv;
        // ∇Φ/g, and Q = −(∇Φ/g)/σ² + 2W/σ⁶ (the vector of the rank-two terms of ∇²F̂/pre)
        let mut gphi = vec![0.0; d];
        let mut qv = vec![0.0; d];
        for k in 0..d {
            let vk = 8.0 * r3 * ga[k] + 4.0 * r2 * b[k];
            let wk = 8.0 * r4 * ga[k] + 4.0 * r3 * b[k];
            gphi[k] = 2.0 * z[k] / s4 * p1 + vk / s2;
            qv[k] = -gphi[k] / s2 + 2.0 * wk / (s4 * s2);
        }
        out[0] = pre * p0;
        for k in 0..d {
            out[1 + k] = pre * (gphi[k] - z[k] / s2 * p0);
        }
        let czz = p0 / s4 + 4.0 * p2 / (s4 * s4);
        let cid = -p0 / s2 + 2.0 * p1 / s4;
        let cha = 8.0 * r3 / s4;
        let h = &mut out[1 + d..];
        for l in 0..d {
            for k in 0..d {
                let mut e =
                    czz * (z[k] * z[l]) + (z[k] * qv[l] + qv[k] * z[l]) + cha * ha[l * d + k];
                if k == l {
                    e += cid;
                }
                h[l * d + k] = pre * e;
            }
        }
    }
}

/// F̂(z), ∇F̂(z) and ∇²F̂(z) (column-major) of a teacher target into `out` (1 + d + d² values):
/// with w_a = c*_a K̂(z, z*_a)/k, S_a = z + z*_a, a_a = −z/σ² + s_a S_a and t_a as for the pairs,
///
/// ```text
/// F̂ = Σ_a w_a,   ∇F̂ = Σ_a w_a a_a,   ∇²F̂ = Σ_a w_a [ a_a a_aᵀ + t_a S_a S_aᵀ + (s_a − 1/σ²) I ]
/// ```
///
/// (K11 of the module docs, summed over the teacher's units in order a = 0..k; the upper
/// triangle is accumulated and mirrored, so ∇²F̂ is symmetric bit for bit).
fn teacher_unit_terms(
    kernel: &SphereRbfKernel,
    t: &RbfTeacher,
    h1: &Hyp0f1,
    z: &[f64],
    out: &mut [f64],
) {
    let d = z.len();
    let (r, s2) = (kernel.radius(), kernel.sigma() * kernel.sigma());
    let inv_s2 = 1.0 / s2;
    let (y_scale, s1_scale) = (r * r / (4.0 * s2 * s2), r * r / ((d + 2) as f64 * s2 * s2));
    let inv_k = 1.0 / t.width() as f64;
    let zsq: f64 = z.iter().map(|v| v * v).sum();
    out.iter_mut().for_each(|x| *x = 0.0);
    let (f, rest) = out.split_at_mut(1);
    let (g, h) = rest.split_at_mut(d);
    let mut sv = vec![0.0; d];
    let mut av = vec![0.0; d];
    let mut iso = 0.0;
    for (a, ca) in t.charges().iter().enumerate() {
        let za = t.centre(a);
        for j in 0..d {
            sv[j] = z[j] + za[j];
        }
        let sum_sq: f64 = sv.iter().map(|v| v * v).sum();
        let (kv, s) = kernel.pair(zsq, t.centre_norms_sq()[a], sum_sq);
        let mut rho1 = [0.0];
        h1.eval(y_scale * sum_sq.max(0.0), &mut rho1);
        let tt = s * (s1_scale * rho1[0] - s);
        let w = ca * kv * inv_k;
        for j in 0..d {
            av[j] = s * sv[j] - z[j] * inv_s2;
        }
        f[0] += w;
        for j in 0..d {
            g[j] += w * av[j];
        }
        for l in 0..d {
            for k in 0..=l {
                h[l * d + k] += w * (av[k] * av[l] + tt * (sv[k] * sv[l]));
            }
        }
        iso += w * (s - inv_s2);
    }
    for l in 0..d {
        h[l * d + l] += iso;
        for k in 0..l {
            h[k * d + l] = h[l * d + k];
        }
    }
}

/// D^c_p (d values) and D^z_p (d × d, column-major) of the module docs into `out`. The sum
/// Σ_j c_j K11_pj is accumulated on the upper triangle and mirrored (so D^z_p is symmetric bit
/// for bit); its identity part Σ_j c_j K_pj (s_pj − 1/σ²) is one scalar.
fn diag_block(parts: &Parts, p: usize, out: &mut [f64]) {
    let (n, d, inv_s2, inv_n) = (parts.n, parts.d, parts.inv_s2, parts.inv_n);
    let (kc, sc, tc) = (parts.k_col(p), parts.s_col(p), parts.t_col(p));
    let (gsum, acc) = out.split_at_mut(d);
    gsum.iter_mut().for_each(|g| *g = 0.0);
    acc.iter_mut().for_each(|g| *g = 0.0);
    let zp = parts.zrow(p);
    let mut av = vec![0.0; d];
    let mut sv = vec![0.0; d];
    let mut ident = 0.0;
    for j in 0..n {
        let (w, s, t) = (parts.c[j] * kc[j], sc[j], tc[j]);
        for (((a, sk), &x), &y) in av.iter_mut().zip(sv.iter_mut()).zip(zp).zip(parts.zrow(j)) {
            *sk = x + y;
            *a = dir(x, y, s, inv_s2);
        }
        ident += w * (s - inv_s2);
        for (g, a) in gsum.iter_mut().zip(&av) {
            *g += w * a;
        }
        for l in 0..d {
            let (wa, wt) = (w * av[l], w * t * sv[l]);
            let col = &mut acc[l * d..l * d + l + 1];
            for ((o, a), sk) in col.iter_mut().zip(&av).zip(&sv) {
                *o += a * wa + sk * wt;
            }
        }
    }
    for l in 0..d {
        acc[l * d + l] += ident;
        for k in l + 1..d {
            acc[l * d + k] = acc[k * d + l];
        }
    }
    let unit = parts.unit(p);
    let (cp, cpn) = (parts.c[p], parts.c[p] * inv_n);
    for l in 0..d {
        gsum[l] = -unit[1 + l] + inv_n * gsum[l];
        for k in 0..d {
            acc[l * d + k] = -cp * unit[1 + d + l * d + k] + cpn * acc[l * d + k];
        }
    }
}

/// Column j of H (length N) into `col`; `scr` is scratch (resized to 3n). Every entry is formed
/// from the same operands in the same way as its transpose (see the module docs).
fn fill_column(parts: &Parts, diag: &[f64], j: usize, col: &mut [f64], scr: &mut Vec<f64>) {
    let (n, d, inv_s2, inv_n) = (parts.n, parts.d, parts.inv_s2, parts.inv_n);
    let blk = d + d * d;
    let c = &parts.c;
    if j < n {
        // column c_j: K_ij/n, then (c_m/n) K_mj a_mj,k (+ D^c_j at m = j)
        let (kc, sc) = (parts.k_col(j), parts.s_col(j));
        for (o, kv) in col[..n].iter_mut().zip(kc) {
            *o = kv * inv_n;
        }
        for k in 0..d {
            let zk = parts.zc(k);
            let zjk = zk[j];
            let dst = &mut col[n + k * n..n + (k + 1) * n];
            for ((((o, &cm), &kv), &sv), &zm) in dst.iter_mut().zip(c).zip(kc).zip(sc).zip(zk) {
                *o = (cm * kv) * inv_n * dir(zm, zjk, sv, inv_s2);
            }
            dst[j] += diag[j * blk + k];
        }
        return;
    }
    let (l, p) = ((j - n) / n, (j - n) % n);
    let (kc, sc, tc) = (parts.k_col(p), parts.s_col(p), parts.t_col(p));
    let zl = parts.zc(l);
    let (zpl, cp) = (zl[p], c[p]);
    // rows c_i: (c_p/n) K_pi a_pi,l (+ D^c_p,l at i = p)
    for (((o, &kv), &sv), &zi) in col[..n].iter_mut().zip(kc).zip(sc).zip(zl) {
        *o = (cp * kv) * inv_n * dir(zpl, zi, sv, inv_s2);
    }
    col[p] += diag[p * blk + l];
    // rows z_{m,k}: (c_m c_p/n) K_mp [a_mp,k a_pm,l + t S_k S_l + s δ_kl] (+ D^z_p at m = p)
    scr.resize(3 * n, 0.0);
    let (cc, rest) = scr.split_at_mut(n);
    let (ap, sl) = rest.split_at_mut(n);
    for m in 0..n {
        cc[m] = ((c[m] * cp) * kc[m]) * inv_n;
        ap[m] = dir(zpl, zl[m], sc[m], inv_s2);
        sl[m] = zl[m] + zpl;
    }
    let (cc, ap, sl) = (&*cc, &*ap, &*sl);
    for k in 0..d {
        let zk = parts.zc(k);
        let zpk = zk[p];
        let dst = &mut col[n + k * n..n + (k + 1) * n];
        let it = dst
            .iter_mut()
            .zip(zk)
            .zip(sc)
            .zip(tc)
            .zip(cc)
            .zip(ap)
            .zip(sl);
        if k == l {
            for ((((((o, &zm), &sv), &tv), &cv), &av), &slv) in it {
                let sk = zm + zpk;
                let ak = sv * sk - zm * inv_s2;
                *o = cv * ((ak * av + tv * (sk * slv)) + sv);
            }
        } else {
            for ((((((o, &zm), &sv), &tv), &cv), &av), &slv) in it {
                let sk = zm + zpk;
                let ak = sv * sk - zm * inv_s2;
                *o = cv * (ak * av + tv * (sk * slv));
            }
        }
        dst[p] += diag[p * blk + d + l * d + k];
    }
}

/// (Hx)_{c_m} and (Hx)_{z_m} into `out` (1 + d values), summed over the other units in order;
/// `xu` is x_z unit-major (x_{z_j} at j·d).
fn hvp_row(parts: &Parts, xc: &[f64], xu: &[f64], m: usize, out: &mut [f64]) {
    let (n, d, inv_s2, inv_n) = (parts.n, parts.d, parts.inv_s2, parts.inv_n);
    let c = &parts.c;
    let (kc, sc, tc) = (parts.k_col(m), parts.s_col(m), parts.t_col(m));
    let zm = parts.zrow(m);
    let xm = &xu[m * d..(m + 1) * d];
    let mut yz = vec![0.0; d];
    let mut gsum = vec![0.0; d];
    let mut k11 = vec![0.0; d];
    let (mut a, mut ap, mut sv) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    let dot = |u: &[f64], w: &[f64]| -> f64 { u.iter().zip(w).map(|(u, w)| u * w).sum() };
    let mut yc = 0.0;
    let mut ident = 0.0;
    for j in 0..n {
        let (kv, s, t) = (kc[j], sc[j], tc[j]);
        let xj = &xu[j * d..(j + 1) * d];
        for ((((a, ap), sk), &x), &y) in a
            .iter_mut()
            .zip(ap.iter_mut())
            .zip(sv.iter_mut())
            .zip(zm)
            .zip(parts.zrow(j))
        {
            *sk = x + y;
            *a = dir(x, y, s, inv_s2);
            *ap = dir(y, x, s, inv_s2);
        }
        let (apx, sx) = (dot(&ap, xj), dot(&sv, xj));
        let (axm, sxm) = (dot(&a, xm), dot(&sv, xm));
        let w = c[j] * kv;
        yc += kv * inv_n * xc[j] + w * inv_n * apx;
        ident += w * (s - inv_s2);
        let cz = (c[m] * kv) * inv_n * xc[j];
        let cc = ((c[m] * c[j]) * kv) * inv_n;
        let (ca, cs, cx) = (cz + cc * apx, cc * t * sx, cc * s);
        let (wa, ws) = (w * axm, w * t * sxm);
        for k in 0..d {
            gsum[k] += w * a[k];
            yz[k] += ca * a[k] + cs * sv[k] + cx * xj[k];
            k11[k] += wa * a[k] + ws * sv[k];
        }
    }
    let unit = parts.unit(m);
    let cmn = c[m] * inv_n;
    for k in 0..d {
        let dc = -unit[1 + k] + inv_n * gsum[k];
        yc += dc * xm[k];
        let hx: f64 = (0..d).map(|l| unit[1 + d + l * d + k] * xm[l]).sum();
        yz[k] += dc * xc[m] - c[m] * hx + cmn * (k11[k] + ident * xm[k]);
    }
    out[0] = yc;
    out[1..].copy_from_slice(&yz);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::Velocity;
    use crate::exact::ExactWorkspace;
    use crate::streams::{Purpose, stream};
    use crate::unit::Rbf;
    use crate::{InitC, Network};
    use faer::Mat;
    use faer::linalg::solvers::Solve;
    use rand_distr::{Distribution, StandardNormal};
    use spin_target::SpinModel;

    /// A state like the long-time dynamics: centres on S^{d-1}(R) perturbed radially and
    /// transversally, charges ~ `c_scale` N(0, 1) (|c| of tens), σ = R/2.
    fn state(d: usize, n: usize, c_scale: f64, seed: u64) -> (ExactRbf, Network) {
        let model = SpinModel::new(d, seed).unwrap();
        let r = model.radius();
        let sigma = 0.5 * r;
        let unit = Rbf { sigma };
        let mut net = Network::init(
            &unit,
            n,
            d,
            r,
            InitC::Normal,
            &mut stream(seed, 0, Purpose::Init),
        );
        let mut rng = stream(seed, 1, Purpose::Init);
        let mut g = || -> f64 { StandardNormal.sample(&mut rng) };
        for i in 0..n {
            let radial = 1.0 + 0.15 * g();
            for k in 0..d {
                net.z[(i, k)] = net.z[(i, k)] * radial + 0.2 * g();
            }
            net.c[i] = c_scale * net.c[i] + 0.5 * g();
        }
        (ExactRbf::new(model, sigma), net)
    }

    fn flatten(c: &[f64], z: &Mat<f64>) -> Vec<f64> {
        let n = c.len();
        let mut v = c.to_vec();
        for k in 0..z.ncols() {
            v.extend((0..n).map(|i| z[(i, k)]));
        }
        v
    }

    fn unflatten(theta: &[f64], n: usize, d: usize) -> Network {
        let mut z = Mat::zeros(n, d);
        for k in 0..d {
            for i in 0..n {
                z[(i, k)] = theta[z_index(n, i, k)];
            }
        }
        Network {
            c: theta[..n].to_vec(),
            z,
        }
    }

    fn hess(ex: &ExactRbf, net: &Network, par: Par) -> (Mat<f64>, f64) {
        let big = net.width() * (ex.dim() + 1);
        let mut h = Mat::zeros(big, big);
        let l = ex.hessian(net, h.as_mut(), par);
        (h, l)
    }

    fn flat_velocity(ex: &ExactRbf, net: &Network) -> Vec<f64> {
        let (n, d) = (net.width(), ex.dim());
        let mut ws = ExactWorkspace::new(n, d);
        let mut vel = Velocity::zeros(n, d);
        ex.velocity(net, &mut ws, &mut vel, Par::Seq);
        flatten(&vel.c, &vel.z)
    }

    /// Max over columns j of max_i |H_ij − FD_ij| / max_i |H_ij|, FD the central difference of
    /// −v with step h_j = 1e-5 · max(|θ_j|, 1).
    fn fd_error(ex: &ExactRbf, net: &Network) -> f64 {
        let (n, d) = (net.width(), ex.dim());
        let (h, _) = hess(ex, net, Par::Seq);
        let theta = flatten(&net.c, &net.z);
        let mut worst: f64 = 0.0;
        for j in 0..theta.len() {
            let step = 1e-5 * theta[j].abs().max(1.0);
            let mut tp = theta.clone();
            tp[j] += step;
            let mut tm = theta.clone();
            tm[j] -= step;
            let vp = flat_velocity(ex, &unflatten(&tp, n, d));
            let vm = flat_velocity(ex, &unflatten(&tm, n, d));
            let scale = (0..theta.len())
                .map(|i| h[(i, j)].abs())
                .fold(0.0, f64::max);
            assert!(scale > 0.0);
            for i in 0..theta.len() {
                let fd = -(vp[i] - vm[i]) / (2.0 * step);
                worst = worst.max((h[(i, j)] - fd).abs() / scale);
            }
        }
        worst
    }

    #[test]
    fn hessian_matches_finite_differences_of_the_velocity() {
        // measured max column-relative errors: d = 5 (n = 6): 3.3e-10, d = 25 (n = 4): 1.8e-9
        // (other seeds and d = 3, 10: ≤ 6e-9). Dropping any term (t, ∇²A, the identity parts of
        // K11 or K12) gives O(1); scaling one term of D^c or D^z by 1 ± 1e-3 gives ≥ 1.4e-3
        // and a coefficient of ∇²F̂ off by 2.5 % gives 1.7e-2.
        for (d, n, seed) in [(5usize, 6usize, 3u64), (25, 4, 7)] {
            let (ex, net) = state(d, n, 20.0, seed);
            let err = fd_error(&ex, &net);
            eprintln!("d={d} n={n}: max column-relative FD error {err:.2e}");
            assert!(err < 1e-7, "d={d}: FD error {err:e}");
        }
    }

    #[test]
    fn hessian_is_symmetric_and_its_charge_block_is_khat_over_n() {
        for (d, n) in [(5usize, 9usize), (25, 5)] {
            let (ex, net) = state(d, n, 20.0, 11);
            let (h, l) = hess(&ex, &net, Par::Seq);
            let big = n * (d + 1);
            for j in 0..big {
                for i in 0..big {
                    assert_eq!(h[(i, j)].to_bits(), h[(j, i)].to_bits(), "({i}, {j})");
                }
            }
            let mut g = vec![0.0; d];
            for j in 0..n {
                for i in 0..n {
                    let (a, b) = (i.min(j), i.max(j));
                    let k = ex.khat(&net.z_row(a), &net.z_row(b), &mut g);
                    assert_eq!(h[(i, j)].to_bits(), (k * (1.0 / n as f64)).to_bits());
                }
            }
            let mut ws = ExactWorkspace::new(n, d);
            let l0 = ex.loss(&net, &mut ws, Par::Seq);
            assert!((l - l0).abs() <= 1e-12 * l0.abs(), "loss {l} vs {l0}");
        }
    }

    #[test]
    fn one_newton_step_in_the_charges_lands_on_the_minimiser() {
        // with z fixed, ℓ is quadratic in c with minimiser c* = n K⁻¹ F̂; H_cc = K/n and the
        // charge velocity v_c = F̂ − K c/n, so c + H_cc⁻¹ v_c = c* from any c
        let (d, n) = (5, 7);
        let (ex, net) = state(d, n, 20.0, 21);
        let mut g = vec![0.0; d];
        let f: Vec<f64> = (0..n).map(|i| ex.fhat(&net.z_row(i), &mut g)).collect();
        let kmat = Mat::from_fn(n, n, |i, j| {
            let (a, b) = (i.min(j), i.max(j));
            ex.khat(&net.z_row(a), &net.z_row(b), &mut g)
        });
        let rhs = Mat::from_fn(n, 1, |i, _| n as f64 * f[i]);
        let cstar = kmat.partial_piv_lu().solve(&rhs);
        let mut ws = ExactWorkspace::new(n, d);
        let mut vel = Velocity::zeros(n, d);
        for start in 0..3 {
            let mut net = net.clone();
            if start > 0 {
                let mut rng = stream(start, 9, Purpose::Init);
                for c in net.c.iter_mut() {
                    let e: f64 = StandardNormal.sample(&mut rng);
                    *c = 30.0 * e;
                }
            }
            let (h, _) = hess(&ex, &net, Par::Seq);
            ex.velocity(&net, &mut ws, &mut vel, Par::Seq);
            let hcc = h.as_ref().submatrix(0, 0, n, n).to_owned();
            let vc = Mat::from_fn(n, 1, |i, _| vel.c[i]);
            let dc = hcc.partial_piv_lu().solve(&vc);
            let before: f64 = vel.c.iter().map(|v| v.abs()).fold(0.0, f64::max);
            for i in 0..n {
                net.c[i] += dc[(i, 0)];
            }
            let l_new = ex.velocity(&net, &mut ws, &mut vel, Par::Seq);
            // gradient in c at the new point: round-off (measured |v_c| ≤ 3e-15 max|F̂|, from
            // 1e-1 … 2e-1 at the starts; c within 2e-14 of c*)
            let fmax = f.iter().map(|v| v.abs()).fold(0.0, f64::max);
            let after: f64 = vel.c.iter().map(|v| v.abs()).fold(0.0, f64::max);
            assert!(
                after <= 1e-12 * fmax,
                "start {start}: |v_c| {before:e} -> {after:e}"
            );
            let cmax = cstar.col(0).iter().map(|v| v.abs()).fold(0.0, f64::max);
            for i in 0..n {
                assert!(
                    (net.c[i] - cstar[(i, 0)]).abs() <= 1e-11 * cmax,
                    "start {start}: c_{i} {} vs c* {}",
                    net.c[i],
                    cstar[(i, 0)]
                );
            }
            // and it is the minimum along every charge direction
            for i in 0..n {
                for sgn in [-1.0, 1.0] {
                    let mut moved = net.clone();
                    moved.c[i] += sgn * 1e-2;
                    assert!(ex.loss(&moved, &mut ws, Par::Seq) > l_new);
                }
            }
        }
    }

    #[test]
    fn hessian_vector_product_agrees_with_the_dense_product() {
        let (d, n) = (5, 13);
        let (ex, net) = state(d, n, 20.0, 5);
        let (h, _) = hess(&ex, &net, Par::Seq);
        let big = n * (d + 1);
        let mut rng = stream(2, 2, Purpose::Init);
        let x: Vec<f64> = (0..big)
            .map(|_| {
                let e: f64 = StandardNormal.sample(&mut rng);
                e
            })
            .collect();
        let mut y = vec![0.0; big];
        ex.hessian_vector(&net, &x, &mut y, Par::Seq);
        let dense: Vec<f64> = (0..big)
            .map(|i| (0..big).map(|j| h[(i, j)] * x[j]).sum())
            .collect();
        let scale = dense.iter().map(|v| v.abs()).fold(0.0, f64::max);
        for i in 0..big {
            assert!((y[i] - dense[i]).abs() <= 1e-12 * scale, "row {i}");
        }
    }

    #[test]
    fn the_cached_product_equals_the_uncached_one_bit_for_bit_across_state_changes() {
        let (ex, net) = state(5, 7, 3.0, 21);
        let big = 7 * 6;
        let x: Vec<f64> = (0..big)
            .map(|i| ((i * 37 % 11) as f64 - 5.0) / 3.0)
            .collect();
        let mut cache = HvpCache::default();
        let mut other = net.clone();
        other.z[(2, 1)] += 1e-9;
        for net in [&net, &net, &other, &net] {
            let (mut a, mut b) = (vec![0.0; big], vec![0.0; big]);
            let la = ex.hessian_vector(net, &x, &mut a, Par::Seq);
            let lb = ex.hessian_vector_cached(net, &x, &mut b, &mut cache, Par::Seq);
            assert_eq!(la.to_bits(), lb.to_bits());
            assert!(a.iter().zip(&b).all(|(u, v)| u.to_bits() == v.to_bits()));
        }
    }

    #[test]
    fn hessian_is_bitwise_thread_independent() {
        let (d, n) = (5, 40);
        let (ex, net) = state(d, n, 20.0, 17);
        let big = n * (d + 1);
        let x: Vec<f64> = (0..big).map(|i| (0.37 * i as f64).sin()).collect();
        let run = |threads: usize, par: Par| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let (h, l) = hess(&ex, &net, par);
                let mut y = vec![0.0; big];
                let l2 = ex.hessian_vector(&net, &x, &mut y, par);
                let mut bits = vec![l.to_bits(), l2.to_bits()];
                for j in 0..big {
                    bits.extend((0..big).map(|i| h[(i, j)].to_bits()));
                }
                bits.extend(y.iter().map(|v| v.to_bits()));
                bits
            })
        };
        let seq = run(1, Par::Seq);
        assert_eq!(seq, run(1, Par::rayon(2)));
        assert_eq!(seq, run(2, Par::rayon(2)));
        assert_eq!(seq, run(2, Par::Seq));
    }

    #[test]
    fn hessian_into_a_strided_view_matches() {
        // a non-contiguous destination (a transposed view) goes through the copying path
        let (d, n) = (5, 4);
        let (ex, net) = state(d, n, 20.0, 2);
        let big = n * (d + 1);
        let (h, _) = hess(&ex, &net, Par::Seq);
        let mut t = Mat::<f64>::zeros(big, big);
        ex.hessian(&net, t.as_mut().transpose_mut(), Par::rayon(2));
        for j in 0..big {
            for i in 0..big {
                assert_eq!(h[(i, j)].to_bits(), t[(j, i)].to_bits());
            }
        }
    }
}
