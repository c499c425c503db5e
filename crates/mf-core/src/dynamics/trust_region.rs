//! A descent-only trust-region Newton method on the loss ℓ (the polish after a flow).
//!
//! Written here rather than taken from `argmin`: argmin brings rand_xoshiro 0.7 into the tree
//! beside ours (0.8), a duplicate the workspace does not allow.
//!
//! # The model
//!
//! At θ with velocity v = −n∇ℓ and H = n∇²ℓ (the field's [`Field::hessian_vector`]), a step p
//! is measured against the quadratic model
//!
//! ```text
//! m(p) = ℓ − (1/n) vᵀp + (1/2n) pᵀ H p
//! ```
//!
//! inside the trust region ‖p‖_D ≤ Δ, where ‖p‖_D = ‖D⁻¹p‖ is a scaled norm (see
//! [`RegionNorm`]): with D = diag(s_j) and p = D p̂ the subproblem reads, in the scaled
//! variables p̂,
//!
//! ```text
//! n (m(p) − ℓ) = ĝᵀp̂ + ½ p̂ᵀĤp̂,   ĝ = −D v,   Ĥ = D H D,   ‖p̂‖ ≤ Δ.
//! ```
//!
//! # Steihaug–Toint truncated conjugate gradients
//!
//! The subproblem is solved approximately by CG on Ĥp̂ = −ĝ from p̂₀ = 0, r₀ = ĝ, d₀ = −r₀:
//!
//! ```text
//! κ_j = d_jᵀĤd_j;   κ_j ≤ 0          → p̂ = p̂_j + τ d_j on ‖p̂‖ = Δ (negative curvature);
//! α_j = r_jᵀr_j/κ_j;  ‖p̂_j + α_j d_j‖ ≥ Δ → p̂ = p̂_j + τ d_j on ‖p̂‖ = Δ (boundary);
//! p̂_{j+1} = p̂_j + α_j d_j,  r_{j+1} = r_j + α_j Ĥd_j;  ‖r_{j+1}‖ ≤ η_k ‖ĝ‖ → p̂ = p̂_{j+1};
//! d_{j+1} = −r_{j+1} + (r_{j+1}ᵀr_{j+1}/r_jᵀr_j) d_j,
//! ```
//!
//! with τ ≥ 0 the positive root of ‖p̂_j + τd_j‖ = Δ and the forcing term
//! η_k = min([`CG_FORCING`], ‖ĝ_k‖/‖ĝ_0‖) (inexact Newton with η_k = O(‖g_k‖): quadratic
//! convergence near a non-degenerate minimiser). The CG iterates grow monotonically in norm, the
//! model decreases monotonically along them, and the first iterate is the Cauchy point, so
//! every step decreases the model at least as much as steepest descent would. The model value
//! is carried along the path, m(p̂_j + τd_j) = m(p̂_j) + τ r_jᵀd_j + ½τ²κ_j, so the predicted
//! decrease costs no extra product.
//!
//! # Hessian-vector products
//!
//! H u comes from [`Field::hessian_vector`] when the field has it (exact mode: the closed form
//! of [`crate::exact::ExactRbf::hessian_vector`]); otherwise from **central** differences of
//! the velocity, `H u ≈ −(v(θ + εu) − v(θ − εu)) / (2ε)` with ε = [`FD_STEP`] (1 + ‖θ‖)/‖u‖
//! (two velocity evaluations per product, error O(ε²) ≈ 10⁻¹⁰ relative, against ≈ 10⁻⁸ for
//! forward differences).
//!
//! # Ratio test and radius
//!
//! A step is tried by evaluating ℓ(θ + p) and comparing the actual with the predicted
//! decrease, ρ = (ℓ(θ) − ℓ(θ + p)) / (m(0) − m(p)). It is accepted when the actual decrease is
//! positive and ρ ≥ [`ACCEPT_RATIO`]; otherwise θ is unchanged. The radius then becomes
//! [`SHRINK_FACTOR`]·‖p̂‖ when ρ < [`SHRINK_RATIO`] (or the step was rejected), and
//! min([`GROW_FACTOR`]·Δ, [`MAX_RADIUS`]) when ρ > [`GROW_RATIO`] and the step reached the
//! boundary. Every tried step is one iteration of the [`StopRule`] budget; the CG iterations
//! and Hessian products are counted apart ([`TrustRegionStats`]).
//!
//! # Measured (exact loss, d = 5, σ = R/2, c(0) = 0, from the adaptive flow at t = 2000)
//!
//! | n  | flow      | TR, 100 it. | TR, 500 it.         | L-BFGS, 500 it. | L-BFGS, 10⁵ it.    |
//! |----|-----------|-------------|---------------------|-----------------|--------------------|
//! | 16 | 0.224 C_f | 7.6·10⁻⁴    | 1.3·10⁻⁴ (1.0 s)    | 1.6·10⁻²        | 1.6·10⁻³ (1.8 s)   |
//! | 32 | 0.197 C_f | 9.3·10⁻⁵    | 5.9·10⁻⁶ (4.8 s)    | 1.7·10⁻³        | 1.0·10⁻⁴ (8.4 s)   |
//!
//! (losses relative to C_f; about 90 CG iterations per step at n = 32, N = 192; max|c| grows to
//! 10³–10⁴ along the valley while ‖v‖ stays O(10⁻¹): no minimiser is reached, the budget ends
//! the polish.) Capping CG at 50 or 20 iterations per step, or a looser forcing term
//! (η_max = 0.5), gave a higher loss per step for at most a 2–5× saving per step, so CG runs to
//! the forcing term or N by default; [`TrustRegionNewton::max_cg_iterations`] caps it for
//! large N.
//!
//! # Stops
//!
//! `Converged` when ‖v‖ ≤ `grad_tol`; `Stalled` when an accepted step decreased ℓ by less than
//! `rel_decrease`·|ℓ| or the radius fell below [`MIN_RADIUS`] (relative: below round-off of θ);
//! `Budget` after `max_iterations` tried steps. The loss never increases, and a state whose loss
//! cannot be decreased is returned bit for bit. Deterministic: the only parallel work is the
//! field's own.

use super::field::Field;
use super::minimiser::{MinimiseReport, Minimiser, MinimiserSpec, Stop, StopRule, dot};
use crate::network::{Network, Velocity};

/// Smallest ρ of an accepted step (Nocedal & Wright's η ∈ [0, ¼)); the actual decrease must
/// also be positive.
pub const ACCEPT_RATIO: f64 = 1e-4;
/// Below this ρ the radius shrinks.
pub const SHRINK_RATIO: f64 = 0.25;
/// New radius after a poor or rejected step, as a fraction of the step's (scaled) length.
pub const SHRINK_FACTOR: f64 = 0.25;
/// Above this ρ a step on the boundary grows the radius.
pub const GROW_RATIO: f64 = 0.75;
/// Growth of the radius after a very good boundary step.
pub const GROW_FACTOR: f64 = 2.0;
/// Largest radius (scaled units).
pub const MAX_RADIUS: f64 = 1e10;
/// The radius has collapsed when a step may change every θ_j by less than this relative to
/// 1 + |θ_j| (i.e. below round-off): `Stalled`.
pub const MIN_RADIUS: f64 = 1e-15;
/// Radius of the first step (scaled units: with [`RegionNorm::Relative`], each θ_j may change
/// by about 1 + |θ_j|).
pub const INITIAL_RADIUS: f64 = 1.0;
/// Largest CG forcing term η_k.
pub const CG_FORCING: f64 = 0.1;
/// Relative step of the finite-difference Hessian-vector product, ≈ ε_mach^{1/3}.
pub const FD_STEP: f64 = 6e-6;

/// The norm of the trust region, ‖p‖_D = ‖D⁻¹p‖ with D = diag(s_j).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RegionNorm {
    /// s_j = 1: the Euclidean norm of the flat parameters.
    Euclidean,
    /// s_j = 1 + |θ_j| at the current θ (as the adaptive steppers' error norm): each parameter
    /// may move in proportion to its own size. The Hessian's z-blocks scale like c_i² and its
    /// c-block does not, so with charges of 10³ the Euclidean region is dictated by the
    /// stiffest centres while the charges barely move; the relative region balances them
    /// (it is also a diagonal preconditioner of CG). The default: from the exact-flow state at
    /// t = 2000 (d = 5, σ = R/2, c(0) = 0), 500 iterations reach 5.9·10⁻⁶ C_f (n = 32) and
    /// 1.3·10⁻⁴ C_f (n = 16) against 1.0·10⁻³ and 4.0·10⁻³ C_f in the Euclidean norm.
    #[default]
    Relative,
}

/// What the last [`TrustRegionNewton::minimise`] did beyond its [`MinimiseReport`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrustRegionStats {
    /// Accepted steps.
    pub accepted: u64,
    /// Rejected steps (θ unchanged).
    pub rejected: u64,
    /// CG iterations over all steps.
    pub cg_iterations: u64,
    /// Hessian-vector products (each is 2 velocity evaluations when finite-differenced).
    pub hessian_products: u64,
    /// True when the products came from the field's [`Field::hessian_vector`], false when
    /// finite-differenced (meaningful once `hessian_products > 0`).
    pub analytic_products: bool,
    /// Steps that followed a direction of negative curvature to the boundary.
    pub negative_curvature: u64,
    /// Steps that ended on the boundary (including negative curvature).
    pub boundary_steps: u64,
    /// The radius at the end (scaled units).
    pub radius: f64,
    /// (ℓ, ‖v‖) at the start and after every accepted step.
    pub history: Vec<(f64, f64)>,
}

/// The minimiser in the registry: `trust-region-newton` (alias `trust-region`), the default
/// polish.
pub const SPEC: MinimiserSpec = MinimiserSpec {
    name: "trust-region-newton",
    aliases: &["trust-region"],
    help: "descent-only trust-region Newton, Steihaug–Toint CG on exact Hessian-vector products (the default)",
    build: || Box::new(TrustRegionNewton::new()),
};

/// Descent-only trust-region Newton with Steihaug–Toint CG (see the module docs).
#[derive(Clone, Debug)]
pub struct TrustRegionNewton {
    /// The norm of the trust region.
    pub norm: RegionNorm,
    /// Radius of the first step (scaled units).
    pub initial_radius: f64,
    /// CG iterations per step (default: the number of parameters N).
    pub max_cg_iterations: Option<usize>,
    /// Largest CG forcing term η_k (default [`CG_FORCING`]).
    pub forcing: f64,
    stats: TrustRegionStats,
}

impl Default for TrustRegionNewton {
    fn default() -> Self {
        Self {
            norm: RegionNorm::default(),
            initial_radius: INITIAL_RADIUS,
            max_cg_iterations: None,
            forcing: CG_FORCING,
            stats: TrustRegionStats::default(),
        }
    }
}

impl TrustRegionNewton {
    /// The method with the default norm ([`RegionNorm::Relative`]) and constants.
    pub fn new() -> Self {
        Self::default()
    }

    /// The method with the trust region in `norm`.
    pub fn with_norm(norm: RegionNorm) -> Self {
        Self {
            norm,
            ..Self::default()
        }
    }

    /// Counters and history of the last minimisation.
    pub fn stats(&self) -> &TrustRegionStats {
        &self.stats
    }
}

/// The positive root τ of ‖p + τd‖ = Δ (‖p‖ ≤ Δ), in the cancellation-free form.
fn to_boundary(p: &[f64], d: &[f64], radius: f64) -> f64 {
    let (pp, pd, dd) = (dot(p, p), dot(p, d), dot(d, d));
    let gap = (radius * radius - pp).max(0.0);
    let disc = (pd * pd + dd * gap).sqrt();
    if pd > 0.0 {
        gap / (pd + disc)
    } else {
        (disc - pd) / dd
    }
}

/// How a CG solve ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CgEnd {
    /// The residual met the forcing term (interior step).
    Solved,
    /// The path left the region.
    Boundary,
    /// Negative (or zero) curvature, followed to the boundary.
    NegativeCurvature,
    /// The iteration cap.
    Cap,
}

/// H = n∇²ℓ applied to flat vectors: the field's product, or central differences of v.
struct Curvature {
    probe: Network,
    vp: Velocity,
    vm: Velocity,
    fp: Vec<f64>,
    fm: Vec<f64>,
    shifted: Vec<f64>,
    products: u64,
    analytic: bool,
}

impl Curvature {
    fn new(net: &Network) -> Self {
        let (n, q, len) = (net.width(), net.param_dim(), net.len());
        Self {
            probe: net.clone(),
            vp: Velocity::zeros(n, q),
            vm: Velocity::zeros(n, q),
            fp: vec![0.0; len],
            fm: vec![0.0; len],
            shifted: vec![0.0; len],
            products: 0,
            analytic: true,
        }
    }

    /// y = H u at θ (`net`, flat `theta`).
    fn apply(
        &mut self,
        field: &mut dyn Field,
        net: &Network,
        theta: &[f64],
        u: &[f64],
        y: &mut [f64],
    ) {
        self.products += 1;
        if self.analytic && field.hessian_vector(net, u, y).is_some() {
            return;
        }
        self.analytic = false;
        let un = dot(u, u).sqrt();
        if un == 0.0 {
            y.fill(0.0);
            return;
        }
        let tn = dot(theta, theta).sqrt();
        let eps = FD_STEP * (1.0 + tn) / un;
        for (s, (t, x)) in self.shifted.iter_mut().zip(theta.iter().zip(u)) {
            *s = t + eps * x;
        }
        self.probe.set_from_flat(&self.shifted);
        field.velocity(&self.probe, &mut self.vp);
        for (s, (t, x)) in self.shifted.iter_mut().zip(theta.iter().zip(u)) {
            *s = t - eps * x;
        }
        self.probe.set_from_flat(&self.shifted);
        field.velocity(&self.probe, &mut self.vm);
        self.vp.to_flat(&mut self.fp);
        self.vm.to_flat(&mut self.fm);
        let inv = 1.0 / (2.0 * eps);
        for (o, (a, b)) in y.iter_mut().zip(self.fp.iter().zip(&self.fm)) {
            *o = -(a - b) * inv;
        }
    }
}

/// Work arrays of one Steihaug–Toint solve (scaled variables).
struct Cg {
    p: Vec<f64>,
    r: Vec<f64>,
    d: Vec<f64>,
    hd: Vec<f64>,
    u: Vec<f64>,
    hu: Vec<f64>,
}

impl Cg {
    fn new(len: usize) -> Self {
        Self {
            p: vec![0.0; len],
            r: vec![0.0; len],
            d: vec![0.0; len],
            hd: vec![0.0; len],
            u: vec![0.0; len],
            hu: vec![0.0; len],
        }
    }

    /// Approximately minimises ĝᵀp̂ + ½p̂ᵀĤp̂ over ‖p̂‖ ≤ Δ into `self.p`; returns how it ended,
    /// the CG iterations, and the model value n(m(p) − ℓ) (≤ 0).
    #[allow(clippy::too_many_arguments)]
    fn solve(
        &mut self,
        g: &[f64],
        scale: &[f64],
        radius: f64,
        tol: f64,
        cap: usize,
        hess: &mut Curvature,
        field: &mut dyn Field,
        net: &Network,
        theta: &[f64],
    ) -> (CgEnd, u64, f64) {
        self.p.fill(0.0);
        self.r.copy_from_slice(g);
        for (d, r) in self.d.iter_mut().zip(g) {
            *d = -r;
        }
        let mut rr = dot(&self.r, &self.r);
        let mut model = 0.0;
        for j in 0..cap {
            // Ĥd = D H D d
            for ((u, d), s) in self.u.iter_mut().zip(&self.d).zip(scale) {
                *u = s * d;
            }
            hess.apply(field, net, theta, &self.u, &mut self.hu);
            for ((h, hu), s) in self.hd.iter_mut().zip(&self.hu).zip(scale) {
                *h = s * hu;
            }
            let kappa = dot(&self.d, &self.hd);
            let rd = dot(&self.r, &self.d);
            let step = |p: &mut Vec<f64>, d: &[f64], t: f64| {
                for (p, d) in p.iter_mut().zip(d) {
                    *p += t * d;
                }
            };
            // NaN curvature (a product at a non-finite point) also ends here, at the boundary
            if kappa.is_nan() || kappa <= 0.0 {
                let tau = to_boundary(&self.p, &self.d, radius);
                model += tau * rd + 0.5 * tau * tau * kappa;
                step(&mut self.p, &self.d, tau);
                return (CgEnd::NegativeCurvature, j as u64 + 1, model);
            }
            let alpha = rr / kappa;
            let reach: f64 = self
                .p
                .iter()
                .zip(&self.d)
                .map(|(p, d)| (p + alpha * d).powi(2))
                .sum();
            if reach.sqrt() >= radius {
                let tau = to_boundary(&self.p, &self.d, radius);
                model += tau * rd + 0.5 * tau * tau * kappa;
                step(&mut self.p, &self.d, tau);
                return (CgEnd::Boundary, j as u64 + 1, model);
            }
            model += alpha * rd + 0.5 * alpha * alpha * kappa;
            step(&mut self.p, &self.d, alpha);
            for (r, h) in self.r.iter_mut().zip(&self.hd) {
                *r += alpha * h;
            }
            let rr_new = dot(&self.r, &self.r);
            if rr_new.sqrt() <= tol {
                return (CgEnd::Solved, j as u64 + 1, model);
            }
            let beta = rr_new / rr;
            for (d, r) in self.d.iter_mut().zip(&self.r) {
                *d = -r + beta * *d;
            }
            rr = rr_new;
        }
        (CgEnd::Cap, cap as u64, model)
    }
}

impl Minimiser for TrustRegionNewton {
    fn name(&self) -> &'static str {
        SPEC.name
    }

    fn minimise(
        &mut self,
        net: &mut Network,
        field: &mut dyn Field,
        rule: &StopRule,
    ) -> MinimiseReport {
        let (n, q, len) = (net.width(), net.param_dim(), net.len());
        let inv_n = 1.0 / n as f64;
        let mut stats = TrustRegionStats {
            analytic_products: true,
            ..TrustRegionStats::default()
        };
        let mut vel = Velocity::zeros(n, q);
        let mut theta = vec![0.0; len];
        let mut trial_flat = vec![0.0; len];
        let mut g = vec![0.0; len];
        let mut scale = vec![1.0; len];
        let mut trial = net.clone();
        let mut hess = Curvature::new(net);
        let mut cg = Cg::new(len);
        let cap = self.max_cg_iterations.unwrap_or(len).max(1);

        net.to_flat(&mut theta);
        let mut loss = field.loss(net);
        let loss_before = loss;
        field.velocity(net, &mut vel);
        let mut gnorm = vel.norm();
        stats.history.push((loss, gnorm));
        let mut radius = self.initial_radius;
        let mut g0 = f64::NAN;
        let mut it = 0;
        let stop = loop {
            if let Some(stop) = rule.before_iteration(gnorm, loss, it) {
                break stop;
            }
            // ĝ = −D v
            vel.to_flat(&mut g);
            for (j, gj) in g.iter_mut().enumerate() {
                scale[j] = match self.norm {
                    RegionNorm::Euclidean => 1.0,
                    RegionNorm::Relative => 1.0 + theta[j].abs(),
                };
                *gj *= -scale[j];
            }
            let gs = dot(&g, &g).sqrt();
            if g0.is_nan() {
                g0 = gs;
            }
            let tol = self.forcing.min(gs / g0) * gs;
            let (end, cg_its, model) =
                cg.solve(&g, &scale, radius, tol, cap, &mut hess, field, net, &theta);
            it += 1;
            stats.cg_iterations += cg_its;
            if matches!(end, CgEnd::Boundary | CgEnd::NegativeCurvature) {
                stats.boundary_steps += 1;
            }
            if end == CgEnd::NegativeCurvature {
                stats.negative_curvature += 1;
            }
            let pnorm = dot(&cg.p, &cg.p).sqrt();
            for j in 0..len {
                trial_flat[j] = theta[j] + scale[j] * cg.p[j];
            }
            trial.set_from_flat(&trial_flat);
            let l_new = field.loss(&trial);
            let predicted = -model * inv_n;
            let actual = loss - l_new;
            let rho = actual / predicted;
            // all comparisons are false for NaN: a non-finite trial is rejected
            if predicted > 0.0 && actual > 0.0 && rho >= ACCEPT_RATIO {
                stats.accepted += 1;
                std::mem::swap(net, &mut trial);
                std::mem::swap(&mut theta, &mut trial_flat);
                let stalled = rule.after_step(loss, l_new);
                loss = l_new;
                field.velocity(net, &mut vel);
                gnorm = vel.norm();
                stats.history.push((loss, gnorm));
                if rho < SHRINK_RATIO {
                    radius = SHRINK_FACTOR * pnorm;
                } else if rho > GROW_RATIO && pnorm >= 0.99 * radius {
                    radius = (GROW_FACTOR * radius).min(MAX_RADIUS);
                }
                if let Some(stop) = stalled {
                    break stop;
                }
            } else {
                stats.rejected += 1;
                radius = SHRINK_FACTOR * pnorm.min(radius);
            }
            // collapse: no parameter may move by more than round-off
            let collapsed = match self.norm {
                RegionNorm::Relative => radius < MIN_RADIUS,
                RegionNorm::Euclidean => {
                    let big = theta.iter().fold(0.0f64, |m, t| m.max(t.abs()));
                    radius < MIN_RADIUS * (1.0 + big)
                }
            };
            if collapsed || !radius.is_finite() {
                break Stop::Stalled;
            }
        };
        stats.hessian_products = hess.products;
        stats.analytic_products = hess.analytic;
        stats.radius = radius;
        self.stats = stats;
        MinimiseReport {
            iterations: it,
            loss_before,
            loss_after: loss,
            grad_norm: gnorm,
            stop,
        }
    }
}
