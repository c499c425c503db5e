//! `mf`: the command line of meanfield, as a library ([`run`]) so that the workspace's
//! end-to-end tests (`tests/` at the workspace root) drive it in-process; `src/main.rs` is
//! `run(std::env::args_os())`.

pub mod api;
mod run_args;
mod scan;
mod target;
mod train;

use clap::{Parser, Subcommand};
use std::ffi::OsString;

/// Wide neural networks as interacting particle systems (Rotskoff & Vanden-Eijnden).
#[derive(Parser, Debug)]
#[command(name = "mf", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the target (3-spin model or teacher network), sample points and their values as one JSON object.
    Target(target::TargetArgs),
    /// Train one network as n interacting particles; writes trace.csv, summary.json, state.json.
    Train(Box<train::TrainArgs>),
    /// Scan widths × replicas; writes runs.csv, fluctuations.csv, fit.json and scan.json.
    Scan(Box<scan::ScanArgs>),
    /// Merge the shard folders of one scan into one folder.
    Merge(scan::MergeArgs),
}

/// An error for the user: one line, exit status 2 for bad input, 1 for a failed run.
#[derive(Debug)]
pub enum CliError {
    /// Bad input: names the flag and its allowed range.
    Usage(String),
    /// The run itself failed (I/O, divergence, ...).
    Run(String),
}

impl CliError {
    /// Bad value for `flag`, with its allowed range.
    pub fn flag(flag: &str, allowed: impl std::fmt::Display) -> Self {
        CliError::Usage(format!("invalid value for {flag}: must be {allowed}"))
    }
}

/// Runs `mf` with `args` (the first is the program name) and returns its exit status: 0 on
/// success, 2 for bad input (one line naming the flag on stderr), 1 for a failed run.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return 0;
            }
            // one line: clap's first line names the flag and the problem
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("error: invalid arguments");
            eprintln!("{first}");
            return 2;
        }
    };
    let result = match cli.command {
        Command::Target(args) => target::run(&args),
        Command::Train(args) => train::run(&args),
        Command::Scan(args) => scan::run(&args),
        Command::Merge(args) => scan::run_merge(&args),
    };
    match result {
        Ok(()) => 0,
        Err(CliError::Usage(msg)) => {
            eprintln!("error: {msg}");
            2
        }
        Err(CliError::Run(msg)) => {
            eprintln!("error: {msg}");
            1
        }
    }
}
