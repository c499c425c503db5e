//! The test fields of the steppers and minimisers, in one place: losses with known flows or
//! minimisers, written on the flat parameters, and the helpers that integrate them. Also the
//! one convergence-order test run over every step rule of the registry.

use super::field::Field;
use super::rules::STEP_RULES;
use super::stepper::RuleContext;
use super::stepper::Stepper;
use crate::network::{Network, Velocity};
use faer::MatMut;

/// ℓ(θ) = Σ_j (a_j θ_j²/2 + b θ_j⁴/4) on the flat parameters, v = −n∇ℓ, H = n∇²ℓ (a stiff
/// linear flow for b = 0 with spread a_j, a nonlinear one for b > 0).
pub struct Separable {
    pub a: Vec<f64>,
    pub b: f64,
    pub n: f64,
    pub evals: usize,
}

impl Field for Separable {
    fn velocity(&mut self, net: &Network, vel: &mut Velocity) -> f64 {
        self.evals += 1;
        let x = flat(net);
        let v: Vec<f64> = x
            .iter()
            .zip(&self.a)
            .map(|(x, a)| -self.n * (a * x + self.b * x * x * x))
            .collect();
        vel.set_from_flat(&v);
        self.loss(net)
    }
    fn loss(&mut self, net: &Network) -> f64 {
        flat(net)
            .iter()
            .zip(&self.a)
            .map(|(x, a)| 0.5 * a * x * x + 0.25 * self.b * x.powi(4))
            .sum()
    }
    fn hessian(&mut self, net: &Network, mut out: MatMut<'_, f64>) -> Option<f64> {
        let x = flat(net);
        out.fill(0.0);
        for (j, (xj, a)) in x.iter().zip(&self.a).enumerate() {
            out[(j, j)] = self.n * (a + 3.0 * self.b * xj * xj);
        }
        Some(self.loss(net))
    }
    fn has_hessian(&self) -> bool {
        true
    }
}

/// A constant loss without a Hessian.
pub struct NoHessian;

impl Field for NoHessian {
    fn velocity(&mut self, _: &Network, vel: &mut Velocity) -> f64 {
        vel.fill(0.0);
        1.0
    }
    fn loss(&mut self, _: &Network) -> f64 {
        1.0
    }
}

/// ℓ(θ) = ½ Σ_j a_j (θ_j − m_j)², minimiser m, v = −n ∇ℓ.
pub struct Quadratic {
    pub a: Vec<f64>,
    pub m: Vec<f64>,
    pub n: f64,
}
impl Field for Quadratic {
    fn velocity(&mut self, net: &Network, vel: &mut Velocity) -> f64 {
        let mut x = vec![0.0; net.len()];
        net.to_flat(&mut x);
        let g: Vec<f64> = (0..x.len())
            .map(|j| -self.n * self.a[j] * (x[j] - self.m[j]))
            .collect();
        vel.set_from_flat(&g);
        self.loss(net)
    }
    fn loss(&mut self, net: &Network) -> f64 {
        let mut x = vec![0.0; net.len()];
        net.to_flat(&mut x);
        (0..x.len())
            .map(|j| 0.5 * self.a[j] * (x[j] - self.m[j]).powi(2))
            .sum()
    }
}

/// The extended Rosenbrock function on the flat parameters, in pairs (x, y) = (θ_{2i}, θ_{2i+1}):
/// ℓ = Σ_i 100 (y − x²)² + (1 − x)², unique minimiser θ = 1, non-convex, with a curved valley.
/// `analytic` says whether it offers H·x (else the minimisers finite-difference v).
pub struct Rosenbrock {
    pub n: f64,
    pub analytic: bool,
}

pub fn flat(net: &Network) -> Vec<f64> {
    let mut x = vec![0.0; net.len()];
    net.to_flat(&mut x);
    x
}

impl Field for Rosenbrock {
    fn velocity(&mut self, net: &Network, vel: &mut Velocity) -> f64 {
        let t = flat(net);
        let mut g = vec![0.0; t.len()];
        for i in (0..t.len()).step_by(2) {
            let (x, y) = (t[i], t[i + 1]);
            g[i] = -400.0 * x * (y - x * x) - 2.0 * (1.0 - x);
            g[i + 1] = 200.0 * (y - x * x);
        }
        g.iter_mut().for_each(|v| *v *= -self.n);
        vel.set_from_flat(&g);
        self.loss(net)
    }
    fn loss(&mut self, net: &Network) -> f64 {
        let t = flat(net);
        (0..t.len())
            .step_by(2)
            .map(|i| 100.0 * (t[i + 1] - t[i] * t[i]).powi(2) + (1.0 - t[i]).powi(2))
            .sum()
    }
    fn hessian_vector(&mut self, net: &Network, u: &[f64], out: &mut [f64]) -> Option<f64> {
        if !self.analytic {
            return None;
        }
        let t = flat(net);
        for i in (0..t.len()).step_by(2) {
            let (x, y) = (t[i], t[i + 1]);
            let (hxx, hxy, hyy) = (1200.0 * x * x - 400.0 * y + 2.0, -400.0 * x, 200.0);
            out[i] = self.n * (hxx * u[i] + hxy * u[i + 1]);
            out[i + 1] = self.n * (hxy * u[i] + hyy * u[i + 1]);
        }
        Some(self.loss(net))
    }
}

/// ℓ(x, y) = ½x² + ¼(y² − 1)² on (c₀, z₀) = (x, y): minimisers (0, ±1), a saddle at (0, 0),
/// H = diag(1, 3y² − 1) indefinite for |y| < 1/√3.
pub struct Saddle;

impl Field for Saddle {
    fn velocity(&mut self, net: &Network, vel: &mut Velocity) -> f64 {
        let (x, y) = (net.c[0], net.z[(0, 0)]);
        vel.c[0] = -x;
        vel.z[(0, 0)] = -(y * y - 1.0) * y;
        self.loss(net)
    }
    fn loss(&mut self, net: &Network) -> f64 {
        let (x, y) = (net.c[0], net.z[(0, 0)]);
        0.5 * x * x + 0.25 * (y * y - 1.0).powi(2)
    }
    fn hessian_vector(&mut self, net: &Network, u: &[f64], out: &mut [f64]) -> Option<f64> {
        let y = net.z[(0, 0)];
        out[0] = u[0];
        out[1] = (3.0 * y * y - 1.0) * u[1];
        Some(self.loss(net))
    }
}

/// ℓ = 1 + Σ_j (θ_j − m_j)²: at θ = m + 10⁻¹² the gradient is not zero but no step can lower
/// the loss below its round-off (1 + 10⁻²⁴ = 1).
pub struct Flat {
    pub m: Vec<f64>,
    pub n: f64,
}

impl Field for Flat {
    fn velocity(&mut self, net: &Network, vel: &mut Velocity) -> f64 {
        let t = flat(net);
        let g: Vec<f64> = t
            .iter()
            .zip(&self.m)
            .map(|(x, m)| -self.n * 2.0 * (x - m))
            .collect();
        vel.set_from_flat(&g);
        self.loss(net)
    }
    fn loss(&mut self, net: &Network) -> f64 {
        let t = flat(net);
        1.0 + t
            .iter()
            .zip(&self.m)
            .map(|(x, m)| (x - m).powi(2))
            .sum::<f64>()
    }
}

/// The network of n units with q parameters at θ_j = 1 + 0.1 j (flat order).
pub fn start(n: usize, q: usize) -> Network {
    let mut net = Network::zeros(n, q);
    let x: Vec<f64> = (0..net.len()).map(|j| 1.0 + 0.1 * j as f64).collect();
    net.set_from_flat(&x);
    net
}

/// The context of a rule for `net`: first step, largest step, tolerance, round-off allowance.
pub fn ctx(net: &Network, h0: f64, h_max: f64, tol: f64, floor: f64) -> RuleContext<'_> {
    RuleContext {
        net,
        dt: h0,
        h_max,
        tol,
        floor,
    }
}

/// Integrates to `t_end`: an adaptive rule in steps of at most the remaining span, a fixed-step
/// rule in steps of `h` (the last one cut at `t_end`); returns the steps taken.
pub fn integrate(
    st: &mut dyn Stepper,
    net: &mut Network,
    f: &mut dyn Field,
    t_end: f64,
    h: f64,
) -> u64 {
    let mut t = 0.0;
    let mut steps = 0;
    while t < t_end {
        let rest = t_end - t;
        let span = if st.is_adaptive() { rest } else { h.min(rest) };
        let out = st.step(net, f, span).unwrap();
        t += out.dt;
        if (t - t_end).abs() <= 1e-12 * t_end {
            t = t_end;
        }
        steps += 1;
    }
    steps
}

/// Every rule of the registry converges at its order: on a nonlinear flow with fixed steps h
/// (adaptive rules with h_max = h₀ = h, a tolerance that accepts every step and no descent
/// check), the error at t = 1 against a fine reference falls by 2^p when h halves.
#[test]
fn every_step_rule_converges_at_its_order() {
    let (n, q) = (2, 1);
    let len = n * (q + 1);
    let field = || Separable {
        a: (0..len).map(|j| 1.0 + j as f64).collect(),
        b: 0.5,
        n: n as f64,
        evals: 0,
    };
    for rule in STEP_RULES {
        let run = |h: f64| {
            let mut net = start(n, q);
            let mut st = (rule.build)(&ctx(&net, h, h, 1e9, f64::INFINITY));
            integrate(st.as_mut(), &mut net, &mut field(), 1.0, h);
            flat(&net)
        };
        let reference = run(1.0 / 8192.0);
        let err = |h: f64| {
            run(h)
                .iter()
                .zip(&reference)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max)
        };
        let (e1, e2, e3) = (err(1.0 / 32.0), err(1.0 / 64.0), err(1.0 / 128.0));
        let want = 2f64.powi(rule.order as i32);
        for ratio in [e1 / e2, e2 / e3] {
            assert!(
                (0.8 * want..1.2 * want).contains(&ratio),
                "{}: error ratio {ratio} for order {} ({e1:e} {e2:e} {e3:e})",
                rule.name,
                rule.order
            );
        }
    }
}

/// A loss that is not a number: every adaptive rule reports an underflow of its step, and the
/// trainer's error names the rule and advises the stiff rule, not a smaller --dt.
#[test]
fn an_adaptive_rule_that_cannot_step_says_so_with_advice_for_adaptive_rules() {
    struct NotANumber;
    impl Field for NotANumber {
        fn velocity(&mut self, _: &Network, vel: &mut Velocity) -> f64 {
            vel.fill(0.0);
            f64::NAN
        }
        fn loss(&mut self, _: &Network) -> f64 {
            f64::NAN
        }
    }
    for rule in STEP_RULES
        .iter()
        .filter(|r| r.adaptive && r.name != "rodas3")
    {
        let mut net = start(2, 1);
        let mut st = (rule.build)(&ctx(&net, 0.1, 1.0, 1e-6, 0.0));
        let e = st.step(&mut net, &mut NotANumber, 1.0).unwrap_err();
        assert!(
            matches!(e, super::StepError::Underflow { .. }),
            "{}: {e}",
            rule.name
        );
    }
    let e = crate::TrainError::StepUnderflow {
        step: 7,
        time: 3.5,
        h: 1e-15,
        rule: "bogacki-shampine".into(),
    };
    let text = e.to_string();
    assert!(
        text.contains("bogacki-shampine") && text.contains("--step-rule rodas3"),
        "{text}"
    );
    assert!(!text.contains("smaller --dt"), "{text}");
}
