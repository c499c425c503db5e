//! `mf target`: the 3-spin target as JSON.

use crate::CliError;
use clap::Args;
use mf_stats::mf_core::spin_target::faer::Mat;
use mf_stats::mf_core::spin_target::{MAX_DIM, Purpose, SpinModel, sample_sphere, stream};
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
    let model = SpinModel::new(d, args.seed).map_err(|e| CliError::Usage(e.to_string()))?;
    let mut x = Mat::<f64>::zeros(m, d);
    sample_sphere(
        &mut stream(args.seed, 0, Purpose::Samples),
        model.radius(),
        x.as_mut(),
    );
    let energies = model.energies(x.as_ref());
    let points = (0..m)
        .map(|p| (0..d).map(|j| x[(p, j)]).collect())
        .collect();
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
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    serde_json::to_writer(&mut out, &json).map_err(|e| CliError::Run(e.to_string()))?;
    writeln!(out).map_err(|e| CliError::Run(e.to_string()))?;
    Ok(())
}
