//! `mf target`: the target (the 3-spin model, or the teacher network) as JSON.

use crate::CliError;
use clap::Args;
use mf_stats::mf_core::spin_target::faer::{Mat, Par};
use mf_stats::mf_core::spin_target::{MAX_DIM, Purpose, SpinModel, sample_sphere, stream};
use mf_stats::mf_core::target::{DEFAULT_TEACHER_WIDTH, MAX_TEACHER_WIDTH, RbfTeacher, Target};
use serde::Serialize;
use std::io::Write;

/// Largest number of printed coordinates, samples × dim (about 2 GB of JSON).
const MAX_PRINTED: u64 = 100_000_000;

/// Arguments of `mf target`.
#[derive(Args, Debug)]
pub struct TargetArgs {
    /// Dimension d of the sphere S^{d-1}(√d).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_DIM as u64))]
    dim: u64,
    /// Base seed: coefficients from its target stream, points from its samples stream.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number M of sample points printed with their energies.
    #[arg(long, default_value_t = 10)]
    samples: u64,
    /// The target: spin3 (the 3-spin model) or teacher (an RBF network; `mf train --help`).
    #[arg(long, value_parser = ["spin3", "teacher"], default_value = "spin3")]
    target: String,
    /// Width k of the teacher network (--target teacher).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_TEACHER_WIDTH as u64))]
    teacher_width: Option<u64>,
    /// The teacher's RBF width σ (--target teacher; default R/2, as the student's).
    #[arg(long, allow_negative_numbers = true)]
    sigma: Option<f64>,
}

#[derive(Serialize)]
struct TeacherTargetJson {
    target: &'static str,
    dim: usize,
    radius: f64,
    sigma: f64,
    seed: u64,
    width: usize,
    c: Vec<f64>,
    z: Vec<Vec<f64>>,
    points: Vec<Vec<f64>>,
    energies: Vec<f64>,
    mean_square: f64,
}

#[derive(Serialize)]
struct TargetJson<'a> {
    dim: usize,
    radius: f64,
    scale: f64,
    seed: u64,
    coefficients: &'a [f64],
    points: Vec<Vec<f64>>,
    energies: Vec<f64>,
    mean_square: f64,
}

/// Runs `mf target`.
pub fn run(args: &TargetArgs) -> Result<(), CliError> {
    let d = args.dim as usize;
    let max_samples = MAX_PRINTED / args.dim;
    if args.samples > max_samples {
        return Err(CliError::flag(
            "--samples",
            format!(
                "an integer in 0..={max_samples} for --dim {d} (samples × dim ≤ {MAX_PRINTED})"
            ),
        ));
    }
    let m = args.samples as usize;
    if args.target != "teacher" && (args.teacher_width.is_some() || args.sigma.is_some()) {
        let flag = if args.sigma.is_some() {
            "--sigma"
        } else {
            "--teacher-width"
        };
        return Err(CliError::flag(flag, "only with --target teacher"));
    }
    let radius = (d as f64).sqrt();
    let mut x = Mat::<f64>::zeros(m, d);
    sample_sphere(
        &mut stream(args.seed, 0, Purpose::Samples),
        radius,
        x.as_mut(),
    );
    let points: Vec<Vec<f64>> = (0..m)
        .map(|p| (0..d).map(|j| x[(p, j)]).collect())
        .collect();
    if args.target == "teacher" {
        let sigma = args.sigma.unwrap_or(0.5 * radius);
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(CliError::flag("--sigma", "a finite number > 0"));
        }
        let k = args
            .teacher_width
            .map_or(DEFAULT_TEACHER_WIDTH, |k| k as usize);
        let t = RbfTeacher::random(d, k, sigma, args.seed)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let mut energies = vec![0.0; m];
        t.values_into(x.as_ref(), &mut energies, Par::rayon(0));
        let json = TeacherTargetJson {
            target: "teacher",
            dim: d,
            radius,
            sigma,
            seed: args.seed,
            width: k,
            c: t.charges().to_vec(),
            z: (0..k).map(|a| t.centre(a).to_vec()).collect(),
            points,
            energies,
            mean_square: t.mean_square(),
        };
        return print_json(&json);
    }
    let model = SpinModel::new(d, args.seed).map_err(|e| CliError::Usage(e.to_string()))?;
    let energies = model.energies(x.as_ref());
    let json = TargetJson {
        dim: d,
        radius: model.radius(),
        scale: model.scale(),
        seed: args.seed,
        coefficients: model.coefficients(),
        points,
        energies,
        mean_square: model.mean_square(),
    };
    print_json(&json)
}

/// One JSON object and a newline on stdout.
fn print_json<T: Serialize>(json: &T) -> Result<(), CliError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    serde_json::to_writer(&mut out, json).map_err(|e| CliError::Run(e.to_string()))?;
    writeln!(out).map_err(|e| CliError::Run(e.to_string()))?;
    Ok(())
}
