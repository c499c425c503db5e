//! Axes: plottable values, tick choice and labels for linear and log axes, and the coordinate
//! type plotters draws on.

use std::ops::Range;

use anyhow::{Result, bail};

use plotters::coord::combinators::{IntoLogRange, LogCoord};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;

pub(super) fn plottable(v: f64, log: bool) -> bool {
    v.is_finite() && (!log || v > 0.0)
}

/// Exact power of ten (`0.0` / `inf` outside the f64 range).
pub(super) fn pow10(k: i32) -> f64 {
    format!("1e{k}").parse().unwrap_or(0.0)
}

/// Rounds to `sig` significant digits (removes binary noise such as 0.30000000000000004).
pub(super) fn round_sig(v: f64, sig: usize) -> f64 {
    let prec = sig.clamp(1, 17) - 1;
    format!("{v:.prec$e}").parse().unwrap_or(v)
}

/// Tick label format of one axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum TickFmt {
    /// Fixed-point with the given number of decimals.
    Fixed(usize),
    /// Shortest representation after rounding to `sig` significant digits; scientific
    /// notation if `sci`.
    Short { sci: bool, sig: usize },
}

impl TickFmt {
    pub(super) fn format(self, v: f64) -> String {
        if v == 0.0 {
            return "0".to_string();
        }
        match self {
            TickFmt::Fixed(d) => format!("{v:.d$}"),
            TickFmt::Short { sci: false, sig } => format!("{}", round_sig(v, sig)),
            TickFmt::Short { sci: true, sig } => format!("{:e}", round_sig(v, sig)),
        }
    }
}

/// Computed layout of one axis (backend independent).
#[derive(Debug, Clone)]
pub(super) struct AxisPlan {
    pub(super) log: bool,
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) bold: Vec<f64>,
    pub(super) light: Vec<f64>,
    pub(super) fmt: TickFmt,
}

/// Multiples of `step` inside `[lo, hi]` (at most `max` of them, else `None`).
pub(super) fn multiples(lo: f64, hi: f64, step: f64, max: usize) -> Option<Vec<f64>> {
    if !(step.is_finite() && step > 0.0) {
        return None;
    }
    let k0 = (lo / step - 1e-9).ceil();
    let k1 = (hi / step + 1e-9).floor();
    if !(k0.is_finite() && k1.is_finite()) || k1 < k0 || k1 - k0 > max as f64 {
        return None;
    }
    let n = (k1 - k0) as usize;
    Some(
        (0..=n)
            .map(|i| {
                let v = (k0 + i as f64) * step;
                if v == 0.0 { 0.0 } else { v }
            })
            .collect(),
    )
}

/// The 1/2/5 x 10^k step closest (in ratio) to `raw`, and its number of minor subdivisions.
pub(super) fn nice_step(raw: f64) -> (f64, f64) {
    let base = 10f64.powf(raw.log10().floor());
    let mut best = (base, 5.0);
    for (m, sub) in [(1.0, 5.0), (2.0, 4.0), (5.0, 5.0), (10.0, 5.0)] {
        let step = m * base;
        if (step / raw).ln().abs() < (best.0 / raw).ln().abs() {
            best = (step, sub);
        }
    }
    best
}

/// Nice linear ticks (bold, light, step) for `[lo, hi]`.
pub(super) fn linear_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, Vec<f64>, f64) {
    let (step, sub) = nice_step((hi - lo) / target.max(1) as f64);
    match multiples(lo, hi, step, 1000) {
        Some(bold) if !bold.is_empty() => {
            let light = multiples(lo, hi, step / sub, 5000).unwrap_or_default();
            (bold, light, step)
        }
        _ => (vec![lo, hi], Vec::new(), hi - lo),
    }
}

impl AxisPlan {
    /// Plans an axis covering the data extent `[lo, hi]` (finite; positive if `log`).
    pub(super) fn new(lo: f64, hi: f64, log: bool, target: usize, name: &str) -> Result<Self> {
        if log {
            Self::new_log(lo, hi, target)
        } else {
            Self::new_linear(lo, hi, target, name)
        }
    }

    pub(super) fn new_linear(lo: f64, hi: f64, target: usize, name: &str) -> Result<Self> {
        let scale = lo.abs().max(hi.abs());
        let (lo, hi) = if hi - lo <= scale * 1e-12 {
            let c = 0.5 * lo + 0.5 * hi;
            let half = if c == 0.0 { 1.0 } else { c.abs() * 0.1 };
            (c - half, c + half)
        } else {
            let m = 0.05 * (hi - lo);
            ((lo - m).max(-f64::MAX), (hi + m).min(f64::MAX))
        };
        if !(lo.is_finite() && hi.is_finite() && (hi - lo).is_finite() && hi > lo) {
            bail!("{name} data range is too large to plot");
        }
        let (bold, light, step) = linear_ticks(lo, hi, target);
        let maxabs = bold.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mag = |v: f64| (v.log10() + 1e-9).floor();
        let fmt = if maxabs >= 1e5 || (maxabs > 0.0 && maxabs < 1e-3) {
            TickFmt::Short {
                sci: true,
                sig: (mag(maxabs) - mag(step) + 1.0).clamp(1.0, 17.0) as usize,
            }
        } else {
            TickFmt::Fixed((-mag(step)).clamp(0.0, 12.0) as usize)
        };
        Ok(Self {
            log: false,
            lo,
            hi,
            bold,
            light,
            fmt,
        })
    }

    pub(super) fn new_log(lo: f64, hi: f64, target: usize) -> Result<Self> {
        let (data_lo, data_hi) = (lo, hi);
        let (mut l0, mut l1) = (lo.log10(), hi.log10());
        if l1 - l0 < 1e-9 {
            l0 -= 0.5;
            l1 += 0.5;
        } else {
            let m = 0.05 * (l1 - l0);
            l0 -= m;
            l1 += m;
        }
        let mut lo = 10f64.powf(l0);
        let mut hi = 10f64.powf(l1);
        if !(lo > 0.0 && lo.is_finite()) {
            lo = data_lo;
        }
        if !hi.is_finite() {
            hi = f64::MAX;
        }
        if hi <= lo {
            hi = data_hi.max(lo * 10.0).min(f64::MAX);
        }
        if !(lo > 0.0 && hi.is_finite() && hi > lo) {
            bail!("log axis range cannot be represented");
        }
        let inside = |v: f64| v >= lo * (1.0 - 1e-12) && v <= hi * (1.0 + 1e-12);
        let k0 = (lo.log10() - 1e-9).floor() as i32;
        let k1 = (hi.log10() + 1e-9).ceil() as i32;
        let with_mantissas = |ms: &[u32]| -> Vec<f64> {
            let mut v: Vec<f64> = (k0..=k1)
                .flat_map(|k| {
                    ms.iter()
                        .map(move |m| format!("{m}e{k}").parse().unwrap_or(0.0))
                })
                .filter(|&v| inside(v))
                .collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let decades = with_mantissas(&[1]);
        let all_minor = with_mantissas(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let (bold, light) = if decades.len() >= 2 {
            let stride = decades.len().div_ceil(target.max(1)).max(1) as i32;
            let bold: Vec<f64> = (k0..=k1)
                .filter(|k| k.rem_euclid(stride) == 0)
                .map(pow10)
                .filter(|&v| inside(v))
                .collect();
            let light = if decades.len() <= 30 {
                all_minor
            } else {
                decades.clone()
            };
            if bold.len() >= 2 {
                (bold, light)
            } else {
                (decades.clone(), light)
            }
        } else {
            let one_two_five = with_mantissas(&[1, 2, 5]);
            if one_two_five.len() >= 3 {
                (one_two_five, all_minor)
            } else if all_minor.len() >= 3 {
                (all_minor.clone(), all_minor)
            } else {
                let (bold, light, _) = linear_ticks(lo, hi, 5);
                (bold, light)
            }
        };
        let sci = bold.iter().any(|v| !(1e-3..1e5).contains(&v.abs()));
        Ok(Self {
            log: true,
            lo,
            hi,
            bold,
            light,
            fmt: TickFmt::Short { sci, sig: 6 },
        })
    }

    /// Position of `v` on the axis, normalised to `[0, 1]`.
    pub(super) fn normalize(&self, v: f64) -> f64 {
        if self.log {
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    pub(super) fn coord(&self) -> Axis {
        let coord = if self.log {
            AxisCoord::Log(LogCoord::from((self.lo..self.hi).log_scale()))
        } else {
            AxisCoord::Linear(RangedCoordf64::from(self.lo..self.hi))
        };
        Axis {
            coord,
            bold: self.bold.clone(),
            light: self.light.clone(),
        }
    }
}

/// Linear or plotters log coordinate.
pub(super) enum AxisCoord {
    Linear(RangedCoordf64),
    Log(LogCoord<f64>),
}

/// Plotters coordinate spec with precomputed tick positions. The log ticks are planned by
/// [`AxisPlan`] rather than by plotters' `LogCoord::key_points`, which puts ticks only at powers of
/// ten and so leaves an axis spanning less than a decade (common for the losses here) unlabelled.
pub(super) struct Axis {
    pub(super) coord: AxisCoord,
    pub(super) bold: Vec<f64>,
    pub(super) light: Vec<f64>,
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        match &self.coord {
            AxisCoord::Linear(c) => c.map(value, limit),
            AxisCoord::Log(c) => c.map(value, limit),
        }
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        match &self.coord {
            AxisCoord::Linear(c) => c.range(),
            AxisCoord::Log(c) => c.range(),
        }
    }
}
