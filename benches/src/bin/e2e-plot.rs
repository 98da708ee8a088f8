//! Draws the receive-to-handled latency distribution of an `e2e` report as an SVG.
//!
//! `e2e-plot REPORT.json OUT.svg` (what `cargo xtask bench --full` runs, writing
//! `docs/img/e2e-latency.svg`). The x axis is the percentile on HDR's usual log scale
//! (1 / (1 - q): p50, p90, p99, p99.9, ...), the y axis the latency in microseconds, also
//! logarithmic. The SVG is written by hand: a few lines and labels need no plotting crate (and
//! no font parser: the viewer renders the text).

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Highest quantile drawn (the curve's last point is the maximum).
const TOP_QUANTILE: f64 = 0.99999;
/// Lowest latency drawn, in µs.
const Y_MIN: f64 = 0.05;
/// The issue's p99 budget, in µs.
const BUDGET_US: f64 = 50.0;

const WIDTH: f64 = 1100.0;
const HEIGHT: f64 = 650.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 60.0;
const TOP: f64 = 60.0;
const BOTTOM: f64 = 70.0;

/// One curve: label, colour, dashed, points as (x = 1/(1-q), y = µs).
struct Series {
    label: String,
    colour: &'static str,
    dashed: bool,
    points: Vec<(f64, f64)>,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(input), Some(output)) = (args.first(), args.get(1)) else {
        bail!("usage: e2e-plot REPORT.json OUT.svg");
    };
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(input).with_context(|| format!("reading {input}"))?,
    )?;
    let series = read_series(&report);
    if series.is_empty() {
        bail!("no latency curves in {input}");
    }
    let svg = draw(&report, &series);
    if let Some(dir) = std::path::Path::new(output).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(output, svg).with_context(|| format!("writing {output}"))?;
    eprintln!("plot written to {output}");
    Ok(())
}

fn read_series(report: &Value) -> Vec<Series> {
    let palette = ["#1f77b4", "#d62728"];
    let mut series = Vec::new();
    let venues = report["venues"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for (i, venue) in venues.iter().enumerate() {
        let name = venue["venue"].as_str().unwrap_or("?");
        let colour = palette[i % palette.len()];
        for (phase, dashed) in [("latency", false), ("throughput", true)] {
            let p = &venue[phase];
            let rate = p["messages_per_second"].as_f64().unwrap_or(0.0);
            let label = if dashed {
                format!("{name}, flood ({:.0} k msg/s)", rate / 1e3)
            } else {
                format!("{name}, fixed rate ({:.0} k msg/s)", rate / 1e3)
            };
            let points: Vec<(f64, f64)> = p["latency"]["curve"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .filter_map(|pt| {
                            let q = pt.get(0)?.as_f64()?.min(TOP_QUANTILE);
                            let ns = pt.get(1)?.as_f64()?;
                            Some((1.0 / (1.0 - q), (ns / 1e3).max(Y_MIN)))
                        })
                        .collect()
                })
                .unwrap_or_default();
            if !points.is_empty() {
                series.push(Series {
                    label,
                    colour,
                    dashed,
                    points,
                });
            }
        }
    }
    series
}

/// Log-log axes from (1, Y_MIN) to (x_max, y_max) mapped onto the plot area.
struct Axes {
    x_max: f64,
    y_max: f64,
}

impl Axes {
    fn x(&self, x: f64) -> f64 {
        let span = WIDTH - LEFT - RIGHT;
        LEFT + span * x.max(1.0).log10() / self.x_max.log10()
    }

    fn y(&self, y: f64) -> f64 {
        let span = HEIGHT - TOP - BOTTOM;
        let (lo, hi) = (Y_MIN.log10(), self.y_max.log10());
        TOP + span * (1.0 - (y.clamp(Y_MIN, self.y_max).log10() - lo) / (hi - lo))
    }
}

fn draw(report: &Value, series: &[Series]) -> String {
    let y_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(100.0f64, f64::max)
        * 2.0;
    let axes = Axes {
        x_max: 1.0 / (1.0 - TOP_QUANTILE),
        y_max,
    };
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="DejaVu Sans, Verdana, sans-serif">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let title = format!(
        "Loopback receive-to-handled latency (ws-core HDR histogram), {} cores",
        report["cores"].as_u64().unwrap_or(0)
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="35" font-size="22" text-anchor="middle">{}</text>"#,
        WIDTH / 2.0,
        escape(&title)
    );
    draw_grid(&mut svg, &axes);
    // The budget line, then the curves.
    let _ = writeln!(
        svg,
        r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#000" stroke-opacity="0.7" stroke-width="2"/>"##,
        axes.x(1.0),
        axes.x(axes.x_max),
        y = axes.y(BUDGET_US)
    );
    for s in series {
        let points: Vec<String> = s
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", axes.x(x), axes.y(y)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" points="{}" {}/>"#,
            points.join(" "),
            stroke(s.colour, s.dashed)
        );
    }
    draw_legend(&mut svg, series);
    svg.push_str("</svg>\n");
    svg
}

fn stroke(colour: &str, dashed: bool) -> String {
    if dashed {
        format!(
            r#"stroke="{colour}" stroke-opacity="0.45" stroke-width="2" stroke-dasharray="8 5""#
        )
    } else {
        format!(r#"stroke="{colour}" stroke-width="3""#)
    }
}

fn draw_grid(svg: &mut String, axes: &Axes) {
    let (x0, x1) = (axes.x(1.0), axes.x(axes.x_max));
    let (y0, y1) = (axes.y(Y_MIN), axes.y(axes.y_max));
    let mut decade = 1.0;
    while decade <= axes.x_max * 1.0001 {
        let x = axes.x(decade);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{y0:.1}" x2="{x:.1}" y2="{y1:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" font-size="15" text-anchor="middle">{}</text>"##,
            y0 + 20.0,
            percentile_label(decade)
        );
        decade *= 10.0;
    }
    let mut decade = 0.1;
    while decade <= axes.y_max {
        let y = axes.y(decade);
        let _ = writeln!(
            svg,
            r##"<line x1="{x0:.1}" y1="{y:.1}" x2="{x1:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" font-size="15" text-anchor="end">{decade}</text>"##,
            x0 - 8.0,
            y + 5.0
        );
        decade *= 10.0;
    }
    let _ = writeln!(
        svg,
        r##"<rect x="{x0:.1}" y="{y1:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#000"/>"##,
        x1 - x0,
        y0 - y1
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" font-size="16" text-anchor="middle">percentile</text>"#,
        (x0 + x1) / 2.0,
        HEIGHT - 20.0
    );
    let _ = writeln!(
        svg,
        r#"<text transform="translate(25 {:.1}) rotate(-90)" font-size="16" text-anchor="middle">latency (µs)</text>"#,
        (y0 + y1) / 2.0
    );
}

fn draw_legend(svg: &mut String, series: &[Series]) {
    let entries: Vec<(String, String)> = std::iter::once((
        format!("p99 budget: {BUDGET_US} µs"),
        r##"stroke="#000" stroke-opacity="0.7" stroke-width="2""##.to_string(),
    ))
    .chain(
        series
            .iter()
            .map(|s| (s.label.clone(), stroke(s.colour, s.dashed))),
    )
    .collect();
    let (x, y) = (LEFT + 15.0, TOP + 15.0);
    let _ = writeln!(
        svg,
        r##"<rect x="{x}" y="{y}" width="330" height="{}" fill="white" fill-opacity="0.85" stroke="#000" stroke-opacity="0.3"/>"##,
        10.0 + 22.0 * entries.len() as f64
    );
    for (i, (label, style)) in entries.iter().enumerate() {
        let row = y + 20.0 + 22.0 * i as f64;
        let _ = writeln!(
            svg,
            r#"<line x1="{:.1}" y1="{row:.1}" x2="{:.1}" y2="{row:.1}" {style}/><text x="{:.1}" y="{:.1}" font-size="15">{}</text>"#,
            x + 10.0,
            x + 40.0,
            x + 50.0,
            row + 5.0,
            escape(label)
        );
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn percentile_label(x: f64) -> String {
    let q = 1.0 - 1.0 / x;
    match x.round() as u64 {
        1 => "p0".into(),
        10 => "p90".into(),
        100 => "p99".into(),
        1_000 => "p99.9".into(),
        10_000 => "p99.99".into(),
        100_000 => "p99.999".into(),
        _ => format!("p{:.3}", q * 100.0),
    }
}
