//! `mf train`: one training run, with its trace, state, summary and checkpoint files.

use crate::CliError;
use crate::run_args::{RunArgs, prepare_out, steps_for, to_cli};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use mf_stats::mf_core::Trainer;
use mf_stats::mf_core::faer::Par;
use mf_stats::mf_core::output::{CheckpointFile, read_json};
use mf_stats::mf_core::output::{RunWriter, WRITE_EVERY_SECONDS};
use mf_stats::mf_core::target::Target;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Arguments of `mf train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Width n (number of units / particles).
    #[arg(long)]
    width: Option<usize>,
    /// Replica index (selects independent streams for the particles and data).
    #[arg(long, default_value_t = 0)]
    replica: u64,
    /// Output folder.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue the run in this folder from its checkpoint (to --steps/--time if given).
    #[arg(long, conflicts_with_all = ["units", "dim", "width", "dt", "out"])]
    resume: Option<PathBuf>,
}

/// Runs `mf train`.
pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    let (mut trainer, dir, wall0, until) = if let Some(dir) = &args.resume {
        let file: CheckpointFile = read_json(&dir.join("checkpoint.json"))
            .map_err(|e| CliError::flag("--resume", format!("a folder of a previous run ({e})")))?;
        let dt = file.checkpoint.config.dt;
        let until =
            steps_for(args.run.steps, args.run.time, dt)?.unwrap_or(file.checkpoint.config.steps);
        let mut t = Trainer::from_checkpoint(file.checkpoint, Par::rayon(0)).map_err(to_cli)?;
        if until < t.grid_position() {
            return Err(CliError::flag(
                "--steps",
                format!(
                    "at least the {} steps of Δt already taken (t = {})",
                    t.grid_position(),
                    t.time()
                ),
            ));
        }
        t.set_steps(until);
        if let Some(p) = args.run.polish_config()? {
            t.set_polish(Some(p)).map_err(to_cli)?;
        }
        (t, dir.clone(), file.wall_seconds, until)
    } else {
        let width = args
            .width
            .ok_or_else(|| CliError::flag("--width", "given (an integer ≥ 1)"))?;
        let (mut cfg, data) = args.run.to_config_and_data(width)?;
        cfg.replica = args.replica;
        let out = args
            .out
            .clone()
            .ok_or_else(|| CliError::flag("--out", "given (a writable folder)"))?;
        cfg.validate().map_err(to_cli)?;
        prepare_out(&out, "--out")?;
        let steps = cfg.steps;
        let data = data.map(|t| Arc::new(t) as Arc<dyn Target>);
        let t = crate::api::trainer(cfg, data)?;
        (t, out, 0.0, steps)
    };
    prepare_out(&dir, "--out")?;
    let start = Instant::now();
    let first = (trainer.time() / trainer.config().dt + 1e-9).floor() as u64;
    let bar = ProgressBar::new(until.saturating_sub(first));
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} steps  {elapsed_precise} eta {eta}  {msg}",
        )
        .expect("valid template"),
    );
    // the files at the first evaluation, then every few seconds of compute, and at the end
    let mut files = RunWriter::new(&dir, WRITE_EVERY_SECONDS);
    let result = trainer.run(
        until,
        &mut |k| bar.set_position(k.saturating_sub(first)),
        &mut |t| {
            if let Some(r) = t.trace().last() {
                bar.set_message(format!(
                    "t={:.4e} rel.loss={:.4e}",
                    r.time, r.relative_test_loss
                ));
            }
            files
                .at_evaluation(t, wall0 + start.elapsed().as_secs_f64())
                .map(|_| ())
        },
    );
    bar.finish_and_clear();
    result.map_err(to_cli)?;
    // the end diagnostics and, when configured, the polish (the trainer runs it)
    let end = trainer.finish().map_err(to_cli)?.clone();
    eprintln!(
        "end state: {} ({})",
        end.end_state.as_str(),
        end.end_state_reason
    );
    if let Some((r, _)) = trainer.polished() {
        eprintln!(
            "polish ({}): relative loss {:e} after {} iterations, ‖v‖ = {:e}, stop: {}",
            r.polish_method,
            r.polished_relative_test_loss,
            r.polish_iterations,
            r.polish_grad_norm,
            r.polish_stop
        );
    }
    files
        .write(&trainer, wall0 + start.elapsed().as_secs_f64())
        .map_err(to_cli)?;
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
