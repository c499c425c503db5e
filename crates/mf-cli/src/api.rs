//! The command line's flags as a library, for the Python package (`crates/mf-py`): a run or a
//! scan configured from the same flags, names, defaults and checks as `mf train` / `mf scan`,
//! so that `meanfield.train(width=8, ...)` and `mf train --width 8 ...` give one config.

use crate::CliError;
use crate::run_args::{RunArgs, to_cli};
use crate::scan::{ScanArgs, parse_shard, scan_config};
use clap::{Args, Parser};
use mf_stats::mf_core::data::{DataSets, Dataset};
use mf_stats::mf_core::faer::Par;
use mf_stats::mf_core::target::DataTarget;
use mf_stats::mf_core::target::Target;
use mf_stats::mf_core::{TrainConfig, Trainer};
use mf_stats::scan::ScanConfig;
use std::sync::Arc;

/// The flags of `mf train` but `--out` and `--resume`.
#[derive(Parser, Debug)]
#[command(name = "train", no_binary_name = true)]
struct TrainFlags {
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    more: TrainMore,
}

/// `mf train`'s own flags (width, replica).
#[derive(Args, Debug)]
struct TrainMore {
    /// Width n.
    #[arg(long)]
    width: Option<usize>,
    /// Replica index.
    #[arg(long, default_value_t = 0)]
    replica: u64,
}

/// The flags of `mf scan`.
#[derive(Parser, Debug)]
#[command(name = "scan", no_binary_name = true)]
struct ScanFlags {
    #[command(flatten)]
    scan: ScanArgs,
}

/// A clap error as one line naming the flag.
fn clap_error(e: clap::Error) -> CliError {
    let text = e.render().to_string();
    let first = text
        .lines()
        .next()
        .unwrap_or("error: invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    CliError::Usage(first)
}

/// The message of a CLI error.
pub fn message(e: &CliError) -> &str {
    match e {
        CliError::Usage(m) | CliError::Run(m) => m,
    }
}

/// A validated run config from `mf train` flags (without `--out`); `arrays` are a training
/// set and an optional test set given in memory instead of `--data FILE` (returned as the
/// data target to train on).
pub fn train_config(
    flags: &[String],
    arrays: Option<(Dataset, Option<Dataset>)>,
) -> Result<(TrainConfig, Option<DataTarget>), CliError> {
    let f = TrainFlags::try_parse_from(flags).map_err(clap_error)?;
    let width = f
        .more
        .width
        .ok_or_else(|| CliError::flag("--width", "given (an integer ≥ 1)"))?;
    let (mut cfg, target) = match arrays {
        Some((train, test)) => {
            if f.run.data.is_some() || f.run.test_data.is_some() {
                return Err(CliError::flag(
                    "--data",
                    "a file or arrays, not both (data=(x, y) or data=FILE)",
                ));
            }
            let sets = DataSets {
                train: train.source(None),
                test: test.as_ref().map(|t| t.source(None)),
            };
            let target =
                DataTarget::new(train, test).map_err(|e| CliError::Usage(e.to_string()))?;
            (f.run.to_config_with(width, Some(sets))?, Some(target))
        }
        None => f.run.to_config_and_data(width)?,
    };
    cfg.replica = f.more.replica;
    cfg.validate().map_err(to_cli)?;
    Ok((cfg, target))
}

/// The trainer of a validated `cfg`: on `data` (the data target of `--data` or of arrays,
/// already read) or on the config's own target.
pub fn trainer(cfg: TrainConfig, data: Option<Arc<dyn Target>>) -> Result<Trainer, CliError> {
    match data {
        Some(t) => {
            let unit = cfg
                .builtin_unit()
                .ok_or_else(|| CliError::flag("--units", "rbf or relu"))?;
            Trainer::with_target(cfg, unit, t, Par::rayon(0))
        }
        None => Trainer::new(cfg, Par::rayon(0)),
    }
    .map_err(to_cli)
}

/// A scan as `mf scan` flags give it.
#[derive(Debug)]
pub struct ScanRequest {
    /// The validated scan config.
    pub config: ScanConfig,
    /// `--shard K/N`: (K, N).
    pub shard: Option<(usize, usize)>,
    /// `--out`.
    pub out: std::path::PathBuf,
}

/// A validated scan from `mf scan` flags, with its shard and output folder.
pub fn scan_config_from(flags: &[String]) -> Result<ScanRequest, CliError> {
    let f = ScanFlags::try_parse_from(flags).map_err(clap_error)?;
    let config = scan_config(&f.scan)?;
    let shard = f.scan.shard.as_deref().map(parse_shard).transpose()?;
    Ok(ScanRequest {
        config,
        shard,
        out: f.scan.out.clone(),
    })
}

/// Every long flag of `mf train` (but `--out`, `--resume`) and of `mf scan` with its default
/// value (`None`: no default), for the Python package's signature test.
pub fn flag_defaults(command: &str) -> Vec<(String, Option<String>)> {
    use clap::CommandFactory;
    let cmd = match command {
        "scan" => ScanFlags::command(),
        _ => TrainFlags::command(),
    };
    cmd.get_arguments()
        .filter_map(|a| {
            let long = a.get_long()?.to_string();
            let default = a
                .get_default_values()
                .first()
                .map(|v| v.to_string_lossy().into_owned());
            Some((long, default))
        })
        .filter(|(l, _)| l != "help")
        .collect()
}
