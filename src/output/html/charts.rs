//! The page's two charts, drawn by plotters as SVG in two layouts each (wide for desktops
//! and print, narrow for phones; the CSS shows one): the weekly trend (feedback as bars,
//! conversion as a line) and the funnel.

use std::io;

use maud::html;
use plotters::chart::DualCoordChartContext;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::reports::period::iso_week_label;
use crate::reports::weekly::{WeekRow, WeekStatus};
use crate::reports::Pct;

/// The Okabe-Ito palette: told apart by readers with any common colour-vision deficiency.
pub(super) mod palette {
    use plotters::style::RGBColor;
    pub(crate) const BLUE: RGBColor = RGBColor(0, 114, 178);
    pub(crate) const VERMILLION: RGBColor = RGBColor(213, 94, 0);
    pub(crate) const SKY: RGBColor = RGBColor(86, 180, 233);
    pub(crate) const GREY: RGBColor = RGBColor(90, 90, 90);
    pub(crate) const LIGHT: RGBColor = RGBColor(225, 225, 225);
}

/// One week of the trend chart.
pub(super) struct Week {
    pub label: String,
    pub feedback: i64,
    pub conversion: Option<Pct>,
    pub status: WeekStatus,
}

impl Week {
    /// The chart's view of a weekly row.
    pub(super) fn of(r: &WeekRow) -> Week {
        Week {
            label: iso_week_label(r.week_start),
            feedback: r.counters.feedback_total,
            conversion: r.conversion_rate_pct(),
            status: r.status(),
        }
    }

    pub(super) fn complete(&self) -> bool {
        self.status == WeekStatus::Complete
    }
}

/// How a chart is drawn for one screen: its size in SVG units and its fonts. The page holds
/// both layouts and CSS shows one: the wide one on screens wider than 820 CSS px and in
/// print, the narrow one on phones and tablets. plotters draws text at 0.8 of the size
/// asked, so each keeps its smallest text at 10 CSS px or more where it is shown (15 units
/// in 400 drawn 336 px wide or more, a 360 px phone; 15 in 900 drawn 772 px or more).
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    /// The SVG's class, which the CSS shows or hides.
    class: &'static str,
    size: (u32, u32),
    /// Tick labels, week labels and per-week words.
    small: u32,
    /// Axis titles and funnel text.
    large: u32,
    /// Most week labels under the bars.
    max_labels: usize,
    /// Width of the axis label areas.
    axis: u32,
}

pub(super) const WIDE: Layout =
    Layout { class: "wide", size: (900, 340), small: 15, large: 17, max_labels: 13, axis: 60 };
pub(super) const NARROW: Layout =
    Layout { class: "narrow", size: (400, 380), small: 15, large: 16, max_labels: 6, axis: 58 };

fn draw_err<E: std::fmt::Debug>(what: &str) -> impl Fn(E) -> io::Error + '_ {
    move |e| io::Error::other(format!("drawing the {what}: {e:?}"))
}

/// Feedback volume as bars and conversion % as a line on a second axis, in `layout`.
pub(super) fn trend_chart(weeks: &[Week], layout: Layout) -> io::Result<String> {
    let err = draw_err("weekly trend chart");
    let n = weeks.len();
    let ymax = weeks.iter().map(|w| w.feedback).max().unwrap_or(0).max(1) as f64 * 1.18;
    // Room per week in SVG units: the words "partial" and "no data yet" need about four
    // characters' widths of it, else only the bars' style and the table below say it.
    let slot = f64::from(layout.size.0 - 2 * layout.axis - 24) / n as f64;
    let words = slot >= f64::from(layout.small) * 4.5;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, layout.size).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let x = -0.5f64..(n as f64 - 0.5);
        // One to three weeks would fill the plot as walls: their bars get narrower.
        let half = if n < 4 { 0.36 * n as f64 / 4.0 } else { 0.36 };
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(layout.axis)
            .right_y_label_area_size(layout.axis)
            .build_cartesian_2d(x.clone(), 0f64..ymax)
            .map_err(&err)?
            .set_secondary_coord(x, 0f64..100f64);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc("Feedback per week")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .max_light_lines(1)
            .light_line_style(palette::LIGHT.mix(0.5))
            .label_style(("sans-serif", layout.small + 1))
            .axis_desc_style(("sans-serif", layout.large))
            .draw()
            .map_err(&err)?;
        chart
            .configure_secondary_axes()
            .y_desc("Conversion %")
            .y_label_formatter(&|v| format!("{v:.0} %"))
            .label_style(("sans-serif", layout.small + 1))
            .axis_desc_style(("sans-serif", layout.large))
            .draw()
            .map_err(&err)?;
        draw_weeks(&mut chart, weeks, layout, Bars { ymax, half, words })?;
        draw_conversion(&mut chart, weeks)?;
        root.present().map_err(&err)?;
    }
    Ok(label_svg(svg, "Weekly trend: feedback per week and conversion %; the table below has the numbers", layout))
}

/// Where the trend chart's bars go: the value axis's top, half a bar's width, and whether
/// there is room for the words under or over a bar.
#[derive(Clone, Copy)]
struct Bars {
    ymax: f64,
    half: f64,
    words: bool,
}

/// The primary coordinates of the trend chart (weeks by feedback).
type TrendChart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Each week's bar (dashed and pale when partial, only words before the data) and, counted
/// back from the last week so that the last is labelled and no two crowd, its label.
fn draw_weeks(chart: &mut TrendChart<'_, '_>, weeks: &[Week], layout: Layout, bars: Bars) -> io::Result<()> {
    let err = draw_err("weekly trend chart");
    let Bars { ymax, half, words } = bars;
    let n = weeks.len();
    let label_every = n.div_ceil(layout.max_labels);
    let small = TextStyle::from(("sans-serif", layout.small).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    let above = TextStyle::from(("sans-serif", layout.small).into_font())
        .color(&palette::GREY)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    for (i, w) in weeks.iter().enumerate() {
        let xi = i as f64;
        let (l, r) = (xi - half, xi + half);
        let v = w.feedback as f64;
        match w.status {
            WeekStatus::Complete => {
                chart.draw_series([Rectangle::new([(l, 0.0), (r, v)], palette::SKY.filled())]).map_err(&err)?;
            }
            WeekStatus::Partial => {
                chart
                    .draw_series([Rectangle::new([(l, 0.0), (r, v)], palette::SKY.mix(0.3).filled())])
                    .map_err(&err)?;
                let outline = [(l, 0.0), (l, v), (r, v), (r, 0.0)];
                chart
                    .draw_series([DashedPathElement::new(outline, 5, 4, palette::BLUE.stroke_width(2))])
                    .map_err(&err)?;
                if words {
                    chart.draw_series([Text::new("partial", (xi, v + ymax * 0.015), above.clone())]).map_err(&err)?;
                }
            }
            // Nothing to draw but the words: its zeros measure nothing.
            WeekStatus::NoDataYet if words => {
                chart.draw_series([Text::new("no data", (xi, ymax * 0.015), above.clone())]).map_err(&err)?;
                chart.draw_series([Text::new("yet", (xi, ymax * 0.085), above.clone())]).map_err(&err)?;
            }
            WeekStatus::NoDataYet => {}
        }
        if (n - 1 - i) % label_every == 0 {
            // The narrow chart names weeks without their year (W47); the table has both.
            let label = match layout.class {
                "narrow" => w.label.split_once('-').map_or(w.label.as_str(), |(_, wk)| wk).to_string(),
                _ => w.label.clone(),
            };
            chart.draw_series([Text::new(label, (xi, 0.0), small.clone())]).map_err(&err)?;
        }
    }
    Ok(())
}

/// The conversion line on the secondary axis, a dot per week: filled when the week is
/// complete, hollow when not.
fn draw_conversion(
    chart: &mut DualCoordChartContext<
        '_,
        SVGBackend<'_>,
        Cartesian2d<RangedCoordf64, RangedCoordf64>,
        Cartesian2d<RangedCoordf64, RangedCoordf64>,
    >,
    weeks: &[Week],
) -> io::Result<()> {
    let err = draw_err("weekly trend chart");
    let points: Vec<(f64, f64, bool)> = weeks
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.conversion.map(|p| (i as f64, p.as_f64(), w.complete())))
        .collect();
    chart
        .draw_secondary_series(LineSeries::new(
            points.iter().map(|&(x, y, _)| (x, y)),
            palette::VERMILLION.stroke_width(3),
        ))
        .map_err(&err)?;
    for &(x, y, complete) in &points {
        let style = if complete { palette::VERMILLION.filled() } else { WHITE.filled() };
        chart.draw_secondary_series([Circle::new((x, y), 6, style)]).map_err(&err)?;
        chart.draw_secondary_series([Circle::new((x, y), 6, palette::VERMILLION.stroke_width(2))]).map_err(&err)?;
    }
    Ok(())
}

/// Gives plotters' SVG an accessible role and name, and the class of its layout.
fn label_svg(svg: String, label: &str, layout: Layout) -> String {
    let label = html! { (label) }.into_string();
    svg.replacen("<svg ", &format!("<svg class=\"{}\" role=\"img\" aria-label=\"{label}\" ", layout.class), 1)
}

/// The funnel as horizontal bars, widest first, each labelled with its count: labels left
/// of the bars in the wide layout, above them in the narrow one.
pub(super) fn funnel_chart(steps: &[(&str, &str, i64)], layout: Layout) -> io::Result<String> {
    let err = draw_err("funnel chart");
    let n = steps.len();
    let max = steps.iter().map(|s| s.2).max().unwrap_or(0).max(1) as f64;
    let narrow = layout.class == "narrow";
    let size = if narrow { (layout.size.0, 56 * n as u32) } else { (layout.size.0, 300) };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .y_label_area_size(0)
            .x_label_area_size(0)
            .build_cartesian_2d(0f64..max * 1.45, n as f64..0f64)
            .map_err(&err)?;
        let label = TextStyle::from(("sans-serif", layout.large).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        let value = TextStyle::from(("sans-serif", layout.large).into_font().style(FontStyle::Bold))
            .pos(Pos::new(HPos::Left, VPos::Center));
        // Where bars start, how long the widest is, and the label's and bar's rows in a step.
        let (left, scale, label_y, bar) =
            if narrow { (0.0, 1.45 / 1.25, 0.28, (0.5, 0.9)) } else { (max * 0.38, 0.0, 0.5, (0.15, 0.85)) };
        let scale = if narrow { scale } else { (max * 1.45 - left) / max * 0.82 };
        for (i, (_, name, v)) in steps.iter().enumerate() {
            let y = i as f64;
            let v = *v as f64;
            let colour = if i == 0 { palette::SKY } else { palette::BLUE };
            chart.draw_series([Text::new(name.to_string(), (0.0, y + label_y), label.clone())]).map_err(&err)?;
            chart
                .draw_series([Rectangle::new([(left, y + bar.0), (left + v * scale, y + bar.1)], colour.filled())])
                .map_err(&err)?;
            chart
                .draw_series([Text::new(
                    format!("{}", v as i64),
                    (left + v * scale + max * 0.01, y + (bar.0 + bar.1) / 2.0),
                    value.clone(),
                )])
                .map_err(&err)?;
        }
        root.present().map_err(&err)?;
    }
    Ok(label_svg(svg, "Funnel from feedback received to FAQs still live; the table beside it has the numbers", layout))
}
