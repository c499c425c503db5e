//! Layout: a figure reduced to what is drawn — the plottable runs, bars and bands of every
//! series, the axes, the panel heights, label areas and legend positions.

use anyhow::{Result, bail};

use super::axis::*;
use super::style::*;
use plotters::prelude::*;

/// A vertical error bar at point (x, y); `lo == None` means clipped at the bottom of a log axis.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bar {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) lo: Option<f64>,
    pub(super) hi: f64,
}

/// A series reduced to its plottable parts.
#[derive(Debug, Clone)]
pub(super) struct PlanSeries {
    pub(super) label: String,
    /// Whether it has a legend entry.
    pub(super) legend: bool,
    pub(super) style: Style,
    pub(super) color: RGBColor,
    /// Maximal runs of consecutive plottable points.
    pub(super) runs: Vec<Vec<(f64, f64)>>,
    /// Error bars (every style but [`Style::Band`]).
    pub(super) bars: Vec<Bar>,
    /// [`Style::Band`]: maximal runs of consecutive points with a plottable interval.
    pub(super) bands: Vec<Vec<Bar>>,
}

/// One panel, planned.
pub(super) struct PanelPlan {
    pub(super) y_label: String,
    pub(super) y: AxisPlan,
    pub(super) series: Vec<PlanSeries>,
    pub(super) legend: Option<SeriesLabelPosition>,
    /// Height of the panel's drawing area, in pixels.
    pub(super) height: u32,
    /// x of the dotted line between the data and the edge markers of this panel.
    pub(super) edge_sep: Option<f64>,
}

/// Everything needed to draw a figure on any backend.
pub(super) struct Plan {
    pub(super) title: String,
    pub(super) x_label: String,
    /// The x axis, shared by the panels.
    pub(super) x: AxisPlan,
    /// Top to bottom.
    pub(super) panels: Vec<PanelPlan>,
    /// Height of the x label area (under the bottom panel).
    pub(super) x_area: u32,
    /// Width of the y label area (the same in every panel, so the plots line up).
    pub(super) y_area: u32,
    /// Image height, in pixels.
    pub(super) height: u32,
}

pub(super) fn text_size(text: &str, size: f64) -> (u32, u32) {
    FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Normal)
        .box_size(text)
        .unwrap_or((
            (text.chars().count() as f64 * size * 0.6) as u32,
            size as u32,
        ))
}

pub(super) fn extend(ext: &mut Option<(f64, f64)>, v: f64) {
    *ext = Some(match *ext {
        None => (v, v),
        Some((a, b)) => (a.min(v), b.max(v)),
    });
}

/// The plottable parts of the series of one panel, extending the x and y extents; also the
/// largest x of the data and the smallest x of the edge markers.
pub(super) struct PanelData {
    pub(super) series: Vec<PlanSeries>,
    pub(super) yext: Option<(f64, f64)>,
    pub(super) data_x_max: Option<f64>,
    pub(super) edge_x_min: Option<f64>,
}

pub(super) fn plan_series(
    series: &[Series],
    lx: bool,
    ly: bool,
    xext: &mut Option<(f64, f64)>,
    panel: Option<usize>,
) -> Result<PanelData> {
    let mut yext = None;
    let (mut data_x, mut edge_x) = (None, None);
    let mut out = Vec::with_capacity(series.len());
    for (i, s) in series.iter().enumerate() {
        if let Some(errs) = &s.errors
            && errs.len() != s.points.len()
        {
            let whose = panel.map(|p| format!("panel {p}, ")).unwrap_or_default();
            bail!(
                "{whose}series {i} ('{}'): {} error intervals for {} points",
                s.label,
                errs.len(),
                s.points.len()
            );
        }
        let band = s.style == Style::Band;
        let edge = s.style == Style::EdgeMarkers;
        let mut runs = Vec::new();
        let mut run = Vec::new();
        let mut bars = Vec::new();
        let mut bands = Vec::new();
        let mut band_run = Vec::new();
        for (j, &(x, y)) in s.points.iter().enumerate() {
            if !(plottable(x, lx) && plottable(y, ly)) {
                if !run.is_empty() {
                    runs.push(std::mem::take(&mut run));
                }
                if !band_run.is_empty() {
                    bands.push(std::mem::take(&mut band_run));
                }
                continue;
            }
            run.push((x, y));
            extend(xext, x);
            extend(&mut yext, y);
            extend(if edge { &mut edge_x } else { &mut data_x }, x);
            let bar = s
                .errors
                .as_ref()
                .and_then(|e| e.get(j))
                .filter(|(a, b)| a.is_finite() && b.is_finite())
                .map(|&(a, b)| (a.min(b), a.max(b)))
                .filter(|&(_, hi)| !(ly && hi <= 0.0))
                .map(|(lo, hi)| {
                    extend(&mut yext, hi);
                    let lo = plottable(lo, ly).then(|| {
                        extend(&mut yext, lo);
                        lo
                    });
                    Bar { x, y, lo, hi }
                });
            match (bar, band) {
                (Some(b), true) => band_run.push(b),
                (Some(b), false) => bars.push(b),
                (None, true) if !band_run.is_empty() => {
                    bands.push(std::mem::take(&mut band_run));
                }
                (None, _) => {}
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        if !band_run.is_empty() {
            bands.push(band_run);
        }
        out.push(PlanSeries {
            label: s.label.clone(),
            legend: !s.label.is_empty() && !s.hide_legend,
            style: s.style,
            color: PALETTE[s.color.unwrap_or(i) % PALETTE.len()],
            runs,
            bars,
            bands,
        });
    }
    Ok(PanelData {
        series: out,
        yext,
        data_x_max: data_x.map(|e| e.1),
        edge_x_min: edge_x.map(|e| e.0),
    })
}

impl Plan {
    pub(super) fn new(fig: &Figure) -> Result<Self> {
        let panels = fig.panels();
        let multi = panels.len() > 1;
        let lx = fig.log_x;
        let mut xext = None;
        let mut data = Vec::with_capacity(panels.len());
        for (k, p) in panels.iter().enumerate() {
            if p.series.is_empty() {
                if multi {
                    bail!("panel {} has no series to plot", k + 1);
                }
                bail!("figure has no series to plot");
            }
            data.push(plan_series(
                p.series,
                lx,
                p.log_y,
                &mut xext,
                multi.then_some(k + 1),
            )?);
        }
        let what = |ly: bool| match (lx, ly) {
            (false, false) => "finite data points",
            (true, false) => "finite data points with x > 0 (log x axis)",
            (false, true) => "finite data points with y > 0 (log y axis)",
            (true, true) => "finite data points with x > 0 and y > 0 (log-log axes)",
        };
        let Some((x0, x1)) = xext else {
            bail!(
                "nothing to plot: the figure has no {}",
                what(panels.iter().any(|p| p.log_y))
            );
        };
        let x = AxisPlan::new(x0, x1, lx, if lx { 12 } else { 8 }, "x")?;
        // the line between the data and the edge markers, over every panel's data
        let data_max = data.iter().filter_map(|d| d.data_x_max).reduce(f64::max);
        let edge_min = data.iter().filter_map(|d| d.edge_x_min).reduce(f64::min);
        let sep = match (data_max, edge_min) {
            (Some(a), Some(b)) if b > a => Some(if lx { (a * b).sqrt() } else { 0.5 * (a + b) }),
            _ => None,
        };
        let mut ys = Vec::with_capacity(panels.len());
        for (k, (p, d)) in panels.iter().zip(&data).enumerate() {
            let Some((y0, y1)) = d.yext else {
                bail!(
                    "nothing to plot in panel {}: it has no {}",
                    k + 1,
                    what(p.log_y)
                );
            };
            let target = match (p.log_y, k == 0) {
                (true, true) => 10,
                (false, true) => 7,
                (true, false) => 6,
                (false, false) => 5,
            };
            ys.push(AxisPlan::new(y0, y1, p.log_y, target, "y")?);
        }

        // Label areas: tick labels + tick marks + axis description.
        let tick_w = |a: &AxisPlan| {
            a.bold
                .iter()
                .map(|&v| text_size(&a.fmt.format(v), TICK_SIZE).0)
                .max()
                .unwrap_or(0)
        };
        let desc_h = |s: &str| {
            if s.is_empty() {
                0
            } else {
                text_size(s, DESC_SIZE).1 + 14
            }
        };
        let x_area = TICK_SIZE as u32 + 20 + desc_h(&fig.x_label);
        let y_area = panels
            .iter()
            .zip(&ys)
            .map(|(p, y)| (tick_w(y) + 20 + desc_h(p.y_label)).clamp(50, 300))
            .max()
            .unwrap_or(50);
        let title_h = if fig.title.is_empty() {
            0
        } else {
            text_size(&fig.title, TITLE_SIZE).1 + 12
        };
        let last = panels.len() - 1;
        let plot_w = WIDTH.saturating_sub(2 * MARGIN + y_area).max(1);
        let mut out = Vec::with_capacity(panels.len());
        for (k, ((p, d), y)) in panels.iter().zip(data).zip(ys).enumerate() {
            let height = match (k, multi) {
                (0, false) => HEIGHT,
                (0, true) => HEIGHT - x_area,
                (k, _) if k == last => LOWER_PANEL_HEIGHT + x_area,
                _ => LOWER_PANEL_HEIGHT,
            };
            let (top, bottom) = panel_margins(k, last);
            let used = top + bottom + if k == 0 { title_h } else { 0 };
            let used = used + if k == last { x_area } else { 0 };
            let plot_h = height.saturating_sub(used).max(1);
            let legend = legend_position(&d.series, &x, &y, plot_w, plot_h);
            out.push(PanelPlan {
                y_label: p.y_label.to_string(),
                edge_sep: sep.filter(|_| d.edge_x_min.is_some()),
                y,
                series: d.series,
                legend,
                height,
            });
        }
        Ok(Plan {
            title: fig.title.clone(),
            x_label: fig.x_label.clone(),
            x,
            height: out.iter().map(|p| p.height).sum(),
            panels: out,
            x_area,
            y_area,
        })
    }
}

/// Top and bottom margins of panel `k` of `0..=last`: the outer margin at the image's edges,
/// a small gap between panels.
pub(super) fn panel_margins(k: usize, last: usize) -> (u32, u32) {
    (
        if k == 0 { MARGIN } else { PANEL_GAP },
        if k == last { MARGIN } else { PANEL_GAP },
    )
}

/// Picks the plot corner whose legend box would cover the fewest data samples
/// (`None` if no series has a legend entry).
pub(super) fn legend_position(
    series: &[PlanSeries],
    x: &AxisPlan,
    y: &AxisPlan,
    plot_w: u32,
    plot_h: u32,
) -> Option<SeriesLabelPosition> {
    let labels: Vec<&str> = series
        .iter()
        .filter(|s| s.legend)
        .map(|s| s.label.as_str())
        .collect();
    if labels.is_empty() {
        return None;
    }
    let (mut tw, mut th) = (0u32, 0u32);
    for l in &labels {
        let (w, h) = text_size(l, LEGEND_SIZE);
        tw = tw.max(w);
        th += h.max(LEGEND_SIZE as u32) + 4;
    }
    // Box size plus the gap plotters leaves to the plot border, as plot fractions.
    let wf = f64::from(tw + LEGEND_GLYPH + 2 * LEGEND_MARGIN + 20) / f64::from(plot_w);
    let hf = f64::from(th + 2 * LEGEND_MARGIN + 20) / f64::from(plot_h);

    let mut samples: Vec<(f64, f64)> = Vec::new();
    let total: usize = series.iter().flat_map(|s| &s.runs).map(Vec::len).sum();
    let sub = if total > 5000 { 1 } else { 8 };
    for s in series {
        let connected = !matches!(
            s.style,
            Style::Markers | Style::EdgeMarkers | Style::Triangles
        );
        for run in &s.runs {
            for (k, &(px, py)) in run.iter().enumerate() {
                let p = (x.normalize(px), y.normalize(py));
                samples.push(p);
                if connected && k + 1 < run.len() {
                    let (x2, y2) = run[k + 1];
                    let q = (x.normalize(x2), y.normalize(y2));
                    for t in 1..sub {
                        let t = t as f64 / sub as f64;
                        samples.push((p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1)));
                    }
                }
            }
        }
        for b in s.bars.iter().chain(s.bands.iter().flatten()) {
            let u = x.normalize(b.x);
            samples.push((u, y.normalize(b.hi)));
            if let Some(lo) = b.lo {
                samples.push((u, y.normalize(lo)));
            }
        }
    }
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let count = |right: bool, upper: bool| {
        samples
            .iter()
            .filter(|&&(u, v)| {
                let in_x = if right { u >= 1.0 - wf } else { u <= wf };
                let in_y = if upper { v >= 1.0 - hf } else { v <= hf };
                in_x && in_y
            })
            .count()
    };
    let mut best = (SeriesLabelPosition::UpperRight, usize::MAX);
    for (pos, right, upper) in corners {
        let c = count(right, upper);
        if c < best.1 {
            best = (pos, c);
        }
    }
    Some(best.0)
}
