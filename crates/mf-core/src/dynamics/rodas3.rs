//! The stiff step rule of exact mode (`--step-rule implicit`): the linearly implicit
//! Rosenbrock method RODAS3 (Sandu et al. 1997; Hairer & Wanner, *Solving ODEs II*, §IV.7),
//! four stages, order 3 with an embedded order-2 solution, L-stable and stiffly accurate, so
//! its step is limited by the local-error tolerance and not by stability: it grows as the flow
//! slows down.
//!
//! For the gradient flow θ' = v(θ) = −n∇ℓ(θ) the Jacobian is J = −H with H = n∇²ℓ symmetric
//! (the field's [`Field::hessian`]). With G = I/(γh) + H (γ = 1/2) and increments K_i,
//!
//! ```text
//! G K₁ = v(θ)
//! G K₂ = v(θ) + (4/h) K₁                              (a₂₁ = 0: the stage is θ itself)
//! G K₃ = v(θ + 2K₁) + (K₁ − K₂)/h
//! G K₄ = v(θ + 2K₁ + K₃) + (K₁ − K₂ − (8/3) K₃)/h
//! θ' = θ + 2K₁ + K₃ + K₄,    local error estimate e = K₄
//! ```
//!
//! (in the Hairer–Wanner form G K_i = v(θ + Σ a_ij K_j) + Σ c_ij K_j / h, θ' = θ + Σ m_j K_j,
//! with a₃₁ = a₄₁ = 2, a₄₃ = 1, c₂₁ = 4, c₃₁ = 1, c₃₂ = −1, c₄₁ = 1, c₄₂ = −1, c₄₃ = −8/3,
//! m = (2, 0, 1, 1)). Per step: one Hessian, one LU factorisation of G, four solves and three
//! velocity evaluations (v(θ') is the next step's v(θ)). G is factorised by LU with partial
//! pivoting, because H can be indefinite (saddles, diverging directions) and G then too; a
//! singular G rejects the step.
//!
//! A step is accepted when ‖e_i / (tol (1 + |θ_i|))‖_RMS ≤ 1 and the loss did not rise beyond
//! round-off (as in the explicit adaptive rules); the next step is
//! h · clamp(0.9 err^{−1/3}, 0.2, 6), a rejected one h · clamp(0.9 err^{−1/3}, 0.2, 0.9)
//! (at most h/2 after a rising loss, h/4 after a singular G). A rejected step keeps the
//! Hessian of θ.
//!
//! Written here rather than taken from `diffsol` (BDF/SDIRK): its manifest adds nalgebra,
//! nalgebra-sparse and petgraph unconditionally, for a Jacobian that is here dense, symmetric and
//! already in closed form; one LU per step with explicit [`Par`] keeps the bits independent of
//! the thread count.

use super::dense::DenseLu;
use super::field::Field;
use super::stepper::{
    AdaptiveCore, EXACT_ONLY, OnRise, RuleContext, StepControl, StepError, StepOutcome,
    StepRuleSpec, StepWork, Stepper, StepperState, weighted_rms,
};
use crate::network::Network;
use faer::Mat;

/// The rule in the registry: `rodas3` (alias `implicit`), exact mode.
pub const SPEC: StepRuleSpec = StepRuleSpec {
    name: "rodas3",
    aliases: &["implicit"],
    help: "the stiff rule: Rosenbrock RODAS3 with the exact Hessian, L-stable, its step limited by --tol and not by stability (exact mode)",
    adaptive: true,
    order: 3,
    modes: EXACT_ONLY,
    dense_matrices: 3,
    build: |c: &RuleContext<'_>| Box::new(Rodas3::new(c)),
};

/// γ of RODAS3.
const GAMMA: f64 = 0.5;
/// c₂₁, c₃₁, c₃₂, c₄₁, c₄₂, c₄₃ of the module docs.
const C21: f64 = 4.0;
const C31: f64 = 1.0;
const C32: f64 = -1.0;
const C41: f64 = 1.0;
const C42: f64 = -1.0;
const C43: f64 = -8.0 / 3.0;
/// The controller: err^(−1/3), growth at most 6, a rising loss shrinks by at least half.
const CONTROL: StepControl = StepControl {
    exponent: 1.0 / 3.0,
    grow_max: 6.0,
    on_rise: OnRise::Clamp,
};
/// The step after a singular stage matrix G.
const SINGULAR_SHRINK: f64 = 0.25;

/// RODAS3 with the exact Hessian (module docs).
#[derive(Debug)]
pub struct Rodas3 {
    core: AdaptiveCore,
    hess: Mat<f64>,
    g: Mat<f64>,
    lu: DenseLu,
    have_hess: bool,
    y: Vec<f64>,
    f: Vec<f64>,
    k: [Vec<f64>; 4],
    w: Vec<f64>,
    work: StepWork,
}

impl Rodas3 {
    /// A stepper for the network, first step, bounds, tolerance and round-off allowance of
    /// `ctx` (the factorisation is sequential: [`super::dense`]).
    pub fn new(ctx: &RuleContext<'_>) -> Self {
        let big = ctx.net.len();
        Self {
            core: AdaptiveCore::new(ctx, CONTROL),
            hess: Mat::zeros(big, big),
            g: Mat::zeros(big, big),
            lu: DenseLu::new(big),
            have_hess: false,
            y: vec![0.0; big],
            f: vec![0.0; big],
            k: std::array::from_fn(|_| vec![0.0; big]),
            w: vec![0.0; big],
            work: StepWork::default(),
        }
    }

    /// The error norm of every adaptive rule ([`weighted_rms`]) in flat order.
    fn error_norm(&self, e: &[f64]) -> f64 {
        weighted_rms(self.core.tol, e.iter().copied().zip(self.y.iter().copied()))
    }

    /// w = f + Σ_m (c_m / h) K_m, then K_out = G⁻¹ w.
    fn stage_solve(&mut self, out: usize, h: f64, terms: &[(f64, usize)]) {
        for j in 0..self.w.len() {
            let mut v = self.f[j];
            for &(c, m) in terms {
                v += c / h * self.k[m][j];
            }
            self.w[j] = v;
        }
        self.lu.solve_vec(&mut self.w);
        self.work.solves += 1;
        std::mem::swap(&mut self.k[out], &mut self.w);
    }

    /// stage = y + Σ_m a_m K_m (flat), written into the core's stage network.
    fn set_stage(&mut self, terms: &[(f64, usize)]) {
        for j in 0..self.w.len() {
            let mut v = self.y[j];
            for &(a, m) in terms {
                v += a * self.k[m][j];
            }
            self.w[j] = v;
        }
        self.core.stage.set_from_flat(&self.w);
    }
}

impl Stepper for Rodas3 {
    fn name(&self) -> &'static str {
        SPEC.name
    }

    fn is_adaptive(&self) -> bool {
        true
    }

    fn step(
        &mut self,
        net: &mut Network,
        field: &mut dyn Field,
        span: f64,
    ) -> Result<StepOutcome, StepError> {
        if !self.core.have_k1 {
            self.work.velocities += 1;
        }
        self.core.first_stage(net, field);
        if !self.have_hess {
            field
                .hessian(net, self.hess.as_mut())
                .ok_or(StepError::NeedsHessian { rule: SPEC.name })?;
            self.have_hess = true;
            self.work.hessians += 1;
        }
        net.to_flat(&mut self.y);
        let big = self.y.len();
        loop {
            let h = self.core.h.min(span);
            self.core.check(h)?;
            // G = H + I/(γh)
            self.g.copy_from(&self.hess);
            let shift = 1.0 / (GAMMA * h);
            for j in 0..big {
                self.g[(j, j)] += shift;
            }
            self.work.factorisations += 1;
            if self.lu.factor(self.g.as_ref()).is_err() {
                self.core.rejected += 1;
                self.core.h = SINGULAR_SHRINK * h;
                continue;
            }
            self.work.velocities += 3;
            // K₁, K₂ from v(θ)
            self.core.k[0].to_flat(&mut self.f);
            self.stage_solve(0, h, &[]);
            self.stage_solve(1, h, &[(C21, 0)]);
            // K₃ from v(θ + 2K₁)
            self.set_stage(&[(2.0, 0)]);
            field.velocity(&self.core.stage, &mut self.core.k[1]);
            self.core.k[1].to_flat(&mut self.f);
            self.stage_solve(2, h, &[(C31, 0), (C32, 1)]);
            // K₄ from v(θ + 2K₁ + K₃)
            self.set_stage(&[(2.0, 0), (1.0, 2)]);
            field.velocity(&self.core.stage, &mut self.core.k[2]);
            self.core.k[2].to_flat(&mut self.f);
            self.stage_solve(3, h, &[(C41, 0), (C42, 1), (C43, 2)]);
            // θ' = θ + 2K₁ + K₃ + K₄ and its velocity (the next step's first stage)
            self.set_stage(&[(2.0, 0), (1.0, 2), (1.0, 3)]);
            let loss1 = field.velocity(&self.core.stage, &mut self.core.k[3]);
            let err = self.error_norm(&self.k[3]);
            let c = &mut self.core;
            let rose = c.rose(loss1);
            if err <= 1.0 && !rose && err.is_finite() && c.stage.is_finite() {
                let out = c.accept(net, h, loss1);
                self.have_hess = false;
                c.grow_after(h, err);
                return Ok(out);
            }
            c.shrink_after(h, err, rose);
        }
    }

    fn reset(&mut self) {
        self.core.have_k1 = false;
        self.have_hess = false;
    }

    fn state(&self) -> Option<StepperState> {
        Some(self.core.state())
    }

    fn restore(&mut self, state: StepperState) {
        self.core.restore(state);
    }

    fn work(&self) -> Option<StepWork> {
        Some(self.work)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_fields::{NoHessian, Separable, ctx, integrate, start};
    use super::*;

    #[test]
    fn stiff_linear_flow_is_solved_with_steps_far_beyond_the_explicit_stability_limit() {
        // curvatures from 1e-2 to 1e4 (stiffness ratio 1e6): θ_j(t) = θ_j(0) e^{−n a_j t}
        let (n, q) = (4, 2);
        let len = n * (q + 1);
        let a: Vec<f64> = (0..len)
            .map(|j| 10f64.powf(-2.0 + 6.0 * j as f64 / (len - 1) as f64))
            .collect();
        let mut f = Separable {
            a: a.clone(),
            b: 0.0,
            n: n as f64,
            evals: 0,
        };
        let mut net = start(n, q);
        let mut x0 = vec![0.0; len];
        net.to_flat(&mut x0);
        let (tol, t_end) = (1e-6, 50.0);
        let mut st = Rodas3::new(&ctx(&net, 1e-3, f64::INFINITY, tol, 0.0));
        let steps = integrate(&mut st, &mut net, &mut f, t_end, f64::NAN);
        let mut x = vec![0.0; len];
        net.to_flat(&mut x);
        for j in 0..len {
            let exact = x0[j] * (-(n as f64) * a[j] * t_end).exp();
            assert!(
                (x[j] - exact).abs() <= 20.0 * tol * (1.0 + exact.abs()),
                "θ_{j}: {} vs {exact}",
                x[j]
            );
        }
        // forward Euler needs h < 2/(n a_max) = 5e-5: 10⁶ steps; the implicit rule's last
        // steps are limited by accuracy only
        let explicit_limit = 2.0 / (n as f64 * a[len - 1]);
        eprintln!("{steps} steps, last h {:.3e}", st.core.h);
        assert!(steps < 1000, "{steps} steps (forward Euler: 10⁶)");
        assert!(st.core.h > 1000.0 * explicit_limit, "h = {}", st.core.h);
    }

    #[test]
    fn a_field_without_a_hessian_is_a_clear_error() {
        let mut net = start(2, 1);
        let mut st = Rodas3::new(&ctx(&net, 0.1, 1.0, 1e-6, 0.0));
        let err = st.step(&mut net, &mut NoHessian, 1.0).unwrap_err();
        assert!(err.to_string().contains("Hessian"), "{err}");
    }
}
