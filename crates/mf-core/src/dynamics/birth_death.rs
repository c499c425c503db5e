//! Birth–death dynamics (Rotskoff, Jelassi, Bruna & Vanden-Eijnden, "Global convergence of
//! neuron birth-death dynamics", ICML 2019, arXiv 1902.01843): beside the transport of the
//! particles, units die where the potential is high and are cloned where it is low, at rate
//!
//! ```text
//! ∂_t μ = ∇·(μ ∇V) − α (V − V̄) μ,   V(θ) = δℓ/δμ = −c F̂(z) + c (1/n) Σ_j c_j K̂(z, z_j),
//! V̄ = ∫ V dμ.
//! ```
//!
//! For the empirical measure V at a particle is its charge times minus its charge velocity,
//!
//! ```text
//! V_i = −c_i v^c_i = n c_i ∂ℓ/∂c_i,   v^c_i = F̂(z_i) − (1/n) Σ_j c_j K̂(z_i, z_j),
//! ```
//!
//! so it comes with the field's velocity in every mode and for every unit. The jump part is
//! taken by splitting after each transport step of length Δt ([`jump`]): with U_i =
//! −α(V_i − V̄), unit i is cloned with probability 1 − e^{−U_iΔt} when U_i > 0 and killed with
//! probability 1 − e^{U_iΔt} when U_i < 0; the population is then brought back to n — extra
//! units removed uniformly at random, missing ones filled by copies of uniformly random
//! members of the new population (`clone`) or by fresh draws from the initial law (`prior`,
//! which keeps full support). When every unit dies and none is born, the `clone` variant
//! refills from the population before the jumps. With `every` = τ the jumps are taken once
//! the time since the last ones reaches τ, over that time (rates frozen at its end). All
//! randomness comes from the run's
//! birth–death stream, in a fixed order, so the result does not depend on threads.

use crate::network::Network;
use crate::streams::StreamRng;
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// How the population is restored to n after the jumps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// Copies of uniformly random members of the new population.
    #[default]
    Clone,
    /// Fresh draws from the initial law.
    Prior,
}

impl Variant {
    /// The flag value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clone => "clone",
            Self::Prior => "prior",
        }
    }

    /// Parses a `--birth-death-variant` value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "clone" => Some(Self::Clone),
            "prior" => Some(Self::Prior),
            _ => None,
        }
    }
}

/// The birth–death term of a run (`--birth-death RATE`, `--birth-death-variant`,
/// `--birth-death-until`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BirthDeath {
    /// α, in mean-field time units.
    pub rate: f64,
    /// How the population is restored.
    #[serde(default)]
    pub variant: Variant,
    /// Jumps only while t < `until` (the quench after it is transport alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<f64>,
    /// Jumps once the time since the last jumps reaches `every`, over that time (`None`: after
    /// every step). With an adaptive or stiff rule this keeps its stored stage and
    /// factorisation between jumps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<f64>,
}

/// Births and deaths of one jump step, or accumulated over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JumpCounts {
    /// Units cloned by their own rate.
    pub births: u64,
    /// Units killed by their own rate.
    pub deaths: u64,
    /// Times the jumps were drawn (accumulated over a run; 0 for one jump step).
    #[serde(default)]
    pub occasions: u64,
}

impl JumpCounts {
    /// True when the population changed.
    pub fn any(&self) -> bool {
        self.births + self.deaths > 0
    }
}

/// V_i = −c_i v^c_i (module docs) into `out`.
pub fn potentials(c: &[f64], vel_c: &[f64], out: &mut [f64]) {
    for ((o, ci), vi) in out.iter_mut().zip(c).zip(vel_c) {
        *o = -ci * vi;
    }
}

/// U_i = −α (V_i − V̄) into `out`, V̄ the mean of `v`.
pub fn rates(v: &[f64], alpha: f64, out: &mut [f64]) {
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    for (o, vi) in out.iter_mut().zip(v) {
        *o = -alpha * (vi - mean);
    }
}

/// One jump step of length `dt` with rates `u` on `net` (module docs); `prior` draws one unit
/// (c, z-row) from the initial law. Returns the births and deaths by the units' own rates.
pub fn jump(
    net: &mut Network,
    u: &[f64],
    dt: f64,
    variant: Variant,
    rng: &mut StreamRng,
    prior: &mut dyn FnMut(&mut StreamRng) -> (f64, Vec<f64>),
) -> JumpCounts {
    let n = net.width();
    assert_eq!(u.len(), n, "one rate per unit");
    let q = net.param_dim();
    let row = |net: &Network, i: usize| -> (f64, Vec<f64>) {
        (net.c[i], (0..q).map(|k| net.z[(i, k)]).collect())
    };
    // the units' own events, in index order: one uniform draw each
    let mut counts = JumpCounts::default();
    let mut next: Vec<(f64, Vec<f64>)> = Vec::with_capacity(2 * n);
    let mut born: Vec<usize> = Vec::new();
    for (i, &ui) in u.iter().enumerate() {
        let x: f64 = rng.random();
        let p = 1.0 - (-(ui.abs()) * dt).exp();
        let event = ui != 0.0 && x < p;
        if event && ui < 0.0 {
            counts.deaths += 1;
            continue;
        }
        next.push(row(net, i));
        if event {
            counts.births += 1;
            born.push(i);
        }
    }
    for &i in &born {
        next.push(row(net, i));
    }
    // back to n: remove uniformly random units, or fill
    while next.len() > n {
        let k = rng.random_range(0..next.len());
        next.remove(k);
    }
    while next.len() < n {
        let unit = match variant {
            Variant::Prior => prior(rng),
            Variant::Clone if next.is_empty() => row(net, rng.random_range(0..n)),
            Variant::Clone => next[rng.random_range(0..next.len())].clone(),
        };
        next.push(unit);
    }
    for (i, (c, z)) in next.into_iter().enumerate() {
        net.c[i] = c;
        for (k, v) in z.into_iter().enumerate() {
            net.z[(i, k)] = v;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::{Purpose, stream};
    use faer::Mat;

    fn net(n: usize) -> Network {
        Network {
            c: (0..n).map(|i| i as f64).collect(),
            z: Mat::from_fn(n, 2, |i, k| (10 * i + k) as f64),
        }
    }

    fn prior(rng: &mut StreamRng) -> (f64, Vec<f64>) {
        let x: f64 = rng.random();
        (-1.0 - x, vec![-7.0, -8.0])
    }

    /// Every unit of `after` is a unit of `before` (by its row) or a prior draw (c < 0).
    fn rows_are_known(before: &Network, after: &Network) -> bool {
        (0..after.width()).all(|i| {
            after.c[i] < 0.0
                || (0..before.width()).any(|j| {
                    before.c[j] == after.c[i]
                        && before.z[(j, 0)] == after.z[(i, 0)]
                        && before.z[(j, 1)] == after.z[(i, 1)]
                })
        })
    }

    #[test]
    fn the_population_stays_n_in_every_extreme() {
        let n = 7;
        let cases: Vec<Vec<f64>> = vec![
            vec![-1e9; n],                               // every unit dies
            vec![1e9; n],                                // every unit is born
            vec![0.0; n],                                // nothing happens
            vec![1e9, -1e9, 1e9, -1e9, 0.0, 1e9, -1e9],  // mixed, certain
            vec![0.3, -0.2, 0.1, -0.5, 0.05, 0.9, -0.7], // mixed, random
        ];
        for variant in [Variant::Clone, Variant::Prior] {
            for (k, u) in cases.iter().enumerate() {
                for seed in 0..50 {
                    let before = net(n);
                    let mut after = before.clone();
                    let mut rng = stream(seed, k as u64, Purpose::BirthDeath);
                    let c = jump(&mut after, u, 1.0, variant, &mut rng, &mut prior);
                    assert_eq!(after.width(), n);
                    assert_eq!(after.z.nrows(), n);
                    assert!(rows_are_known(&before, &after), "{variant:?} case {k}");
                    if k == 0 {
                        assert_eq!(c.deaths, n as u64);
                        if variant == Variant::Clone {
                            // refilled from the population before the jumps
                            assert!(after.c.iter().all(|&v| v >= 0.0));
                        } else {
                            assert!(after.c.iter().all(|&v| v < 0.0));
                        }
                    }
                    if k == 1 {
                        assert_eq!(c.births, n as u64);
                    }
                    if k == 2 {
                        assert_eq!(c, JumpCounts::default());
                        assert_eq!(after.c, before.c, "no event, no change");
                    }
                }
            }
        }
    }

    #[test]
    fn the_expected_events_match_the_rates() {
        // deaths and births of one step against their binomial expectations, 4σ
        let u = [0.8, -0.4, 0.0, -2.0, 1.5, -0.1];
        let dt = 0.5;
        let trials = 20_000;
        let mut rng = stream(3, 0, Purpose::BirthDeath);
        let (mut births, mut deaths) = (0u64, 0u64);
        for _ in 0..trials {
            let mut x = net(u.len());
            let c = jump(&mut x, &u, dt, Variant::Clone, &mut rng, &mut prior);
            births += c.births;
            deaths += c.deaths;
        }
        let p = |r: f64| 1.0 - (-(r.abs()) * dt).exp();
        let (eb, vb) = u
            .iter()
            .filter(|r| **r > 0.0)
            .fold((0.0, 0.0), |(m, v), &r| (m + p(r), v + p(r) * (1.0 - p(r))));
        let (ed, vd) = u
            .iter()
            .filter(|r| **r < 0.0)
            .fold((0.0, 0.0), |(m, v), &r| (m + p(r), v + p(r) * (1.0 - p(r))));
        let t = trials as f64;
        for (got, mean, var, what) in [(births, eb, vb, "births"), (deaths, ed, vd, "deaths")] {
            let z = (got as f64 - t * mean) / (t * var).sqrt();
            assert!(z.abs() < 4.0, "{what}: {got} vs {} (z = {z})", t * mean);
        }
    }

    #[test]
    fn rates_are_minus_alpha_times_the_centred_potential() {
        let v = [1.0, 2.0, 6.0];
        let mut u = [0.0; 3];
        rates(&v, 0.5, &mut u);
        assert_eq!(u, [1.0, 0.5, -1.5]);
        assert_eq!(u.iter().sum::<f64>(), 0.0);
        let mut w = [0.0; 2];
        potentials(&[2.0, -1.0], &[0.5, 3.0], &mut w);
        assert_eq!(w, [-1.0, 3.0]);
    }
}
