//! `mf train`: one training run, with its trace, state, summary and checkpoint files.

use crate::CliError;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use mf_stats::mf_core::config::StepRule;
use mf_stats::mf_core::faer::Par;
use mf_stats::mf_core::output::{CheckpointFile, read_json, write_run_files};
use mf_stats::mf_core::{InitC, InitZ, Mode, TrainConfig, TrainError, Trainer, UnitKind};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `mf train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Unit type: rbf or relu.
    #[arg(long, value_parser = ["rbf", "relu"])]
    units: Option<String>,
    /// Dimension d of the data sphere S^{d-1}(√d).
    #[arg(long)]
    dim: Option<usize>,
    /// Width n (number of units / particles).
    #[arg(long)]
    width: Option<usize>,
    /// Dynamics: gd (fixed training set), sgd (minibatches of it), online (fresh batches) or
    /// exact (population gradient flow in closed form, rbf only).
    #[arg(long, value_parser = ["gd", "sgd", "online", "exact"], default_value = "online")]
    mode: String,
    /// Time stepping: fixed (Euler, step --dt) or adaptive (exact mode; the default there).
    #[arg(long, value_parser = ["fixed", "adaptive"])]
    step_rule: Option<String>,
    /// Local-error tolerance of adaptive steps.
    #[arg(long, default_value_t = mf_stats::mf_core::config::DEFAULT_TOL, allow_negative_numbers = true)]
    tol: f64,
    /// Largest adaptive step (default: unbounded).
    #[arg(long, allow_negative_numbers = true)]
    dt_max: Option<f64>,
    /// Number of steps.
    #[arg(long, conflicts_with = "time")]
    steps: Option<u64>,
    /// Mean-field time to reach (steps = ceil(T / Δt)).
    #[arg(long, allow_negative_numbers = true)]
    time: Option<f64>,
    /// Mean-field time step Δt (learning rate η = n Δt).
    #[arg(long, allow_negative_numbers = true)]
    dt: Option<f64>,
    /// Batch size P (sgd, online).
    #[arg(long, default_value_t = 256)]
    batch: usize,
    /// Training-set size M (gd, sgd).
    #[arg(long, default_value_t = 4096)]
    train_size: usize,
    /// Test-set size.
    #[arg(long, default_value_t = 100_000)]
    test_size: usize,
    /// RBF width σ (default R/2).
    #[arg(long, allow_negative_numbers = true)]
    sigma: Option<f64>,
    /// Base seed of all RNG streams and of the target.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Replica index (selects independent streams for the particles and data).
    #[arg(long, default_value_t = 0)]
    replica: u64,
    /// Initial charges: zero or normal.
    #[arg(long, value_parser = ["zero", "normal"], default_value = "zero")]
    init_c: String,
    /// Initial unit parameters: sphere.
    #[arg(long, value_parser = ["sphere"], default_value = "sphere")]
    init_z: String,
    /// Test-loss evaluations per decade of steps.
    #[arg(long, default_value_t = 10)]
    evals_per_decade: u32,
    /// Output folder.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue the run in this folder from its checkpoint (to --steps/--time if given).
    #[arg(long, conflicts_with_all = ["units", "dim", "width", "dt", "out"])]
    resume: Option<PathBuf>,
}

fn required<T: Copy>(v: Option<T>, flag: &str, allowed: &str) -> Result<T, CliError> {
    v.ok_or_else(|| CliError::flag(flag, format!("given ({allowed})")))
}

fn steps_for(steps: Option<u64>, time: Option<f64>, dt: f64) -> Result<Option<u64>, CliError> {
    match (steps, time) {
        (Some(k), _) => Ok(Some(k)),
        (None, Some(t)) => {
            if !(t.is_finite() && t >= 0.0) || t / dt > 1e15 {
                return Err(CliError::flag(
                    "--time",
                    "a finite number ≥ 0 (and --time/--dt ≤ 1e15)",
                ));
            }
            Ok(Some((t / dt - 1e-9).ceil().max(0.0) as u64))
        }
        (None, None) => Ok(None),
    }
}

fn prepare_out(dir: &Path) -> Result<(), CliError> {
    let bad = |e: std::io::Error| {
        CliError::flag(
            "--out",
            format!("a writable folder ({}: {e})", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(bad)?;
    let probe = dir.join(".mf-write-probe");
    std::fs::write(&probe, b"").map_err(bad)?;
    std::fs::remove_file(&probe).map_err(bad)
}

fn to_cli(e: TrainError) -> CliError {
    match e {
        TrainError::Config { .. } => CliError::Usage(e.to_string()),
        _ => CliError::Run(e.to_string()),
    }
}

/// Runs `mf train`.
pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    let (mut trainer, dir, wall0, until) = if let Some(dir) = &args.resume {
        let file: CheckpointFile = read_json(&dir.join("checkpoint.json"))
            .map_err(|e| CliError::flag("--resume", format!("a folder of a previous run ({e})")))?;
        let dt = file.checkpoint.config.dt;
        let until = steps_for(args.steps, args.time, dt)?.unwrap_or(file.checkpoint.config.steps);
        let mut t = Trainer::from_checkpoint(file.checkpoint, Par::rayon(0)).map_err(to_cli)?;
        if until < t.step() {
            return Err(CliError::flag(
                "--steps",
                format!("at least the {} steps already taken", t.step()),
            ));
        }
        t.set_steps(until);
        (t, dir.clone(), file.wall_seconds, until)
    } else {
        let units = UnitKind::parse(required(args.units.as_deref(), "--units", "rbf or relu")?)
            .expect("clap checked");
        let dim = required(args.dim, "--dim", "an integer in 1..=512")?;
        let width = required(args.width, "--width", "an integer ≥ 1")?;
        let dt = required(args.dt, "--dt", "a finite number > 0")?;
        if !(dt.is_finite() && dt > 0.0) {
            return Err(CliError::flag("--dt", "a finite number > 0"));
        }
        let steps = steps_for(args.steps, args.time, dt)?
            .ok_or_else(|| CliError::flag("--steps", "given (or --time)"))?;
        let out = args
            .out
            .clone()
            .ok_or_else(|| CliError::flag("--out", "given (a writable folder)"))?;
        let mut cfg = TrainConfig::new(units, dim, width, steps, dt, args.seed);
        cfg.mode = Mode::parse(&args.mode).expect("clap checked");
        cfg.batch = args.batch;
        cfg.train_size = args.train_size;
        cfg.test_size = args.test_size;
        cfg.sigma = args.sigma;
        cfg.replica = args.replica;
        cfg.init_c = if args.init_c == "normal" {
            InitC::Normal
        } else {
            InitC::Zero
        };
        cfg.init_z = InitZ::Sphere;
        cfg.evals_per_decade = args.evals_per_decade;
        cfg.step_rule = args.step_rule.as_deref().map(|r| {
            if r == "adaptive" {
                StepRule::Adaptive
            } else {
                StepRule::Fixed
            }
        });
        cfg.tol = args.tol;
        cfg.dt_max = args.dt_max;
        cfg.validate().map_err(to_cli)?;
        prepare_out(&out)?;
        let t = Trainer::new(cfg, Par::rayon(0)).map_err(to_cli)?;
        (t, out, 0.0, steps)
    };
    prepare_out(&dir)?;
    let start = Instant::now();
    let first = (trainer.time() / trainer.config().dt + 1e-9).floor() as u64;
    let bar = ProgressBar::new(until.saturating_sub(first));
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} steps  {elapsed_precise} eta {eta}  {msg}",
        )
        .expect("valid template"),
    );
    let result = trainer.run(until, &mut |_| bar.inc(1), &mut |t| {
        if let Some(r) = t.trace().last() {
            bar.set_message(format!(
                "t={:.4e} rel.loss={:.4e}",
                r.time, r.relative_test_loss
            ));
        }
        write_run_files(&dir, t, wall0 + start.elapsed().as_secs_f64())
    });
    bar.finish_and_clear();
    result.map_err(to_cli)?;
    let last = trainer.trace().last().expect("evaluated");
    eprintln!(
        "step {} t={} test_loss={:e} relative_test_loss={:e}; files in {}",
        last.step,
        last.time,
        last.test_loss,
        last.relative_test_loss,
        dir.display()
    );
    Ok(())
}
