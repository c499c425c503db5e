//! The files of a run, one module each: `trace.csv` ([`trace`]), `state.json` ([`state`]),
//! `summary.json` ([`summary`]), `checkpoint.json` ([`checkpoint`]), all written atomically
//! ([`io`]) and together by [`write_run_files`] ([`run`]). The end state they report is
//! defined with its rule in [`crate::train::end_state`].

pub mod checkpoint;
pub mod io;
pub mod run;
pub mod state;
pub mod summary;
pub mod trace;

pub use crate::train::end_state::{EndDiagnostics, EndState};
pub use checkpoint::{Checkpoint, CheckpointFile};
pub use io::{csv_text, read_json, write_atomic, write_json};
pub use run::{RunWriter, WRITE_EVERY_SECONDS, write_run_files};
pub use state::{ParticlesJson, StateJson, TargetJson, state_parts};
pub use summary::{PolishReport, Summary};
pub use trace::{TraceRow, trace_csv};
