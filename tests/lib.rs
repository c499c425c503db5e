//! End-to-end tests of the workspace (see `cli_e2e.rs`, `long_time_e2e.rs`); this crate has no
//! code of its own.
