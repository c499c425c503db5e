//! `cargo xtask`: reproduction of the figures of Rotskoff & Vanden-Eijnden with the meanfield
//! libraries, and statistical checks.

mod check_scaling;
mod configs;
mod figures;
mod plot;
mod report;
mod verify;

use anyhow::{Context, Result};
use clap::builder::PossibleValuesParser;
use clap::{Parser, Subcommand};
use configs::FigureConfig;
use figures::{FigureSpec, load_or_seed};
use mf_stats::mf_core::output::write_atomic;
use mf_stats::scan::{compute_seconds, run_scan};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "meanfield's tasks")]
struct Cli {
    #[command(subcommand)]
    task: Option<Task>,
}

#[derive(Subcommand)]
enum Task {
    /// Regenerate every figure, its data and data/REPORT.md (resumable).
    Reproduce {
        /// Smoke scale (a few minutes); writes to data/quick unless --out is given.
        #[arg(long)]
        quick: bool,
        /// Only this figure.
        #[arg(long, value_parser = PossibleValuesParser::new(figures::names()))]
        only: Option<String>,
        /// Output folder (default data/, or data/quick with --quick).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Folder of the figure configs.
        #[arg(long, default_value = "data/configs")]
        configs: PathBuf,
        /// Only say which cells are done.
        #[arg(long)]
        status: bool,
    },
    /// Check the fitted exponent of the fluctuation part of the loss (online SGD, P ∝ n²).
    CheckScaling,
    /// Check a reproduction folder: valid figures, and the report's numbers equal the CSVs'.
    Verify {
        /// The folder (default data/).
        #[arg(long, default_value = "data")]
        out: PathBuf,
    },
}

const TASKS: &str = "tasks:
  reproduce [--quick] [--only NAME] [--out DIR] [--status]   regenerate the figures, their data and REPORT.md
  check-scaling                                               statistical check of the n-scaling (online SGD, P ∝ n²)
  verify [--out DIR]                                          check a reproduction folder (figures, report = CSVs)";

fn main() -> ExitCode {
    // run from the workspace root whatever the caller's folder
    if let Some(root) = Path::new(env!("CARGO_MANIFEST_DIR")).parent() {
        let _ = std::env::set_current_dir(root);
    }
    let cli = Cli::parse();
    let result = match cli.task {
        None => {
            println!("{TASKS}");
            Ok(())
        }
        Some(Task::Reproduce {
            quick,
            only,
            out,
            configs,
            status,
        }) => {
            let out =
                out.unwrap_or_else(|| PathBuf::from(if quick { "data/quick" } else { "data" }));
            reproduce(quick, only.as_deref(), &out, &configs, status)
        }
        Some(Task::CheckScaling) => check_scaling::run(),
        Some(Task::Verify { out }) => verify::run(&out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Appends `s` to `scans` unless a scan with the same folder is already there.
fn push_distinct(scans: &mut Vec<configs::NamedScan>, out: &Path, s: &configs::NamedScan) {
    let dir = figures::scan_dir(out, s);
    if !scans.iter().any(|t| figures::scan_dir(out, t) == dir) {
        scans.push(s.clone());
    }
}

/// The figures to build: all, or the one named by `--only`.
fn selected(only: Option<&str>) -> Result<Vec<&'static FigureSpec>> {
    match only {
        None => Ok(figures::REGISTRY.to_vec()),
        Some(name) => figures::spec(name).map(|s| vec![s]).with_context(|| {
            format!(
                "invalid --only: must be one of {}",
                figures::names().join(", ")
            )
        }),
    }
}

fn reproduce(
    quick: bool,
    only: Option<&str>,
    out: &Path,
    config_dir: &Path,
    status: bool,
) -> Result<()> {
    let start = Instant::now();
    let specs = selected(only)?;
    let configs: Vec<FigureConfig> = specs
        .iter()
        .map(|s| load_or_seed(config_dir, s))
        .collect::<Result<_>>()?;
    // the distinct scans of the selected figures, in order
    let mut scans: Vec<configs::NamedScan> = Vec::new();
    for c in &configs {
        for s in c.scans(quick) {
            push_distinct(&mut scans, out, s);
        }
    }
    if status {
        for s in &scans {
            let dir = figures::scan_dir(out, s);
            let (done, total) = (
                figures::count(&figures::cells(out, s)),
                s.scan.cells().len(),
            );
            println!(
                "{:<24} {done:>4}/{total:<4} cells  {}",
                s.label,
                dir.display()
            );
        }
        return Ok(());
    }
    for s in &scans {
        let dir = figures::scan_dir(out, s);
        let t0 = Instant::now();
        let label = s.label.clone();
        let last = std::sync::Mutex::new(Instant::now());
        let progress = |done: usize, total: usize| {
            let mut l = last.lock().expect("progress lock");
            if done == total || l.elapsed().as_secs_f64() > 10.0 {
                eprintln!(
                    "[{label}] cells {done}/{total} ({:.0} s)",
                    t0.elapsed().as_secs_f64()
                );
                *l = Instant::now();
            }
        };
        let rep = run_scan(&s.scan, &dir, None, &progress)
            .with_context(|| format!("scan {}", s.label))?;
        eprintln!(
            "[{}] {} computed, {} reused",
            s.label, rep.computed, rep.reused
        );
    }
    let fig_dir = out.join("figures");
    std::fs::create_dir_all(&fig_dir)
        .with_context(|| format!("cannot create {}", fig_dir.display()))?;
    // The report covers every figure whose cells are all on disk (those of `--only` were just
    // computed), so that pieces run one at a time add up to the whole report; the others are
    // listed as pending.
    let mut claims = Vec::new();
    let mut described = Vec::new();
    let mut pending = Vec::new();
    let mut reported_scans: Vec<configs::NamedScan> = Vec::new();
    for spec in figures::REGISTRY {
        let c = match configs.iter().find(|c| c.name == spec.name) {
            Some(c) => c.clone(),
            None => load_or_seed(config_dir, spec)?,
        };
        let scans_of = c.scans(quick);
        // each scan's cells read once: to tell a complete figure from a pending one, then to
        // build it
        let groups: Vec<_> = scans_of.iter().map(|s| figures::cells(out, s)).collect();
        let done: usize = groups.iter().map(|g| figures::count(g)).sum();
        let total: usize = scans_of.iter().map(|s| s.scan.cells().len()).sum();
        // the figures of --only are complete: their cells were just computed
        if done < total && !specs.iter().any(|s| s.name == spec.name) {
            pending.push((c.name.clone(), done, total));
            continue;
        }
        for s in scans_of {
            push_distinct(&mut reported_scans, out, s);
        }
        let data: Vec<figures::ScanData> = scans_of
            .iter()
            .zip(groups)
            .map(|(s, g)| figures::from_cells(s, g))
            .collect::<Result<_>>()?;
        let f = (spec.build)(&data)?;
        let csv = figures::figure_csv(&f.figure)?;
        let csv_path = fig_dir.join(format!("{}.csv", c.name));
        let png = fig_dir.join(format!("{}.png", c.name));
        let svg = fig_dir.join(format!("{}.svg", c.name));
        // replot only when the plotted data changed
        let unchanged = std::fs::read_to_string(&csv_path).is_ok_and(|old| old == csv)
            && png.exists()
            && svg.exists();
        if !unchanged {
            plot::render(&f.figure, &png, &svg).with_context(|| format!("figure {}", c.name))?;
            write_atomic(&csv_path, csv.as_bytes())?;
            eprintln!("[{}] plotted", c.name);
        }
        claims.extend(f.claims);
        described.push((c.name.clone(), c.description.clone()));
    }
    write_atomic(
        &out.join("claims.csv"),
        report::claims_csv(&claims)?.as_bytes(),
    )?;
    let info = report::RunInfo {
        scale: if quick { "quick".into() } else { "full".into() },
        command: format!(
            "cargo xtask reproduce{}{}",
            if quick { " --quick" } else { "" },
            only.map(|o| format!(" --only {o}")).unwrap_or_default()
        ),
        wall_seconds: start.elapsed().as_secs_f64(),
        scans: reported_scans
            .iter()
            .map(|s| {
                let dir = figures::scan_dir(out, s);
                (s.label.clone(), compute_seconds(&dir), s.scan.cells().len())
            })
            .collect(),
        pending,
    };
    write_atomic(
        &out.join("REPORT.md"),
        report::report(&info, &described, &claims).as_bytes(),
    )?;
    eprintln!(
        "report: {} ({:.1} s)",
        out.join("REPORT.md").display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
