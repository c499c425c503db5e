//! Closed forms of F̂, K̂, the population loss and the particle velocities for RBF units.
//!
//! φ(x, z) = exp(−|x − z|²/(2σ²)), x uniform on S^{d-1}(R), f(x) = κ Σ a_pqr x_p x_q x_r.
//! Writing v = z/σ², u = |v|², E(z) = exp(−(R² + |z|²)/(2σ²)) and r_m = g^{(m)}(u)/g(u):
//!
//! ```text
//! K̂(z, z') = E φ(x,z) φ(x,z') = exp(−(2R² + |z|² + |z'|²)/(2σ²)) · g(|z + z'|²/σ⁴)
//! ∇_z K̂(z, z') = K̂ · [ −z/σ² + s (z + z') ],   s = 2 g'(w)/(g(w) σ⁴) = R² ρ₀(w)/(d σ⁴)
//!
//! F̂(z) = E f(x) φ(x,z) = κ E(z) g(u) [ 8 r₃ A(v) + 4 r₂ B(v) ]
//!   with A(v) = Σ a_pqr v_p v_q v_r,  B(v) = b·v,  b_r = Σ_p (a_ppr + a_prp + a_rpp)
//!   (from ∂³G/∂v_p∂v_q∂v_r = 4 g''(u)(δ_pq v_r + δ_pr v_q + δ_qr v_p) + 8 g'''(u) v_p v_q v_r)
//! ∇_z F̂ = κ E g { −(z/σ²)(8 r₃ A + 4 r₂ B) + (2z/σ⁴)(8 r₄ A + 4 r₃ B) + (8 r₃ ∇A + 4 r₂ b)/σ² }
//! ```
//!
//! E(z) g(u) is formed as exp(ln E + ln ₀F₁) so that neither factor over- or underflows. The loss
//! and the mean-field velocities of the particles (c_i, z_i) are
//!
//! ```text
//! ℓ = C_f − (1/n) Σ_i c_i F̂(z_i) + (1/2n²) Σ_ij c_i c_j K̂(z_i, z_j)
//! dc_i/dt = F̂(z_i) − (1/n) Σ_j c_j K̂_ij
//! dz_i/dt = c_i ∇F̂(z_i) − (c_i/n) [ z_i (Σ_j c_j K̂_ij s_ij − (1/σ²) Σ_j c_j K̂_ij) + Σ_j c_j K̂_ij s_ij z_j ]
//! ```
//!
//! so the n² pair work is two scalars per unordered pair (K̂_ij and s_ij, one ₀F₁ evaluation);
//! everything else is matrix products.

use super::kernel::SphereRbfKernel;
use crate::kernels::exp::exp_in_place;
use crate::network::Network;
use crate::network::Velocity;
use crate::special::ln_hyp0f1_and_ratios;
use crate::target::RbfTeacher;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;
use spin_target::linalg::matmul_rows as matmul;
use spin_target::{EnergyWorkspace, SpinModel};
use std::sync::Arc;

/// The population (ν-exact) loss and dynamics of an RBF network on a 3-spin target or on an RBF
/// teacher network of the same σ ([`RbfTeacher`]).
#[derive(Clone, Debug)]
pub struct ExactRbf {
    /// K̂ and s in closed form, with the fast table of the pair work.
    kernel: SphereRbfKernel,
    /// What F̂ is made of.
    field: TargetField,
}

/// The target's side of the exact loss: F̂ and C_f.
#[derive(Clone, Debug)]
enum TargetField {
    /// The 3-spin model and b_r = Σ_p (a_ppr + a_prp + a_rpp) = 3 Σ_p a^S_ppr.
    Spin { model: SpinModel, b: Vec<f64> },
    /// F̂(z) = (1/k) Σ_a c*_a K̂(z*_a, z).
    Teacher(Arc<RbfTeacher>),
}

/// Work arrays of the exact velocity for n units in dimension d; allocate once per run.
#[derive(Clone, Debug)]
pub struct ExactWorkspace {
    gram: Mat<f64>,
    /// K̂_ij, column-major n × n.
    k: Vec<f64>,
    /// K̂_ij s_ij, column-major n × n.
    ks: Vec<f64>,
    kc: Vec<f64>,
    mc: Vec<f64>,
    row: Vec<f64>,
    row_grad: Vec<f64>,
    row_grad_a: Vec<f64>,
    cz: Mat<f64>,
    mz: Mat<f64>,
    v: Mat<f64>,
    grad_a: Mat<f64>,
    a_val: Vec<f64>,
    fhat: Vec<f64>,
    fgrad: Mat<f64>,
    sq: Vec<f64>,
    /// Teacher targets: per student unit, F̂ then ∇F̂ (1 + d values, unit-major).
    teacher_rows: Vec<f64>,
    /// The pair and unit work of the last Hessian-vector product (the polish's CG iterations).
    pub(crate) hvp_cache: super::hessian::HvpCache,
    energy_ws: EnergyWorkspace,
}

impl ExactWorkspace {
    /// Buffers for `width` units in dimension `dim`.
    pub fn new(width: usize, dim: usize) -> Self {
        Self {
            gram: Mat::zeros(width, width),
            k: vec![0.0; width * width],
            ks: vec![0.0; width * width],
            kc: vec![0.0; width],
            mc: vec![0.0; width],
            row: vec![0.0; dim],
            row_grad: vec![0.0; dim],
            row_grad_a: vec![0.0; dim],
            cz: Mat::zeros(width, dim),
            mz: Mat::zeros(width, dim),
            v: Mat::zeros(width, dim),
            grad_a: Mat::zeros(width, dim),
            a_val: vec![0.0; width],
            fhat: vec![0.0; width],
            fgrad: Mat::zeros(width, dim),
            sq: vec![0.0; width],
            teacher_rows: Vec::new(),
            hvp_cache: Default::default(),
            energy_ws: EnergyWorkspace::new(dim),
        }
    }
}

impl ExactRbf {
    /// The exact dynamics of RBF units of width `sigma` on the target `model`.
    pub fn new(model: SpinModel, sigma: f64) -> Self {
        let d = model.dim();
        let a = model.symmetric_matrix();
        let b = (0..d)
            .map(|r| 3.0 * (0..d).map(|p| a[(p, p * d + r)]).sum::<f64>())
            .collect();
        let kernel = SphereRbfKernel::new(d, model.radius(), sigma);
        Self {
            kernel,
            field: TargetField::Spin { model, b },
        }
    }

    /// The exact dynamics of RBF units of the teacher's width σ on the teacher network.
    pub fn with_teacher(teacher: Arc<RbfTeacher>) -> Self {
        Self {
            kernel: teacher.kernel().clone(),
            field: TargetField::Teacher(teacher),
        }
    }

    /// The 3-spin target, if the target is one.
    pub fn spin_model(&self) -> Option<&SpinModel> {
        match &self.field {
            TargetField::Spin { model, .. } => Some(model),
            TargetField::Teacher(_) => None,
        }
    }

    /// The teacher network, if the target is one.
    pub fn teacher(&self) -> Option<&RbfTeacher> {
        match &self.field {
            TargetField::Spin { .. } => None,
            TargetField::Teacher(t) => Some(t),
        }
    }

    /// b_r = 3 Σ_p a^S_ppr of the 3-spin target (`None` for a teacher).
    pub(crate) fn spin_b(&self) -> Option<(&SpinModel, &[f64])> {
        match &self.field {
            TargetField::Spin { model, b } => Some((model, b)),
            TargetField::Teacher(_) => None,
        }
    }

    /// Dimension d.
    pub fn dim(&self) -> usize {
        self.kernel.dim()
    }

    /// Radius R of the data sphere.
    pub fn radius(&self) -> f64 {
        self.kernel.radius()
    }

    /// RBF width σ.
    pub fn sigma(&self) -> f64 {
        self.kernel.sigma()
    }

    /// The closed-form kernel K̂.
    pub fn kernel(&self) -> &SphereRbfKernel {
        &self.kernel
    }

    fn half_dim(&self) -> f64 {
        0.5 * self.dim() as f64
    }

    /// (K̂(z, z'), s) for one pair, from |z|², |z'|² and |z + z'|² (see the module docs).
    #[inline]
    pub fn pair(&self, zsq: f64, zpsq: f64, sum_sq: f64) -> (f64, f64) {
        self.kernel.pair(zsq, zpsq, sum_sq)
    }

    /// K̂(z, z') and ∇_z K̂(z, z') (into `grad`).
    pub fn khat(&self, z: &[f64], zp: &[f64], grad: &mut [f64]) -> f64 {
        self.kernel.khat(z, zp, grad)
    }

    /// F̂(z) and ∇_z F̂(z) (into `grad`), for one centre (reference path; the batched
    /// [`ExactRbf::velocity`] uses the same formulas).
    pub fn fhat(&self, z: &[f64], grad: &mut [f64]) -> f64 {
        let d = self.dim();
        let (model, _) = match &self.field {
            TargetField::Spin { model, b } => (model, b),
            TargetField::Teacher(t) => {
                // F̂ = (1/k) Σ_a c*_a K̂(z, z*_a), ∇F̂ likewise
                let mut g = vec![0.0; d];
                let mut f = 0.0;
                grad.iter_mut().for_each(|x| *x = 0.0);
                for (a, ca) in t.charges().iter().enumerate() {
                    let k = self.kernel.khat(z, t.centre(a), &mut g);
                    f += ca * k;
                    for (o, gk) in grad.iter_mut().zip(&g) {
                        *o += ca * gk;
                    }
                }
                let inv_k = 1.0 / t.width() as f64;
                grad.iter_mut().for_each(|x| *x *= inv_k);
                return f * inv_k;
            }
        };
        let s2 = self.sigma() * self.sigma();
        let v: Vec<f64> = z.iter().map(|x| x / s2).collect();
        let kappa = model.scale();
        // A(v) = f(v)/κ and ∇A(v) = ∇f(v)/κ
        let a = model.energy(&v) / kappa;
        let mut grad_a = vec![0.0; d];
        model.gradient(&v, &mut grad_a);
        grad_a.iter_mut().for_each(|g| *g /= kappa);
        self.fhat_from(z, a, &grad_a, grad)
    }

    /// F̂ and ∇F̂ of the 3-spin target from A(v) and ∇A(v) (module docs).
    fn fhat_from(&self, z: &[f64], a: f64, grad_a: &[f64], grad: &mut [f64]) -> f64 {
        let (model, b) = self.spin_b().expect("the 3-spin target");
        let r = self.radius();
        let s2 = self.sigma() * self.sigma();
        let zsq: f64 = z.iter().map(|x| x * x).sum();
        let u = zsq / (s2 * s2);
        let y = r * r * u / 4.0;
        let beta = self.half_dim();
        let mut rho = [0.0; 4];
        let lnf = ln_hyp0f1_and_ratios(beta, y, 4, &mut rho);
        // r_m = g^(m)/g = (R²/4)^m / (β)_m · ρ₀ ⋯ ρ_{m−1}
        let q = r * r / 4.0;
        let r2 = q * q / (beta * (beta + 1.0)) * rho[0] * rho[1];
        let r3 = r2 * q / (beta + 2.0) * rho[2];
        let r4 = r3 * q / (beta + 3.0) * rho[3];
        let pre = model.scale() * (lnf - (r * r + zsq) / (2.0 * s2)).exp();
        let bv: f64 = b.iter().zip(z).map(|(b, x)| b * x / s2).sum();
        let t0 = 8.0 * r3 * a + 4.0 * r2 * bv;
        let t1 = 8.0 * r4 * a + 4.0 * r3 * bv;
        for (k, g) in grad.iter_mut().enumerate() {
            *g = pre
                * (-z[k] / s2 * t0
                    + 2.0 * z[k] / (s2 * s2) * t1
                    + (8.0 * r3 * grad_a[k] + 4.0 * r2 * b[k]) / s2);
        }
        pre * t0
    }

    /// C_f = ½ ∫ f² dν.
    pub fn zero_network_loss(&self) -> f64 {
        match &self.field {
            TargetField::Spin { model, .. } => model.zero_network_loss(),
            TargetField::Teacher(t) => 0.5 * t.mean_square(),
        }
    }

    /// The exact loss of `net`, without the velocities (same pair work as [`ExactRbf::velocity`]).
    pub fn loss(&self, net: &Network, ws: &mut ExactWorkspace, par: Par) -> f64 {
        self.pairs_and_fhat(net, ws, par);
        row_dots(&ws.k, &net.c, &mut ws.kc);
        self.assemble_loss(net, ws)
    }

    /// Exact velocities of every particle into `vel`; returns the exact loss ℓ at `net`.
    pub fn velocity(
        &self,
        net: &Network,
        ws: &mut ExactWorkspace,
        vel: &mut Velocity,
        par: Par,
    ) -> f64 {
        let (n, d) = (net.width(), self.dim());
        self.pairs_and_fhat(net, ws, par);
        let s2 = self.sigma() * self.sigma();
        let inv_n = 1.0 / n as f64;
        // cz = diag(c) Z, mz = (K∘S) cz
        for k in 0..d {
            for i in 0..n {
                ws.cz[(i, k)] = net.c[i] * net.z[(i, k)];
            }
        }
        let ks = MatRef::from_column_major_slice(&ws.ks, n, n);
        matmul(ws.mz.as_mut(), Accum::Replace, ks, ws.cz.as_ref(), 1.0, par);
        row_dots(&ws.k, &net.c, &mut ws.kc);
        row_dots(&ws.ks, &net.c, &mut ws.mc);
        for i in 0..n {
            vel.c[i] = ws.fhat[i] - inv_n * ws.kc[i];
            let ci = net.c[i];
            let coef = ws.mc[i] - ws.kc[i] / s2;
            for k in 0..d {
                vel.z[(i, k)] =
                    ci * ws.fgrad[(i, k)] - ci * inv_n * (net.z[(i, k)] * coef + ws.mz[(i, k)]);
            }
        }
        self.assemble_loss(net, ws)
    }

    /// ℓ from F̂ and Kc (both already in `ws`).
    fn assemble_loss(&self, net: &Network, ws: &ExactWorkspace) -> f64 {
        let n = net.width();
        let inv_n = 1.0 / n as f64;
        let lin: f64 = (0..n).map(|i| net.c[i] * ws.fhat[i]).sum();
        let quad: f64 = (0..n).map(|i| net.c[i] * ws.kc[i]).sum();
        self.zero_network_loss() - inv_n * lin + 0.5 * inv_n * inv_n * quad
    }

    /// Fills K̂_ij, K̂_ij s_ij (symmetric, each unordered pair computed once), F̂(z_i), ∇F̂(z_i).
    fn pairs_and_fhat(&self, net: &Network, ws: &mut ExactWorkspace, par: Par) {
        let (n, d) = (net.width(), self.dim());
        let z = net.z.as_ref();
        matmul(ws.gram.as_mut(), Accum::Replace, z, z.transpose(), 1.0, par);
        for i in 0..n {
            ws.sq[i] = ws.gram[(i, i)];
        }
        // upper triangle by columns, in parallel (column j holds the pairs i ≤ j); each pair is
        // an independent computation, so the result does not depend on threads
        let sq = &ws.sq;
        let gram = &ws.gram;
        let (r, s2) = (self.radius(), self.sigma() * self.sigma());
        let y_scale = r * r / (4.0 * s2 * s2);
        let s_scale = r * r / (d as f64 * s2 * s2);
        let table = self.kernel.table();
        ws.k.par_chunks_mut(n)
            .zip(ws.ks.par_chunks_mut(n))
            .enumerate()
            .for_each(|(j, (kcol, kscol))| {
                // y_ij into the K column, then ln ₀F₁ and ρ in place, then the prefactors
                let (kcol, kscol) = (&mut kcol[..=j], &mut kscol[..=j]);
                for (i, y) in kcol.iter_mut().enumerate() {
                    *y = y_scale * (sq[i] + sq[j] + 2.0 * gram[(i, j)]).max(0.0);
                }
                table.eval_in_place(kcol, kscol);
                for (i, l) in kcol.iter_mut().enumerate() {
                    *l -= (2.0 * r * r + sq[i] + sq[j]) / (2.0 * s2);
                }
                exp_in_place(kcol);
                for (ks, k) in kscol.iter_mut().zip(kcol.iter()) {
                    *ks *= s_scale * k;
                }
            });
        mirror_upper(&mut ws.k, n);
        mirror_upper(&mut ws.ks, n);
        let model = match &self.field {
            TargetField::Spin { model, .. } => model,
            TargetField::Teacher(t) => {
                teacher_fhat(&self.kernel, t, net, ws, par);
                return;
            }
        };
        // F̂ and ∇F̂: A(v) and ∇A(v) for all centres at once from the batched 3-spin routines
        for k in 0..d {
            for i in 0..n {
                ws.v[(i, k)] = z[(i, k)] / s2;
            }
        }
        let kappa = model.scale();
        model.energies_into(ws.v.as_ref(), &mut ws.a_val, &mut ws.energy_ws, par);
        model.gradients_into(ws.v.as_ref(), ws.grad_a.as_mut(), &mut ws.energy_ws, par);
        for i in 0..n {
            for k in 0..d {
                ws.row[k] = z[(i, k)];
                ws.row_grad_a[k] = ws.grad_a[(i, k)] / kappa;
            }
            ws.fhat[i] = self.fhat_from(
                &ws.row,
                ws.a_val[i] / kappa,
                &ws.row_grad_a,
                &mut ws.row_grad,
            );
            for k in 0..d {
                ws.fgrad[(i, k)] = ws.row_grad[k];
            }
        }
    }
}

/// Copies the upper triangle of a column-major n × n matrix onto its lower triangle, in 32 × 32
/// tiles so that the strided reads stay in cache.
fn mirror_upper(m: &mut [f64], n: usize) {
    const T: usize = 32;
    for ib in (0..n).step_by(T) {
        for jb in (ib..n).step_by(T) {
            for i in ib..(ib + T).min(n) {
                for j in jb.max(i + 1)..(jb + T).min(n) {
                    m[i * n + j] = m[j * n + i];
                }
            }
        }
    }
}

/// out_i = Σ_j M_ij c_j for a column-major n × n `m`, summed in j order (deterministic).
fn row_dots(m: &[f64], c: &[f64], out: &mut [f64]) {
    let n = c.len();
    out.iter_mut().for_each(|o| *o = 0.0);
    for (col, cj) in m.chunks_exact(n).zip(c) {
        for (o, mij) in out.iter_mut().zip(col) {
            *o += mij * cj;
        }
    }
}

/// F̂(z_i) and ∇F̂(z_i) of a teacher target for every student unit (module docs of
/// [`crate::target::teacher`]):
///
/// ```text
/// F̂(z_i)  = (1/k) Σ_a c*_a K_ia,   K_ia = K̂(z_i, z*_a)
/// ∇F̂(z_i) = (1/k) Σ_a c*_a K_ia [ −z_i/σ² + s_ia (z_i + z*_a) ]
///         = −(z_i/σ²) F̂ + z_i (1/k) Σ_a c*_a K_ia s_ia + (1/k) Σ_a c*_a K_ia s_ia z*_a
/// ```
///
/// n·k pairs through the same table as the student pairs; each unit's sums in order a = 0..k, the
/// units in parallel (the same bits on any thread count).
fn teacher_fhat(
    kernel: &SphereRbfKernel,
    t: &RbfTeacher,
    net: &Network,
    ws: &mut ExactWorkspace,
    par: Par,
) {
    let (n, d, k) = (net.width(), kernel.dim(), t.width());
    let (r, s2) = (kernel.radius(), kernel.sigma() * kernel.sigma());
    let y_scale = r * r / (4.0 * s2 * s2);
    let s_scale = r * r / (d as f64 * s2 * s2);
    let inv_k = 1.0 / k as f64;
    let (c, tsq) = (t.charges(), t.centre_norms_sq());
    let len = 1 + d;
    ws.teacher_rows.resize(n * len, 0.0);
    let z = net.z.as_ref();
    let sq = &ws.sq;
    let one = |i: usize, out: &mut [f64], (yl, rl): &mut (Vec<f64>, Vec<f64>)| {
        yl.resize(k, 0.0);
        rl.resize(k, 0.0);
        let zi: Vec<f64> = (0..d).map(|j| z[(i, j)]).collect();
        for (a, y) in yl.iter_mut().enumerate() {
            let za = t.centre(a);
            let dot: f64 = zi.iter().zip(za).map(|(u, v)| u * v).sum();
            *y = y_scale * (sq[i] + tsq[a] + 2.0 * dot).max(0.0);
        }
        kernel.table().eval_in_place(yl, rl);
        for (a, l) in yl.iter_mut().enumerate() {
            *l -= (2.0 * r * r + sq[i] + tsq[a]) / (2.0 * s2);
        }
        exp_in_place(yl);
        let (mut f, mut m) = (0.0, 0.0);
        let (fo, u) = out.split_at_mut(1);
        u.iter_mut().for_each(|x| *x = 0.0);
        for a in 0..k {
            let w = c[a] * yl[a];
            let ws_ = w * s_scale * rl[a];
            f += w;
            m += ws_;
            for (uj, zaj) in u.iter_mut().zip(t.centre(a)) {
                *uj += ws_ * zaj;
            }
        }
        let (f, m) = (f * inv_k, m * inv_k);
        fo[0] = f;
        for (uj, zij) in u.iter_mut().zip(&zi) {
            *uj = -zij / s2 * f + m * zij + *uj * inv_k;
        }
    };
    if matches!(par, Par::Seq) {
        let mut scr = (Vec::new(), Vec::new());
        for (i, out) in ws.teacher_rows.chunks_mut(len).enumerate() {
            one(i, out, &mut scr);
        }
    } else {
        ws.teacher_rows
            .par_chunks_mut(len)
            .enumerate()
            .for_each_init(
                || (Vec::new(), Vec::new()),
                |scr, (i, out)| one(i, out, scr),
            );
    }
    for i in 0..n {
        ws.fhat[i] = ws.teacher_rows[i * len];
        for j in 0..d {
            ws.fgrad[(i, j)] = ws.teacher_rows[i * len + 1 + j];
        }
    }
}
