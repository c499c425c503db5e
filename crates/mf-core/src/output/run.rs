//! The files of a run filled from a [`Trainer`] and written together.

use super::checkpoint::CheckpointFile;
use super::io::{write_atomic, write_json};
use super::state::{ParticlesJson, StateJson, TargetJson, TeacherJson, state_parts};
use super::summary::Summary;
use super::trace::trace_csv;
use crate::error::TrainError;
use crate::train::Trainer;
use std::path::Path;

impl Trainer {
    /// `state.json` of the current state.
    pub fn state_json(&self) -> StateJson {
        let cfg = self.config();
        let spec = self.unit().spec();
        let target = self.target();
        let model = target.spin_model();
        let layout = self.unit().state_parts(cfg.dim);
        let (z, parts) = state_parts(&self.network().z_rows(), &layout);
        let polished = self.polished().map(|(_, net)| {
            let (z, parts) = state_parts(&net.z_rows(), &layout);
            ParticlesJson {
                c: net.c.clone(),
                z,
                parts,
            }
        });
        StateJson {
            units: spec.name,
            dim: cfg.dim,
            params: spec.params,
            target: TargetJson {
                radius: target.radius(),
                scale: model.map(|m| m.scale()),
                coefficients: model.map(|m| m.coefficients().to_vec()),
                teacher: target.teacher().map(|t| TeacherJson {
                    sigma: t.sigma(),
                    c: t.charges().to_vec(),
                    z: (0..t.width()).map(|a| t.centre(a).to_vec()).collect(),
                }),
                data: cfg.data.clone(),
            },
            c: self.network().c.clone(),
            z,
            parts,
            test_loss: self.trace().last().map(|r| r.test_loss).unwrap_or(f64::NAN),
            step: self.step(),
            time: self.time(),
            polished,
        }
    }
}

impl Trainer {
    /// `summary.json` after `wall_seconds`.
    pub fn summary(&self, wall_seconds: f64) -> Summary {
        let cfg = self.config().clone();
        let last = self.trace().last();
        let unit = self.unit().spec();
        Summary {
            sigma_used: self.unit().gaussian_width(),
            unit,
            config: cfg,
            zero_network_loss: self.target().zero_network_loss(),
            initial_test_loss: self.initial_test_loss(),
            test_loss: last.map(|r| r.test_loss).unwrap_or(f64::NAN),
            relative_test_loss: last.map(|r| r.relative_test_loss).unwrap_or(f64::NAN),
            steps: self.step(),
            time: self.time(),
            wall_seconds,
            end: self.end_diagnostics().cloned(),
            polish: self.polished().map(|(r, _)| r.clone()),
            work: self.stepper().work(),
            birth_death: self.config().birth_death.map(|_| self.birth_death_counts()),
        }
    }
}

/// The cadence of a run's files: written together at the first evaluation, then at an
/// evaluation only when at least this many seconds of wall time passed since the last write,
/// and at the end. Each write syncs four files to disk; at every evaluation (8–10 per decade of
/// steps) that was ≈ 40 % of the wall time of a short run (n = 32, d = 5 to t = 10⁴). An
/// interrupted run resumes from its last checkpoint, an evaluation of its own grid, and so
/// continues bit for bit; it loses at most this much compute.
pub const WRITE_EVERY_SECONDS: f64 = 5.0;

/// Writes a run's files at the cadence of [`WRITE_EVERY_SECONDS`] (or another).
#[derive(Debug)]
pub struct RunWriter {
    dir: std::path::PathBuf,
    every: f64,
    last: Option<f64>,
    /// Writes done so far.
    pub writes: u64,
}

impl RunWriter {
    /// A writer into `dir` that writes at most every `every` seconds of wall time.
    pub fn new(dir: &Path, every: f64) -> Self {
        Self {
            dir: dir.to_path_buf(),
            every,
            last: None,
            writes: 0,
        }
    }

    /// At an evaluation after `wall_seconds` of the run: writes the files when none were
    /// written yet or the last write is at least `every` seconds old; returns whether it did.
    pub fn at_evaluation(&mut self, t: &Trainer, wall_seconds: f64) -> Result<bool, TrainError> {
        if self.last.is_some_and(|l| wall_seconds - l < self.every) {
            return Ok(false);
        }
        self.write(t, wall_seconds)?;
        Ok(true)
    }

    /// Writes the files now (the end of a run).
    pub fn write(&mut self, t: &Trainer, wall_seconds: f64) -> Result<(), TrainError> {
        write_run_files(&self.dir, t, wall_seconds)?;
        self.last = Some(wall_seconds);
        self.writes += 1;
        Ok(())
    }
}

/// Writes `trace.csv`, `state.json`, `summary.json` and `checkpoint.json` of a run into `dir`,
/// each atomically.
pub fn write_run_files(dir: &Path, t: &Trainer, wall_seconds: f64) -> Result<(), TrainError> {
    write_atomic(&dir.join("trace.csv"), trace_csv(t.trace()).as_bytes())?;
    write_json(&dir.join("state.json"), &t.state_json())?;
    write_json(&dir.join("summary.json"), &t.summary(wall_seconds))?;
    write_json(
        &dir.join("checkpoint.json"),
        &CheckpointFile {
            checkpoint: t.checkpoint(),
            wall_seconds,
        },
    )
}
