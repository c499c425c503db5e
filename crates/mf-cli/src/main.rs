//! `mf`: the command line of meanfield (the library `mf_cli` does the work).

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(mf_cli::run(std::env::args_os()))
}
