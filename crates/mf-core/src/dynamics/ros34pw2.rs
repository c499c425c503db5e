//! The stiff rule that reuses its factorisation (`--step-rule ros34pw2`): the Rosenbrock-**W**
//! method ROS34PW2 of Rang & Angermann (*BIT* 45, 2005; PETSc's `TSROSWRA34PW2`), four
//! stages, order 3 with an embedded order-2 solution, L-stable and stiffly accurate.
//!
//! A W-method keeps its order with **any** matrix in place of the Jacobian (the order
//! conditions hold for an arbitrary W; Hairer & Wanner, *Solving ODEs II*, §IV.7). So one
//! factorisation of the stage matrix serves many steps: the Hessian H̃ = H(θ_F) of an earlier
//! state θ_F stands in for the Jacobian −H(θ), and only accuracy (the error estimate) and
//! stability (H̃ close enough to H for the stiff directions to stay damped) ask for a new one.
//!
//! With G = I/(γh) + H̃ (γ = 0.4358665215…), in the variables u_i = Σ_j γ_ij k_j of
//! Hairer–Wanner (7.23), one step is
//!
//! ```text
//! G u_i = v(θ + Σ_{j<i} a_ij u_j) + Σ_{j<i} (c_ij / h) u_j,     i = 1 … 4
//! θ' = θ + Σ_j m_j u_j,     e = Σ_j (m_j − m̂_j) u_j
//! ```
//!
//! (a = α Γ⁻¹, c = diag(1/γ) − Γ⁻¹, m = bᵀ Γ⁻¹, m̂ = b̂ᵀ Γ⁻¹ from the published tableau
//! (α, Γ, b, b̂), [`ROS34PW2`]; computed once by [`Tableau::transformed`]). Per step: four solves
//! with the reused factor (each one pass over an N × N factor: O(N²)) and four velocities
//! (the stages 2–4 and θ', whose velocity is the next step's stage 1).
//!
//! **When G is refactorised** (H̃ re-evaluated at the current state and G factorised anew, by
//! Cholesky when it is positive definite, else LU: [`super::stage_matrix`]) — the refresh
//! policy ([`REFRESH`]; the step and the length of each factorisation's use come from the
//! error model and cost ratio of [`plan`]):
//!
//! 1. at the first step and whenever the trainer starts a new span (the next evaluation time:
//!    8–10 per decade of t) — there the step is chosen as h = span / k, k = ⌈span / h_plan⌉,
//!    so that the span ends exactly after k steps of one h; this also makes a run resumed
//!    from a checkpoint (written at evaluation times; it stores the error model) take the
//!    same steps as the uninterrupted one;
//! 2. after a rejected step (error above the tolerance, a rising loss, a singular G): the
//!    retry takes the planned step (on a fresh Hessian; smaller than the rejected one unless
//!    the rejection was the lag's) at the current state;
//! 3. when the model predicts the next step's error above [`RefreshPolicy::plan_error`] (the
//!    lag has used up the error budget the plan gave it);
//! 4. when the plan asks for a step ≥ [`RefreshPolicy::grow`] × the factorised one (the flow
//!    has slowed: a larger step pays for the factorisation);
//! 5. after [`RefreshPolicy::max_age`] accepted steps on one factorisation.
//!
//! Between refreshes h stays fixed: G depends on h, and a W-method's order needs the h of its
//! stage matrix. A step is accepted when its error is within the tolerance (the norm of every
//! adaptive rule, [`weighted_rms`]) and the loss did not rise beyond round-off, as for RODAS3
//! (`implicit`); the plan's step never grows more than [`StepControl::grow_max`] = 6 times
//! a step, and a rising loss shrinks it as the shared controller does.
//!
//! **Order under a lagged Hessian: 3** (tested with the exact Hessian of every step, one
//! refreshed every 5 steps, one frozen at t = 0, twice the Hessian and none at all, W = I/(γh);
//! RODAS3's coefficients in the same machinery fall to order 1 with a frozen one). The bits do
//! not depend on the thread count: the factorisation and solves are sequential, the Hessian
//! and velocity sum in fixed chunks, and the plan depends on counts and errors only.

use super::field::Field;
use super::stage_matrix::StageMatrix;
use super::stepper::{
    AdaptiveCore, EXACT_ONLY, OnRise, RuleContext, StepControl, StepError, StepOutcome,
    StepRuleSpec, StepWork, Stepper, StepperState, weighted_rms,
};
use crate::network::Network;
use plan::ErrorModel;
pub use plan::{REFRESH, RefreshPolicy};
pub use tableau::{G, ROS34PW2, S, Tableau, Transformed};

pub mod plan;
pub mod tableau;

/// The rule in the registry: `ros34pw2` (alias `rosw`), exact mode.
pub const SPEC: StepRuleSpec = StepRuleSpec {
    name: "ros34pw2",
    aliases: &["rosw"],
    help: "the stiff rule that reuses its factorisation: Rosenbrock-W ROS34PW2, order 3 with any (lagged) Hessian, L-stable, G = I/(γh) + H factorised once per span or when the error or the step asks for it, O(N²) a step (exact mode; the fastest to long times)",
    adaptive: true,
    order: 3,
    modes: EXACT_ONLY,
    dense_matrices: 1,
    build: |c: &RuleContext<'_>| Box::new(Ros34pw2::new(c)),
};

/// The controller: err^(−1/3) (an order-2 estimate), growth at most 6, a rising loss shrinks
/// by at least half (as RODAS3).
const CONTROL: StepControl = StepControl {
    exponent: 1.0 / 3.0,
    grow_max: 6.0,
    on_rise: OnRise::Clamp,
};
/// The step after a singular stage matrix G.
const SINGULAR_SHRINK: f64 = 0.25;
/// Relative slack when comparing spans and steps (round-off of the trainer's clock).
const SLACK: f64 = 1e-9;

/// ROS34PW2 with a reused factorisation (module docs).
#[derive(Debug)]
pub struct Ros34pw2 {
    core: AdaptiveCore,
    tab: Transformed,
    policy: RefreshPolicy,
    /// ρ: a refresh's cost in attempts ([`plan::cost_ratio`]).
    rho: f64,
    model: ErrorModel,
    /// ‖v(θ)‖ (RMS) at the start of the current step.
    speed: f64,
    g: StageMatrix,
    /// The step G is factorised for; `None`: refresh before the next step.
    h_w: Option<f64>,
    /// Accepted steps on the current factorisation.
    age: u64,
    /// The span the next call continues (this span minus the accepted step).
    expected_span: f64,
    work: StepWork,
    y: Vec<f64>,
    f: Vec<f64>,
    w: Vec<f64>,
    u: [Vec<f64>; S],
}

impl Ros34pw2 {
    /// A stepper for the network, first step, bounds, tolerance and round-off allowance of
    /// `ctx`, with the shipped refresh policy.
    pub fn new(ctx: &RuleContext<'_>) -> Self {
        Self::with_policy(ctx, REFRESH)
    }

    /// The same with another refresh policy.
    pub fn with_policy(ctx: &RuleContext<'_>, policy: RefreshPolicy) -> Self {
        Self::with(ctx, &ROS34PW2, policy)
    }

    /// The same method machinery with another four-stage tableau (tests: a Rosenbrock method
    /// that is not a W-method loses its order with a lagged Hessian).
    pub fn with(ctx: &RuleContext<'_>, tableau: &Tableau, policy: RefreshPolicy) -> Self {
        let big = ctx.net.len();
        Self {
            core: AdaptiveCore::new(ctx, CONTROL),
            tab: tableau.transformed(),
            policy,
            rho: plan::cost_ratio(big, ctx.net.width()),
            model: ErrorModel::default(),
            speed: f64::NAN,
            g: StageMatrix::new(big),
            h_w: None,
            age: 0,
            expected_span: f64::NAN,
            work: StepWork::default(),
            y: vec![0.0; big],
            f: vec![0.0; big],
            w: vec![0.0; big],
            u: std::array::from_fn(|_| vec![0.0; big]),
        }
    }

    /// The step for a refresh: the proposal `h` cut so that `span` is k equal steps.
    fn quantised(h: f64, span: f64) -> f64 {
        if !span.is_finite() || h.is_nan() || h >= span {
            return h.min(span);
        }
        let k = (span / h - SLACK).ceil().max(1.0);
        span / k
    }

    /// The next factorisation's step: the plan's, at most `cap` (the controller's until the
    /// error model knows α).
    fn planned(&self, cap: f64, controller: f64) -> f64 {
        match self.model.plan(self.rho, cap, self.speed, &self.policy) {
            Some((h, _)) => h,
            None => controller.min(cap),
        }
    }

    /// H̃ = H(θ) and the factorisation of G = I/(γh) + H̃; `Ok(false)` when G is singular.
    fn refresh(&mut self, net: &Network, field: &mut dyn Field, h: f64) -> Result<bool, StepError> {
        field
            .hessian(net, self.g.hessian_buffer())
            .ok_or(StepError::NeedsHessian { rule: SPEC.name })?;
        self.work.hessians += 1;
        self.work.factorisations += 1;
        self.age = 0;
        self.model.refreshed();
        if self.g.factor(1.0 / (self.tab.gamma * h)).is_err() {
            self.h_w = None;
            return Ok(false);
        }
        self.h_w = Some(h);
        Ok(true)
    }

    /// u_i = G⁻¹ (f + Σ_{j<i} (c_ij / h) u_j), f the flat stage velocity in `self.f`.
    fn stage_solve(&mut self, i: usize, h: f64) {
        let c = self.tab.c[i];
        for (p, w) in self.w.iter_mut().enumerate() {
            let mut v = self.f[p];
            for (j, u) in self.u.iter().enumerate().take(i) {
                v += c[j] / h * u[p];
            }
            *w = v;
        }
        self.g.solve(&mut self.w);
        self.work.solves += 1;
        std::mem::swap(&mut self.u[i], &mut self.w);
    }

    /// The core's stage network = θ + Σ_{j<upto} coef_j u_j (flat).
    fn set_stage(&mut self, coef: &[f64; S], upto: usize) {
        for (p, w) in self.w.iter_mut().enumerate() {
            let mut v = self.y[p];
            for (j, u) in self.u.iter().enumerate().take(upto) {
                v += coef[j] * u[p];
            }
            *w = v;
        }
        self.core.stage.set_from_flat(&self.w);
    }

    /// The error Σ (m_j − m̂_j) u_j in the norm of every adaptive rule.
    fn error_norm(&self) -> f64 {
        let e = self.tab.e;
        weighted_rms(
            self.core.tol,
            (0..self.y.len()).map(|p| {
                let err: f64 = (0..S).map(|j| e[j] * self.u[j][p]).sum();
                (err, self.y[p])
            }),
        )
    }

    /// One attempt with step h on the current factorisation: (error, loss at θ'); θ' is the
    /// core's stage network, its velocity the core's k₄.
    fn attempt(&mut self, field: &mut dyn Field, h: f64) -> (f64, f64) {
        self.core.k[0].to_flat(&mut self.f);
        self.stage_solve(0, h);
        for i in 1..S {
            let a = self.tab.a[i];
            self.set_stage(&a, i);
            field.velocity(&self.core.stage, &mut self.core.k[1]);
            self.work.velocities += 1;
            self.core.k[1].to_flat(&mut self.f);
            self.stage_solve(i, h);
        }
        let m = self.tab.m;
        self.set_stage(&m, S);
        let loss1 = field.velocity(&self.core.stage, &mut self.core.k[3]);
        self.work.velocities += 1;
        (self.error_norm(), loss1)
    }

    /// After the accepted step h: the next planned step, and whether the next step needs a
    /// refresh (policies 3–5 of the module docs).
    fn after_accept(&mut self, h: f64, hw: f64, err: f64) {
        let j = self.age;
        self.model.record(h, j, err, self.speed);
        self.age += 1;
        let cap = (CONTROL.grow_max * h).min(self.core.h_max);
        self.core.h = self.planned(cap, CONTROL.grown(h, err));
        let predicted = self.model.predict(hw, self.age, self.speed);
        if self.core.h >= self.policy.grow * hw
            || self.age >= self.policy.max_age
            || predicted > self.policy.plan_error
        {
            self.h_w = None;
        }
    }

    /// After the rejected step h: the retry's step (policy 2), on a new factorisation.
    fn after_reject(&mut self, h: f64, err: f64, rose: bool) {
        self.core.rejected += 1;
        self.h_w = None;
        if rose || !err.is_finite() {
            self.core.h = CONTROL.shrunk(h, err, rose);
            return;
        }
        let j = self.age;
        self.model.record(h, j, err, self.speed);
        // a step rejected on a fresh Hessian shrinks as every rule's does; one rejected on a
        // lagged Hessian may retry at its step on a fresh one
        let cap = if j == 0 {
            CONTROL.shrunk(h, err, false)
        } else {
            h
        };
        self.core.h = self.planned(cap, CONTROL.shrunk(h, err, false));
    }
}

impl Stepper for Ros34pw2 {
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
        net.to_flat(&mut self.y);
        self.core.k[0].to_flat(&mut self.f);
        self.speed = (self.f.iter().map(|v| v * v).sum::<f64>() / self.f.len() as f64).sqrt();
        // policy 1: a new span (or the first step) starts with a refresh
        let continues = span.is_finite()
            && (span - self.expected_span).abs() <= SLACK * span.max(self.expected_span.abs());
        if !continues && span.is_finite() {
            self.h_w = None;
        }
        loop {
            let h = match self.h_w {
                // the factorised step, or the span's end when it is that step up to round-off
                Some(hw) if span >= hw * (1.0 - SLACK) => {
                    if span <= hw * (1.0 + SLACK) {
                        span
                    } else {
                        hw
                    }
                }
                _ => {
                    let h = Self::quantised(self.core.h.min(self.core.h_max), span);
                    self.core.check(h)?;
                    if !self.refresh(net, field, h)? {
                        self.core.rejected += 1;
                        self.core.h = SINGULAR_SHRINK * h;
                        continue;
                    }
                    h
                }
            };
            self.core.check(h)?;
            let (err, loss1) = self.attempt(field, h);
            let hw = self.h_w.unwrap_or(h);
            let rose = self.core.rose(loss1);
            if err <= 1.0 && !rose && err.is_finite() && self.core.stage.is_finite() {
                let out = self.core.accept(net, h, loss1);
                self.after_accept(h, hw, err);
                self.expected_span = span - h;
                return Ok(out);
            }
            self.after_reject(h, err, rose);
        }
    }

    fn reset(&mut self) {
        self.core.have_k1 = false;
        self.h_w = None;
        self.expected_span = f64::NAN;
    }

    fn state(&self) -> Option<StepperState> {
        let mut s = self.core.state();
        s.memory = self.model.alpha.is_finite().then(|| self.model.stored());
        Some(s)
    }

    fn restore(&mut self, state: StepperState) {
        self.core.restore(state);
        self.model = match state.memory {
            Some([alpha, beta]) => ErrorModel::restored(alpha, beta),
            None => ErrorModel::default(),
        };
        self.h_w = None;
        self.expected_span = f64::NAN;
    }

    fn work(&self) -> Option<StepWork> {
        Some(self.work)
    }
}

#[cfg(test)]
mod tests;
