//! Drawing a planned figure on any plotters backend: panels, mesh, bands, series, legends.

use anyhow::{Result, anyhow};

use super::axis::Axis;
use super::layout::*;
use super::style::*;
use plotters::chart::SeriesAnno;
use plotters::coord::Shift;
use plotters::element::{DashedPathElement, ErrorBar};
use plotters::prelude::*;

/// Draws the planned figure on `root` and presents it: the panels top to bottom.
pub(super) fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, plan: &Plan) -> Result<()> {
    root.fill(&WHITE).map_err(drawing_failed)?;
    let last = plan.panels.len() - 1;
    let mut rest = root.clone();
    for (k, p) in plan.panels.iter().enumerate() {
        let area = if k < last {
            let (a, b) = rest.split_vertically(p.height);
            rest = b;
            a
        } else {
            rest.clone()
        };
        draw_panel(&area, plan, p, k, last)?;
    }
    root.present().map_err(drawing_failed)?;
    Ok(())
}

/// Left-pointing triangle of [`Style::EdgeMarkers`], in pixels around its point.
pub(super) fn edge_triangle() -> Vec<(i32, i32)> {
    let s = EDGE_MARKER_SIZE;
    vec![(-s, 0), (s, -s), (s, s)]
}

/// The chart of one panel, on the axes of its plan.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// A drawing error, as the figure pipeline reports it.
fn drawing_failed<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> anyhow::Error {
    anyhow!("drawing failed: {e}")
}

/// Draws panel `k` of `0..=last` on `area`: the title above the first, the x tick labels and
/// description under the last; then its bands (under every line), series and legend.
pub(super) fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    plan: &Plan,
    p: &PanelPlan,
    k: usize,
    last: usize,
) -> Result<()> {
    let mut chart = chart(area, plan, p, k, last)?;
    for s in &p.series {
        draw_bands(&mut chart, p, s)?;
    }
    for s in &p.series {
        draw_series(&mut chart, p, s)?;
    }
    if let Some(pos) = &p.legend {
        chart
            .configure_series_labels()
            .position(pos.clone())
            .margin(LEGEND_MARGIN)
            .legend_area_size(LEGEND_GLYPH)
            .label_font((FONT, LEGEND_SIZE))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.5))
            .draw()
            .map_err(drawing_failed)?;
    }
    Ok(())
}

/// The chart of panel `k` with its margins, title (first panel), mesh, axis descriptions, the
/// x axis line of a panel without its own x labels and the separator of the edge markers.
fn chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    plan: &Plan,
    p: &PanelPlan,
    k: usize,
    last: usize,
) -> Result<Chart<'a, DB>> {
    let (top, bottom) = panel_margins(k, last);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(top)
        .margin_bottom(bottom)
        .margin_left(MARGIN)
        .margin_right(MARGIN)
        .x_label_area_size(if k == last { plan.x_area } else { 0 })
        .y_label_area_size(plan.y_area);
    if k == 0 && !plan.title.is_empty() {
        builder.caption(
            &plan.title,
            FontDesc::new(FontFamily::Name(FONT), TITLE_SIZE, FontStyle::Bold),
        );
    }
    let mut chart = builder
        .build_cartesian_2d(plan.x.coord(), p.y.coord())
        .map_err(drawing_failed)?;
    let fx = |v: &f64| plan.x.fmt.format(*v);
    let fy = |v: &f64| p.y.fmt.format(*v);
    let axis = BLACK.mix(0.8);
    {
        let mut mesh = chart.configure_mesh();
        mesh.x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .label_style((FONT, TICK_SIZE))
            .axis_desc_style((FONT, DESC_SIZE))
            .bold_line_style(BLACK.mix(0.18))
            .light_line_style(BLACK.mix(0.06))
            .axis_style(axis);
        if k == last && !plan.x_label.is_empty() {
            mesh.x_desc(plan.x_label.as_str());
        }
        if !p.y_label.is_empty() {
            mesh.y_desc(p.y_label.as_str());
        }
        mesh.draw().map_err(drawing_failed)?;
    }
    if k < last {
        // the x axis line of a panel without its own x label area
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(plan.x.lo, p.y.lo), (plan.x.hi, p.y.lo)],
                axis,
            )))
            .map_err(drawing_failed)?;
    }
    if let Some(sep) = p.edge_sep {
        chart
            .draw_series(DashedLineSeries::new(
                [(sep, p.y.lo), (sep, p.y.hi)],
                4,
                4,
                BLACK.mix(0.45).stroke_width(1),
            ))
            .map_err(drawing_failed)?;
    }
    Ok(chart)
}

/// The bands of series `s` (a run of one point: an error bar).
fn draw_bands<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    p: &PanelPlan,
    s: &PlanSeries,
) -> Result<()> {
    let fill = s.color.mix(BAND_OPACITY).filled();
    for run in &s.bands {
        if run.len() >= 2 {
            let poly: Vec<(f64, f64)> = run
                .iter()
                .map(|b| (b.x, b.hi))
                .chain(run.iter().rev().map(|b| (b.x, b.lo.unwrap_or(p.y.lo))))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(poly, fill)))
                .map_err(drawing_failed)?;
        } else {
            let thin = s.color.stroke_width(1);
            chart
                .draw_series(run.iter().map(|b| {
                    let lo = b.lo.unwrap_or(p.y.lo);
                    ErrorBar::new_vertical(b.x, lo, b.y, b.hi, thin, ERROR_CAP_WIDTH)
                }))
                .map_err(drawing_failed)?;
        }
    }
    Ok(())
}

/// Series `s` of panel `p`: its error bars (a bar clipped at the bottom of a log axis ends on
/// the axis), lines, markers and triangles, and its legend entry.
fn draw_series<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    p: &PanelPlan,
    s: &PlanSeries,
) -> Result<()> {
    let color = s.color;
    let line = color.stroke_width(LINE_WIDTH);
    let thin = color.stroke_width(1);
    let outline = BLACK.mix(0.7).stroke_width(1);
    chart
        .draw_series(s.bars.iter().map(|b| {
            let lo = b.lo.unwrap_or(p.y.lo);
            ErrorBar::new_vertical(b.x, lo, b.y, b.hi, thin, ERROR_CAP_WIDTH)
        }))
        .map_err(drawing_failed)?;
    let lines = matches!(
        s.style,
        Style::Line | Style::Dashed | Style::LineMarkers | Style::Band
    );
    let markers = matches!(s.style, Style::Markers | Style::LineMarkers);
    for run in &s.runs {
        if lines && run.len() >= 2 {
            if s.style == Style::Dashed {
                chart
                    .draw_series(DashedLineSeries::new(run.iter().copied(), 10, 6, line))
                    .map_err(drawing_failed)?;
            } else {
                chart
                    .draw_series(LineSeries::new(run.iter().copied(), line))
                    .map_err(drawing_failed)?;
            }
        } else if lines && !markers {
            // An isolated point of a line series would be invisible otherwise.
            chart
                .draw_series(run.iter().map(|&p| Circle::new(p, 2, color.filled())))
                .map_err(drawing_failed)?;
        }
        if markers {
            chart
                .draw_series(
                    run.iter()
                        .map(|&p| Circle::new(p, MARKER_RADIUS, color.filled())),
                )
                .map_err(drawing_failed)?;
        }
        if matches!(s.style, Style::EdgeMarkers | Style::Triangles) {
            chart
                .draw_series(run.iter().map(|&p| {
                    let mut rim = edge_triangle();
                    rim.push(rim[0]);
                    EmptyElement::at(p)
                        + Polygon::new(edge_triangle(), color.filled())
                        + PathElement::new(rim, outline)
                }))
                .map_err(drawing_failed)?;
        }
    }
    if s.legend {
        let anno = chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
            .map_err(drawing_failed)?;
        anno.label(s.label.as_str());
        legend_glyph(anno, s.style, color);
    }
    Ok(())
}

/// The legend sample of a series of style `style` in `color`.
fn legend_glyph<'a, DB: DrawingBackend + 'a>(
    anno: &mut SeriesAnno<'a, DB>,
    style: Style,
    color: RGBColor,
) {
    let w = LEGEND_GLYPH as i32 - 6;
    let line = color.stroke_width(LINE_WIDTH);
    let outline = BLACK.mix(0.7).stroke_width(1);
    match style {
        Style::Line => {
            anno.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + w, y)], line));
        }
        Style::Dashed => {
            anno.legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + w, y)], 7, 4, line));
        }
        Style::Markers => {
            anno.legend(move |(x, y)| Circle::new((x + w / 2, y), MARKER_RADIUS, color.filled()));
        }
        Style::LineMarkers => {
            anno.legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (w, 0)], line)
                    + Circle::new((w / 2, 0), MARKER_RADIUS, color.filled())
            });
        }
        Style::Band => {
            let fill = color.mix(BAND_OPACITY).filled();
            anno.legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + Rectangle::new([(0, -6), (w, 6)], fill)
                    + PathElement::new(vec![(0, 0), (w, 0)], line)
            });
        }
        Style::EdgeMarkers | Style::Triangles => {
            anno.legend(move |(x, y)| {
                let tri: Vec<(i32, i32)> = edge_triangle()
                    .into_iter()
                    .map(|(a, b)| (a + w / 2, b))
                    .collect();
                let rim = vec![tri[0], tri[1], tri[2], tri[0]];
                EmptyElement::at((x, y))
                    + Polygon::new(tri, color.filled())
                    + PathElement::new(rim, outline)
            });
        }
    }
}
