//! Tests of the plotting: rendering, axes, layout and legends.
use std::fs;
use std::path::Path;

use anyhow::Result;

use super::axis::*;
use super::layout::*;
use super::style::*;
use super::*;

fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("plot-test-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn render_in(fig: &Figure, dir: &Path) -> Result<(Vec<u8>, String)> {
    let (png, svg) = (dir.join("fig.png"), dir.join("fig.svg"));
    render(fig, &png, &svg)?;
    Ok((fs::read(png).unwrap(), fs::read_to_string(svg).unwrap()))
}

fn loglog_figure(with_errors: bool) -> Figure {
    let ns: Vec<f64> = (0..13).map(|k| 10f64 * 2f64.powi(k)).collect();
    let err: Vec<(f64, f64)> = ns.iter().map(|n| (0.7 / n, 1.4 / n)).collect();
    Figure {
        title: "Convergence of the test scheme".into(),
        x_label: "number of cells n".into(),
        y_label: "relative error |e_n|".into(),
        log_x: true,
        log_y: true,
        series: vec![
            Series {
                label: "measured error".into(),
                points: ns.iter().map(|&n| (n, 1.0 / n)).collect(),
                errors: with_errors.then_some(err),
                style: Style::LineMarkers,
                ..Series::default()
            },
            Series {
                label: "guide n^-2".into(),
                points: ns.iter().map(|&n| (n, 5.0 / (n * n))).collect(),
                errors: None,
                style: Style::Dashed,
                ..Series::default()
            },
            Series {
                label: "samples".into(),
                points: ns.iter().map(|&n| (n, 0.5 / n.sqrt())).collect(),
                errors: None,
                style: Style::Markers,
                ..Series::default()
            },
        ],
        ..Figure::default()
    }
}

fn count_strokes(svg: &str) -> usize {
    svg.matches("<polyline").count() + svg.matches("<line").count() + svg.matches("<path").count()
}

fn png_size(png: &[u8]) -> (u32, u32) {
    let i = png.windows(4).position(|w| w == b"IHDR").unwrap() + 4;
    let w = u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    let h = u32::from_be_bytes(png[i + 4..i + 8].try_into().unwrap());
    (w, h)
}

/// Contents of all `<text>` elements (trimmed, still XML-escaped).
fn svg_texts(svg: &str) -> Vec<&str> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim())
        })
        .collect()
}

fn has_text(svg: &str, text: &str) -> bool {
    svg_texts(svg).contains(&text)
}

#[test]
fn loglog_with_error_bars_renders_png_and_svg() {
    let dir = tmpdir("loglog");
    let fig = loglog_figure(true);
    let (png, svg) = render_in(&fig, &dir).unwrap();

    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(png_size(&png), (WIDTH, HEIGHT));
    assert!(png.len() > 5_000, "PNG only {} bytes", png.len());

    let body = svg.trim_start();
    let body = if body.starts_with("<?xml") {
        &body[body.find("?>").unwrap() + 2..]
    } else {
        body
    };
    assert!(
        body.trim_start().starts_with("<svg"),
        "{}",
        &svg[..80.min(svg.len())]
    );
    for t in [&fig.title, &fig.x_label, &fig.y_label] {
        assert!(has_text(&svg, t), "missing text {t:?} in {dir:?}");
    }
    for s in &fig.series {
        assert!(has_text(&svg, &s.label), "missing legend {:?}", s.label);
    }
    // Log tick labels.
    assert!(
        has_text(&svg, "100") && has_text(&svg, "1e-6"),
        "log tick labels"
    );

    let n_bars = fig.series[0].points.len();
    let strokes = count_strokes(&svg);
    assert!(strokes >= n_bars, "{strokes} strokes < {n_bars} error bars");
    // The error bars themselves add at least one stroke each.
    let (_, svg_plain) = render_in(&loglog_figure(false), &dir).unwrap();
    let diff = strokes - count_strokes(&svg_plain);
    assert!(diff >= n_bars, "error bars added only {diff} strokes");

    // No temporary files are left behind.
    let names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    if std::env::var_os("PLOT_KEEP").is_none() {
        fs::remove_dir_all(dir).unwrap();
    }
}

/// Writes `sample.png` / `sample.svg` into the system temporary folder for visual
/// inspection (`cargo test --release -- --ignored`).
#[test]
#[ignore]
fn write_sample() {
    let dir = std::env::temp_dir();
    let dir = dir.as_path();
    let fig = loglog_figure(true);
    render(&fig, &dir.join("sample.png"), &dir.join("sample.svg")).unwrap();
    let mut lin = fig.clone();
    lin.log_x = false;
    lin.log_y = false;
    lin.title = "Linear axes".into();
    for s in &mut lin.series {
        for p in &mut s.points {
            p.1 = -p.1.ln();
        }
        s.errors = None;
    }
    render(
        &lin,
        &dir.join("sample_lin.png"),
        &dir.join("sample_lin.svg"),
    )
    .unwrap();
}

/// Two panels: bands and edge markers on log–log axes above, a linear panel below.
fn two_panel_figure() -> Figure {
    let ts: Vec<f64> = (0..30).map(|k| 10f64.powf(k as f64 / 8.0)).collect();
    let band = |a: f64, color: usize| Series {
        label: format!("n = {a}"),
        points: ts.iter().map(|&t| (t, a / (1.0 + t))).collect(),
        errors: Some(
            ts.iter()
                .map(|&t| (0.8 * a / (1.0 + t), 1.2 * a / (1.0 + t)))
                .collect(),
        ),
        style: Style::Band,
        color: Some(color),
        ..Series::default()
    };
    let t_end = *ts.last().unwrap();
    Figure {
        title: "Two panels".into(),
        x_label: "time t".into(),
        y_label: "loss".into(),
        log_x: true,
        log_y: true,
        series: vec![
            band(1.0, 0),
            band(2.0, 1),
            Series {
                label: "edge of n = 1".into(),
                points: vec![(2.0 * t_end, 1e-4)],
                errors: Some(vec![(5e-5, 2e-4)]),
                style: Style::EdgeMarkers,
                color: Some(0),
                hide_legend: true,
            },
            Series {
                label: "limits".into(),
                style: Style::EdgeMarkers,
                color: Some(7),
                ..Series::default()
            },
        ],
        below: vec![Panel {
            y_label: "charge".into(),
            log_y: false,
            series: vec![Series {
                label: "hidden c".into(),
                points: ts.iter().map(|&t| (t, t.ln())).collect(),
                style: Style::Line,
                hide_legend: true,
                ..Series::default()
            }],
        }],
    }
}

#[test]
fn two_panels_share_the_x_axis_and_render() {
    let dir = tmpdir("panels");
    let fig = two_panel_figure();
    let (png, svg) = render_in(&fig, &dir).unwrap();
    assert_eq!(png_size(&png), (WIDTH, HEIGHT + LOWER_PANEL_HEIGHT));
    for t in [
        "Two panels",
        "time t",
        "loss",
        "charge",
        "n = 1",
        "n = 2",
        "limits",
    ] {
        assert!(has_text(&svg, t), "missing text {t:?}");
    }
    assert!(!has_text(&svg, "hidden c") && !has_text(&svg, "edge of n = 1"));
    assert_eq!(
        svg_texts(&svg).iter().filter(|t| **t == "time t").count(),
        1,
        "one x description, under the bottom panel"
    );
    // bands (2), the edge marker (1) and the legend glyphs (2 bands' boxes are rects,
    // 1 triangle) are polygons
    assert!(svg.matches("<polygon").count() >= 4, "polygons");

    let plan = Plan::new(&fig).unwrap();
    assert_eq!(plan.panels.len(), 2);
    assert_eq!(plan.height, HEIGHT + LOWER_PANEL_HEIGHT);
    let t_end = 10f64.powf(29.0 / 8.0);
    assert!(
        plan.x.hi > 2.0 * t_end && plan.x.lo < 1.0,
        "x covers the edge marker"
    );
    let top = &plan.panels[0];
    assert_eq!(top.series[0].bands.len(), 1);
    assert!(top.series[0].bars.is_empty(), "a band draws no error bars");
    assert_eq!(top.series[2].bars.len(), 1, "edge markers keep their bars");
    assert_eq!(top.series[1].color, PALETTE[1]);
    assert_eq!(top.series[3].color, PALETTE[7]);
    let sep = top.edge_sep.unwrap();
    assert!(sep > t_end && sep < 2.0 * t_end, "{sep}");
    assert_eq!(plan.panels[1].edge_sep, None);
    assert!(plan.panels[1].legend.is_none(), "only hidden labels");
    assert!(!plan.panels[1].y.log && plan.panels[1].y.lo < 0.1);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn band_breaks_at_missing_intervals_and_clips_on_log_axes() {
    let fig = Figure {
        log_y: true,
        series: vec![Series {
            points: vec![(1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (4.0, 4.0)],
            errors: Some(vec![(0.5, 1.5), (-1.0, 3.0), (f64::NAN, 1.0), (3.0, 5.0)]),
            style: Style::Band,
            ..Series::default()
        }],
        ..Figure::default()
    };
    let plan = Plan::new(&fig).unwrap();
    let b = &plan.panels[0].series[0].bands;
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].len(), 2);
    assert_eq!(b[0][1].lo, None, "a non-positive low end is clipped");
    assert_eq!(b[1].len(), 1);
    let dir = tmpdir("band");
    render_in(&fig, &dir).unwrap();
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn empty_or_unplottable_lower_panels_are_errors() {
    let mut fig = loglog_figure(false);
    fig.below.push(Panel::default());
    let e = Plan::new(&fig).err().unwrap().to_string();
    assert!(e.contains("panel 2 has no series"), "{e}");
    fig.below[0] = Panel {
        log_y: true,
        series: vec![Series {
            points: vec![(100.0, -1.0)],
            ..Series::default()
        }],
        ..Panel::default()
    };
    let e = Plan::new(&fig).err().unwrap().to_string();
    assert!(e.contains("nothing to plot in panel 2"), "{e}");
    fig.below[0].series[0].errors = Some(vec![]);
    let e = Plan::new(&fig).err().unwrap().to_string();
    assert!(e.contains("panel 2, series 0"), "{e}");
}

#[test]
fn linear_axes_with_negative_values_render() {
    let dir = tmpdir("linear");
    let xs: Vec<f64> = (0..50).map(|i| -5.0 + 0.2 * i as f64).collect();
    let fig = Figure {
        title: "Linear <axes> & negatives".into(),
        x_label: "x".into(),
        y_label: "f(x)".into(),
        log_x: false,
        log_y: false,
        series: vec![
            Series {
                label: "sin".into(),
                points: xs.iter().map(|&x| (x, -3.0 * x.sin())).collect(),
                errors: Some(
                    xs.iter()
                        .map(|&x| (-3.0 * x.sin() - 0.3, -3.0 * x.sin() + 0.3))
                        .collect(),
                ),
                style: Style::Line,
                ..Series::default()
            },
            Series {
                label: "line".into(),
                points: xs.iter().map(|&x| (x, 0.5 * x - 1.0)).collect(),
                errors: None,
                style: Style::Dashed,
                ..Series::default()
            },
        ],
        ..Figure::default()
    };
    let (png, svg) = render_in(&fig, &dir).unwrap();
    assert_eq!(png_size(&png), (WIDTH, HEIGHT));
    assert!(
        has_text(&svg, "Linear &lt;axes&gt; &amp; negatives"),
        "escaped title"
    );
    assert!(
        has_text(&svg, "-4") && has_text(&svg, "-2"),
        "negative tick labels"
    );
    let plan = Plan::new(&fig).unwrap();
    assert!(plan.x.lo < -5.0 && plan.x.hi > 4.8);
    assert!(plan.panels[0].y.lo < -3.3 && plan.panels[0].y.hi > 3.3);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn log_axis_skips_non_positive_values() {
    let fig = Figure {
        log_y: true,
        series: vec![Series {
            label: "a".into(),
            points: vec![
                (1.0, 10.0),
                (2.0, 0.0),
                (3.0, -5.0),
                (4.0, 1000.0),
                (f64::NAN, 1.0),
            ],
            errors: Some(vec![
                (-1.0, 20.0),
                (0.0, 1.0),
                (1.0, 2.0),
                (500.0, 2000.0),
                (1.0, 2.0),
            ]),
            style: Style::LineMarkers,
            ..Series::default()
        }],
        ..Figure::default()
    };
    let plan = Plan::new(&fig).unwrap();
    let s = &plan.panels[0].series[0];
    assert_eq!(s.runs, vec![vec![(1.0, 10.0)], vec![(4.0, 1000.0)]]);
    assert_eq!(s.bars.len(), 2);
    assert_eq!(s.bars[0].lo, None, "non-positive low end is clipped");
    assert!(
        plan.panels[0].y.lo > 0.0 && plan.panels[0].y.lo < 10.0 && plan.panels[0].y.hi > 2000.0
    );
    assert!(plan.panels[0].y.bold.iter().all(|&v| v > 0.0));

    let dir = tmpdir("logskip");
    render_in(&fig, &dir).unwrap();
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn only_non_positive_data_on_log_axis_is_an_error() {
    let dir = tmpdir("lognone");
    let fig = Figure {
        log_x: true,
        series: vec![Series {
            label: "a".into(),
            points: vec![(0.0, 1.0), (-1.0, 2.0), (f64::INFINITY, 3.0)],
            ..Series::default()
        }],
        ..Figure::default()
    };
    let e = render_in(&fig, &dir).unwrap_err().to_string();
    assert!(e.contains("nothing to plot") && e.contains("x > 0"), "{e}");
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 0, "no files written");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn empty_figure_is_an_error() {
    let dir = tmpdir("empty");
    let e = render_in(&Figure::default(), &dir).unwrap_err().to_string();
    assert!(e.contains("no series"), "{e}");
    let fig = Figure {
        series: vec![Series::default(), Series::default()],
        ..Figure::default()
    };
    assert!(
        render_in(&fig, &dir)
            .unwrap_err()
            .to_string()
            .contains("nothing to plot")
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn mismatched_error_length_is_an_error() {
    let fig = Figure {
        series: vec![Series {
            points: vec![(1.0, 1.0), (2.0, 2.0)],
            errors: Some(vec![(0.0, 1.0)]),
            ..Series::default()
        }],
        ..Figure::default()
    };
    assert!(
        Plan::new(&fig)
            .err()
            .unwrap()
            .to_string()
            .contains("1 error intervals for 2 points")
    );
}

#[test]
fn degenerate_ranges_are_widened() {
    for (log, v) in [
        (false, 3.0),
        (false, 0.0),
        (false, -1e-9),
        (true, 5.0),
        (true, 1e-300),
    ] {
        let fig = Figure {
            log_x: log,
            log_y: log,
            series: vec![Series {
                points: vec![(v, v), (v, v)],
                ..Series::default()
            }],
            ..Figure::default()
        };
        let plan = Plan::new(&fig).unwrap();
        for a in [&plan.x, &plan.panels[0].y] {
            assert!(a.lo < v && a.hi > v, "{log} {v}: {a:?}");
            assert!(a.bold.len() >= 2, "{log} {v}: {a:?}");
        }
    }
}

#[test]
fn tick_labels_are_readable() {
    let a = AxisPlan::new(1e-7, 1.0, true, 8, "y").unwrap();
    let labels: Vec<String> = a.bold.iter().map(|&v| a.fmt.format(v)).collect();
    assert!(labels.contains(&"1e-6".to_string()), "{labels:?}");
    let a = AxisPlan::new(10.0, 1000.0, true, 8, "x").unwrap();
    let labels: Vec<String> = a.bold.iter().map(|&v| a.fmt.format(v)).collect();
    assert_eq!(labels, ["10", "100", "1000"]);
    let a = AxisPlan::new(2.0, 3.0, true, 8, "x").unwrap();
    assert!(a.bold.len() >= 3, "{a:?}");
    let a = AxisPlan::new(0.0, 1.0, false, 10, "x").unwrap();
    let labels: Vec<String> = a.bold.iter().map(|&v| a.fmt.format(v)).collect();
    assert!(
        labels.contains(&"0.4".to_string()) && labels.contains(&"0".to_string()),
        "{labels:?}"
    );
    let a = AxisPlan::new(-3e6, 2e6, false, 10, "x").unwrap();
    let labels: Vec<String> = a.bold.iter().map(|&v| a.fmt.format(v)).collect();
    assert!(labels.contains(&"-1e6".to_string()), "{labels:?}");
    assert!(labels.contains(&"-2.5e6".to_string()), "{labels:?}");
    let a = AxisPlan::new(1e6, 1e6 + 3.0, false, 8, "x").unwrap();
    let labels: Vec<String> = a.bold.iter().map(|&v| a.fmt.format(v)).collect();
    assert!(labels.contains(&"1.0000005e6".to_string()), "{labels:?}");
}

#[test]
fn palette_is_distinct_and_cycles() {
    assert!(PALETTE.len() >= 8);
    for (i, a) in PALETTE.iter().enumerate() {
        assert!(PALETTE[i + 1..].iter().all(|b| a != b));
    }
    let fig = Figure {
        series: (0..12)
            .map(|i| Series {
                points: vec![(0.0, i as f64)],
                ..Series::default()
            })
            .collect(),
        ..Figure::default()
    };
    let plan = Plan::new(&fig).unwrap();
    assert_eq!(
        plan.panels[0].series[10].color,
        plan.panels[0].series[0].color
    );
    assert_ne!(
        plan.panels[0].series[1].color,
        plan.panels[0].series[0].color
    );
}

#[test]
fn hostile_inputs_do_not_panic() {
    let dir = tmpdir("hostile");
    let weird = [
        vec![(f64::NAN, f64::NAN)],
        vec![(0.0, f64::INFINITY), (1.0, f64::NEG_INFINITY)],
        vec![(-f64::MAX, f64::MAX), (f64::MAX, -f64::MAX)],
        vec![(f64::MAX, f64::MAX), (f64::MAX / 2.0, 1.0)],
        vec![(f64::MIN_POSITIVE, 5e-324), (1e-310, 1e-320)],
        vec![(1.0, 1.0 + 1e-15), (1.0 + 1e-15, 1.0)],
        vec![(1e300, -1e300), (-1e300, 1e300)],
        vec![(1.0, 2.0)],
        vec![],
    ];
    let mut ok = 0;
    for points in &weird {
        for (lx, ly) in [(false, false), (true, false), (false, true), (true, true)] {
            for style in [
                Style::Line,
                Style::Dashed,
                Style::Markers,
                Style::LineMarkers,
                Style::Band,
                Style::EdgeMarkers,
                Style::Triangles,
            ] {
                let fig = Figure {
                    title: "t".into(),
                    log_x: lx,
                    log_y: ly,
                    series: vec![Series {
                        label: "s".into(),
                        points: points.clone(),
                        errors: Some(vec![(f64::NEG_INFINITY, f64::NAN); points.len()]),
                        style,
                        ..Series::default()
                    }],
                    ..Figure::default()
                };
                let _ = Plan::new(&fig);
            }
        }
        let fig = Figure {
            log_x: true,
            log_y: true,
            series: vec![Series {
                label: "s".into(),
                points: points.clone(),
                errors: Some(vec![(-1.0, 1e308); points.len()]),
                style: Style::LineMarkers,
                ..Series::default()
            }],
            ..Figure::default()
        };
        ok += usize::from(render_in(&fig, &dir).is_ok());
        let fig = Figure {
            log_x: false,
            log_y: false,
            ..fig
        };
        ok += usize::from(render_in(&fig, &dir).is_ok());
    }
    assert!(ok >= 8, "only {ok} hostile figures rendered");
    // Bad output location is an error, not a panic.
    let fig = loglog_figure(false);
    assert!(render(&fig, &dir.join("missing/a.png"), &dir.join("missing/a.svg")).is_err());
    assert!(render(&fig, Path::new("/"), &dir.join("a.svg")).is_err());
    fs::remove_dir_all(dir).unwrap();
}
