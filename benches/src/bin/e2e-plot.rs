//! Draws the receive-to-handled latency distribution of an `e2e` report as a PNG.
//!
//! `e2e-plot REPORT.json OUT.png` (what `cargo xtask bench --full` runs, writing
//! `docs/img/e2e-latency.png`). The x axis is the percentile on HDR's usual log scale
//! (1 / (1 - q): p50, p90, p99, p99.9, ...), the y axis the latency in microseconds, also
//! logarithmic. Text is rendered with a system TrueType font (DejaVu Sans, from the
//! `fonts-dejavu-core` package); no C library is linked.

use anyhow::{Context, Result, anyhow, bail};
use plotters::prelude::*;
use plotters::style::FontStyle;
use serde_json::Value;

/// Fonts tried in order.
const FONTS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
];

/// Highest quantile drawn (the curve's last point is the maximum).
const TOP_QUANTILE: f64 = 0.99999;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(input), Some(output)) = (args.first(), args.get(1)) else {
        bail!("usage: e2e-plot REPORT.json OUT.png");
    };
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(input).with_context(|| format!("reading {input}"))?,
    )?;
    register_font()?;
    if let Some(dir) = std::path::Path::new(output).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }

    // (label, colour, dashed, points as (x = 1/(1-q), y = µs)).
    let mut series = Vec::new();
    let palette = [RGBColor(31, 119, 180), RGBColor(214, 39, 40)];
    let venues = report["venues"]
        .as_array()
        .context("no venues in the report")?;
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
                            Some((1.0 / (1.0 - q), (ns / 1e3).max(0.05)))
                        })
                        .collect()
                })
                .unwrap_or_default();
            if !points.is_empty() {
                series.push((label, colour, dashed, points));
            }
        }
    }
    if series.is_empty() {
        bail!("no latency curves in {input}");
    }
    let y_max = series
        .iter()
        .flat_map(|s| s.3.iter().map(|p| p.1))
        .fold(100.0f64, f64::max)
        * 2.0;

    let root = BitMapBackend::new(output, (1100, 650)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let title = format!(
        "Loopback receive-to-handled latency (ws-core HDR histogram), {} cores",
        report["cores"].as_u64().unwrap_or(0)
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(20)
        .margin_right(60)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (1.0f64..1.0 / (1.0 - TOP_QUANTILE)).log_scale(),
            (0.05f64..y_max).log_scale(),
        )
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc("percentile")
        .y_desc("latency (µs)")
        .x_label_formatter(&|x| percentile_label(*x))
        .y_label_formatter(&|y| format!("{y}"))
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    // The p99 budget.
    chart
        .draw_series(LineSeries::new(
            [(1.0, 50.0), (1.0 / (1.0 - TOP_QUANTILE), 50.0)],
            BLACK.mix(0.7).stroke_width(2),
        ))
        .map_err(|e| anyhow!("{e}"))?
        .label("p99 budget: 50 µs")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.7).stroke_width(2)));
    for (label, colour, dashed, points) in series {
        let style = if dashed {
            colour.mix(0.45).stroke_width(2)
        } else {
            colour.stroke_width(3)
        };
        chart
            .draw_series(LineSeries::new(points, style))
            .map_err(|e| anyhow!("{e}"))?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 16))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))?;
    eprintln!("plot written to {output}");
    Ok(())
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

fn register_font() -> Result<()> {
    let bytes = FONTS
        .iter()
        .find_map(|path| std::fs::read(path).ok())
        .context("no DejaVu Sans font found; install fonts-dejavu-core")?;
    // Registered once for the life of the process.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
        .map_err(|_| anyhow!("the DejaVu Sans font did not load"))
}
