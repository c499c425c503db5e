//! `mf scan` and `mf merge`: widths × replicas, with shards, resume and the aggregate files.

use crate::CliError;
use crate::run_args::{RunArgs, prepare_out, scan_to_cli};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use mf_stats::scan::{BatchScaling, FitQuantity, ScanConfig, merge, run_scan};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

/// Arguments of `mf scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Widths n, comma-separated and increasing (e.g. 16,32,64).
    #[arg(long, value_delimiter = ',', required = true)]
    widths: Vec<usize>,
    /// Replicas per width.
    #[arg(long, default_value_t = 8)]
    replicas: u64,
    /// Batch growing with the width, "P0*n^(2*alpha)" (e.g. "4*n^(2*0.5)"); overrides --batch.
    #[arg(long, conflicts_with = "batch")]
    batch_scaling: Option<String>,
    /// Probe points for the fluctuation field.
    #[arg(long, default_value_t = 256)]
    probe_size: usize,
    /// Width range of the power-law fit, "nmin,nmax" (default: all widths).
    #[arg(long, value_delimiter = ',')]
    fit_range: Option<Vec<usize>>,
    /// Quantity fitted: final_test_loss, final_relative_test_loss or final_variance.
    #[arg(long, value_parser = ["final_test_loss", "final_relative_test_loss", "final_variance"], default_value = "final_test_loss")]
    quantity: String,
    /// Accepted for compatibility, no effect: the intervals are jackknife t intervals without
    /// random draws (the value is kept in scan.json).
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
    /// Output folder.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Run only shard K of N (1 ≤ K ≤ N) of the (width, replica) cells.
    #[arg(long)]
    pub(crate) shard: Option<String>,
}

/// Arguments of `mf merge`.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Shard folders of one scan.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
}

pub(crate) fn parse_shard(s: &str) -> Result<(usize, usize), CliError> {
    let bad = || CliError::flag("--shard", "K/N with integers 1 ≤ K ≤ N");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// The scan configuration from the flags.
pub fn scan_config(args: &ScanArgs) -> Result<ScanConfig, CliError> {
    let base = args
        .run
        .to_config(args.widths.first().copied().unwrap_or(1))?;
    let mut cfg = ScanConfig::new(base, args.widths.clone(), args.replicas);
    if let Some(s) = &args.batch_scaling {
        cfg.batch_scaling = Some(BatchScaling::parse(s).ok_or_else(|| {
            CliError::flag(
                "--batch-scaling",
                "of the form \"P0*n^(2*alpha)\" with P0 > 0, e.g. \"4*n^(2*0.5)\"",
            )
        })?);
    }
    cfg.probe_size = args.probe_size;
    if let Some(r) = &args.fit_range {
        if r.len() != 2 || r[0] > r[1] {
            return Err(CliError::flag("--fit-range", "nmin,nmax with nmin ≤ nmax"));
        }
        cfg.fit_range = Some((r[0], r[1]));
    }
    cfg.quantity = match args.quantity.as_str() {
        "final_relative_test_loss" => FitQuantity::FinalRelativeTestLoss,
        "final_variance" => FitQuantity::FinalVariance,
        _ => FitQuantity::FinalTestLoss,
    };
    cfg.bootstrap = args.bootstrap;
    cfg.validate().map_err(scan_to_cli)?;
    Ok(cfg)
}

/// Runs `mf scan`.
pub fn run(args: &ScanArgs) -> Result<(), CliError> {
    let cfg = scan_config(args)?;
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    prepare_out(&args.out, "--out")?;
    let start = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} cells  {elapsed_precise} eta {eta}")
            .expect("valid template"),
    );
    let last_line = Mutex::new(Instant::now());
    let progress = |done: usize, total: usize| {
        if terminal {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        } else {
            let mut last = last_line.lock().expect("progress lock");
            if done == total || last.elapsed().as_secs_f64() >= 5.0 {
                eprintln!(
                    "cells {done}/{total} after {:.1} s",
                    start.elapsed().as_secs_f64()
                );
                *last = Instant::now();
            }
        }
    };
    let report = run_scan(&cfg, &args.out, shard, &progress).map_err(scan_to_cli)?;
    bar.finish_and_clear();
    eprintln!(
        "{} cells computed, {} reused, in {:.1} s; files in {}",
        report.computed,
        report.reused,
        start.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}

/// Runs `mf merge`.
pub fn run_merge(args: &MergeArgs) -> Result<(), CliError> {
    prepare_out(&args.out, "--out")?;
    let n = merge(&args.dirs, &args.out).map_err(scan_to_cli)?;
    eprintln!("merged {n} cells into {}", args.out.display());
    Ok(())
}
