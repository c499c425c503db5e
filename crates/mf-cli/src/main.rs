//! `mf`: the command line of meanfield.

mod run_args;
mod scan;
mod target;
mod train;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Wide neural networks as interacting particle systems (Rotskoff & Vanden-Eijnden).
#[derive(Parser, Debug)]
#[command(name = "mf", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the 3-spin target, sample points and their energies as one JSON object.
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

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
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
                return ExitCode::SUCCESS;
            }
            // one line: clap's first line names the flag and the problem
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("error: invalid arguments");
            eprintln!("{first}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Target(args) => target::run(&args),
        Command::Train(args) => train::run(&args),
        Command::Scan(args) => scan::run(&args),
        Command::Merge(args) => scan::run_merge(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(CliError::Run(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}
