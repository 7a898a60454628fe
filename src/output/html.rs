//! `--format html`: one self-contained page a cron job can attach to an e-mail. The CSS and the
//! charts (SVG drawn by plotters) are inline, there is no JavaScript and nothing is fetched;
//! the page is built with maud, which escapes every value. It prints on A4, a section a page.
//!
//! Every number is read from the document's typed rows ([`Document`]), so any subset of
//! sections renders: the headline numbers and the funnel need `totals`, the trend `weekly`;
//! a section the run did not produce is left out. The tables of every column are derived
//! from the same rows ([`Document::table`]).

use std::io::{self, Write};

use chrono_tz::Tz;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::document::{period_words, Document, DocumentFormat, Listing, Table};
use super::escape;
use super::facts::{self, Change, Figure};
use super::table::{local_time, zoned_title};
use super::Output;
use crate::error::Result;
use crate::reports::experts::ExpertRow;
use crate::reports::period::iso_week_label;
use crate::reports::totals::TotalsRow;
use crate::reports::weekly::{WeekRow, WeekStatus};
use crate::reports::{Cell, Column, Pct};
use crate::reports::{ReportKind, Window};

/// Rows of the orphans and duplicates listings shown on the page (the rest are counted).
pub(crate) const LISTING_ROWS: usize = 100;

/// The Okabe-Ito palette: told apart by readers with any common colour-vision deficiency.
mod palette {
    use plotters::style::RGBColor;
    pub(crate) const BLUE: RGBColor = RGBColor(0, 114, 178);
    pub(crate) const VERMILLION: RGBColor = RGBColor(213, 94, 0);
    pub(crate) const SKY: RGBColor = RGBColor(86, 180, 233);
    pub(crate) const GREY: RGBColor = RGBColor(90, 90, 90);
    pub(crate) const LIGHT: RGBColor = RGBColor(225, 225, 225);
}

/// The HTML report.
#[derive(Debug, Default, Clone, Copy)]
pub struct Html;

impl DocumentFormat for Html {
    fn row_limit(&self, kind: ReportKind) -> Option<usize> {
        match kind {
            ReportKind::Orphans | ReportKind::Duplicates => Some(LISTING_ROWS),
            _ => None,
        }
    }

    fn wants_previous_totals(&self) -> bool {
        true
    }

    fn render(&self, doc: &Document, out: &mut Output) -> Result<()> {
        let page = page(doc).map_err(|e| out.error(e))?;
        out.write_all(page.into_string().as_bytes()).map_err(|e| out.error(e))
    }
}

/// The headline numbers of `t`: the column's name (the card's `data-metric`), its label,
/// whether a rise is good news, and the figure.
fn headline_figures(t: &TotalsRow) -> [(&'static str, &'static str, bool, Figure); 6] {
    let c = &t.counters;
    [
        ("feedback_total", "Feedback", true, Figure::Count(c.feedback_total)),
        ("correct_feedback", "Correct", true, Figure::Count(c.correct_feedback)),
        ("conversion_rate_pct", "Conversion", true, Figure::Rate(t.conversion_rate_pct())),
        ("faqs_live", "FAQs live", true, Figure::Count(t.faqs_live)),
        ("orphaned_links", "Orphaned links", false, Figure::Count(c.orphaned_links)),
        ("dangling_links", "Dangling links", false, Figure::Count(t.dangling_links)),
    ]
}

/// The funnel's steps of `t`: the column's name (the count's `data-funnel`), what it counts,
/// and the count.
fn funnel_steps(t: &TotalsRow) -> [(&'static str, &'static str, i64); 6] {
    let c = &t.counters;
    [
        ("feedback_total", "Feedback received", c.feedback_total),
        ("correct_feedback", "Marked correct", c.correct_feedback),
        ("workflow_attempted", "FAQ workflow ran", c.workflow_attempted),
        ("faq_published", "FAQ published", c.faq_published),
        ("faqs_generated", "Linked to a FAQ", c.faqs_generated),
        ("faqs_live", "FAQ still live", t.faqs_live),
    ]
}

const CSS: &str = r#"
:root { --ink:#1a1a1a; --muted:#5a5a5a; --rule:#d0d0d0; --blue:#0072b2; --orange:#e69f00; --verm:#d55e00; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: var(--ink);
  margin: 0 auto; padding: 24px; max-width: 1000px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 2px solid var(--ink); padding-bottom: 2px; }
p.period { font-size: 16px; margin: 0; }
p.meta, p.note, figcaption { color: var(--muted); font-size: 12px; margin: 4px 0; }
.cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 10px; margin: 14px 0; }
.card { border: 1px solid var(--rule); border-radius: 6px; padding: 10px 12px; break-inside: avoid; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 28px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .unit { font-size: 18px; margin-left: 2px; }
.card .change { font-size: 12px; font-variant-numeric: tabular-nums; }
.good { color: var(--blue); } .bad { color: var(--verm); } .flat { color: var(--muted); }
figure { margin: 8px 0; break-inside: avoid; }
figure svg { display: block; width: 100%; height: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: 12px; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--rule); padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
table.vertical { width: auto; min-width: 50%; }
table.vertical th { background: none; font-weight: normal; color: var(--muted); }
td.when { white-space: nowrap; }
td.id, td.ids { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11px; }
td.id { white-space: nowrap; }
td.ids { overflow-wrap: anywhere; }
tr.partial td, tr.nodata td { font-style: italic; background: #fff6e0; }
tr.nodata td { background: #f2f2f2; color: var(--muted); }
.tag { display: inline-block; border: 1px dashed var(--orange); border-radius: 3px; padding: 0 4px;
  font-size: 11px; font-style: normal; white-space: nowrap; }
.tag.nodata { border-color: var(--muted); }
td.bar { width: 22%; min-width: 60px; }
td.reg { white-space: nowrap; }
td.reg.long { white-space: normal; overflow-wrap: anywhere; min-width: 10em; }
td.bar svg { display: block; width: 100%; height: 12px; }
.scroll { max-width: 100%; overflow-x: auto; }
figure svg.narrow { display: none; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
section.page { break-before: page; }
@page { size: A4; margin: 14mm 12mm; }
@media print { body { padding: 0; max-width: none; font-size: 12px; } h2 { margin-top: 0; }
  .cards { gap: 6px; } .card .value { font-size: 22px; } .scroll { overflow: visible; } }
@media screen and (max-width: 820px) {
  body { padding: 12px; }
  h1 { font-size: 20px; }
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }
  .card { padding: 8px 10px; }
  .card .value { font-size: 22px; }
  figure svg.wide { display: none; }
  figure svg.narrow { display: block; }
  /* A row per card, each value under its column's name: nothing to scroll to. */
  table.stack thead { display: none; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack tr { border-bottom: 1px solid var(--rule); padding: 4px 0; }
  table.stack td { border: 0; padding: 1px 0; text-align: left; overflow-wrap: anywhere; }
  table.stack td::before { content: attr(data-label) ": "; color: var(--muted); font: 12px system-ui, sans-serif; }
  table.stack td.id::before { display: block; }
  table.stack td:empty { display: none; }
  table.stack td.bar { width: 60%; }
  table.stack td.bar::before { content: none; }
}
"#;

fn page(doc: &Document) -> io::Result<Markup> {
    let info = &doc.info;
    let zone = info.window.tz.name();
    let totals = doc.totals.as_ref();
    let tz = info.window.tz;
    let trend = doc
        .weeks
        .as_ref()
        .zip(doc.table(ReportKind::Weekly))
        .map(|(weeks, table)| weekly_section(weeks, &table, info.weekly_window.as_ref(), tz))
        .transpose()?;
    let funnel = totals.map(funnel_section).transpose()?;
    let title = format!("faqlink report · {}", period_words(&info.window));
    Ok(html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { "Expert feedback → FAQ report" }
                    p.period data-period=(period_words(&info.window)) {
                        strong { (period_words(&info.window)) }
                        @if !info.window.is_bounded() { " · " (zone) }
                    }
                    p.meta {
                        "Data read " (info.generated_at.with_timezone(&info.window.tz).format("%Y-%m-%d %H:%M %Z"))
                        " (" (info.generated_at.format("%Y-%m-%dT%H:%M:%SZ")) ") from " (info.backend.title())
                        " by faqlink " (info.version) "."
                    }
                }
                (expectations_box(&doc.expectations))
                @if let Some(t) = totals {
                    (headlines(t, doc))
                }
                @if let Some(t) = trend { (t) }
                @if let Some(f) = funnel { (f) }
                @if let Some(experts) = &doc.experts { (experts_section(experts)) }
                @if let Some(c) = doc.table(ReportKind::Orphans) {
                    (listing(&c, "Orphaned and dangling links", "Correct feedback whose FAQ link is missing (orphaned) or points at no FAQ (dangling).", tz))
                }
                @if let Some(c) = doc.table(ReportKind::Duplicates) {
                    (listing(&c, "Duplicate FAQs", "Queries that produced more than one FAQ.", tz))
                }
                @if let Some(c) = doc.table(ReportKind::Totals).filter(|_| totals.is_some()) {
                    section.page {
                        h2 { "All totals" }
                        (table(&c, tz))
                    }
                }
                (later_sections(doc, tz))
                @if doc.sections.is_empty() { p.note { "This run produced no sections." } }
            }
        }
    })
}

/// The six headline numbers with their change against the previous period.
fn headlines(t: &TotalsRow, doc: &Document) -> Markup {
    let previous = doc.previous_totals.as_ref();
    let before = previous.map(|(_, p)| headline_figures(p));
    html! {
        section.headlines {
            h2 { "Headline numbers" }
            @if let Some((w, _)) = previous {
                p.note { "Change against the previous period of the same length: " (period_words(w)) "." }
            }
            div.cards {
                @for (i, (name, label, rise_is_good, now)) in headline_figures(t).into_iter().enumerate() {
                    div.card {
                        div.label { (label) }
                        div {
                            span.value data-metric=(name) { (now.text()) }
                            @if matches!(now, Figure::Rate(_)) { span.unit { "%" } }
                        }
                        @if let Some(before) = before.map(|b| b[i].3) {
                            (change(now, before, rise_is_good))
                        }
                    }
                }
            }
        }
    }
}

/// `▲ +12 (+3.4 %) from 340`: an arrow and a sign, so the direction does not rely on colour.
fn change(now: Figure, before: Figure, rise_is_good: bool) -> Markup {
    let change = facts::change(now, before);
    let delta = change.map_or(0, Change::direction);
    let sign = if delta > 0 { "+" } else { "" };
    let text = match change {
        Some(Change::Count { delta: d, before: b, relative }) => {
            let rel = relative.map(|p| format!(" ({sign}{} %)", p.format('.')));
            format!("{sign}{d}{} from {b}", rel.unwrap_or_default())
        }
        Some(Change::Points { delta: d, before: b }) => format!("{sign}{} pts from {} %", d.format('.'), b.format('.')),
        None => format!("previous: {}", before.text()),
    };
    let (arrow, class) = match delta {
        0 => ("■", "flat"),
        d if (d > 0) == rise_is_good => (if d > 0 { "▲" } else { "▼" }, "good"),
        d => (if d > 0 { "▲" } else { "▼" }, "bad"),
    };
    html! { div.change.(class) { (arrow) " " (text) } }
}

/// One week of the trend chart.
struct Week {
    label: String,
    feedback: i64,
    conversion: Option<Pct>,
    status: WeekStatus,
}

impl Week {
    /// The chart's view of a weekly row.
    fn of(r: &WeekRow) -> Week {
        Week {
            label: iso_week_label(r.week_start),
            feedback: r.counters.feedback_total,
            conversion: r.conversion_rate_pct(),
            status: r.status(),
        }
    }

    fn complete(&self) -> bool {
        self.status == WeekStatus::Complete
    }
}

/// How a chart is drawn for one screen: its size in SVG units and its fonts. The page holds
/// both layouts and CSS shows one: the wide one on screens wider than 820 CSS px and in
/// print, the narrow one on phones and tablets. plotters draws text at 0.8 of the size
/// asked, so each keeps its smallest text at 10 CSS px or more where it is shown (15 units
/// in 400 drawn 336 px wide or more, a 360 px phone; 15 in 900 drawn 772 px or more).
#[derive(Debug, Clone, Copy)]
struct Layout {
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

const WIDE: Layout = Layout { class: "wide", size: (900, 340), small: 15, large: 17, max_labels: 13, axis: 60 };
const NARROW: Layout = Layout { class: "narrow", size: (400, 380), small: 15, large: 16, max_labels: 6, axis: 58 };

/// The trend chart over `rows` and the weekly table (`table`, derived from the same rows).
fn weekly_section(rows: &Listing<WeekRow>, table: &Table, own_window: Option<&Window>, tz: Tz) -> io::Result<Markup> {
    let weeks: Vec<Week> = rows.rows.iter().map(Week::of).collect();
    let partial = weeks.iter().filter(|w| w.status == WeekStatus::Partial).count();
    let before_data = weeks.iter().filter(|w| w.status == WeekStatus::NoDataYet).count();
    let chart = if weeks.is_empty() {
        None
    } else {
        Some(format!("{}{}", trend_chart(&weeks, WIDE)?, trend_chart(&weeks, NARROW)?))
    };
    Ok(html! {
        section.trend {
            h2 { "Weekly trend" }
            @if let Some(w) = own_window {
                p.note { "Weeks shown: " (period_words(w)) " (the other sections cover the period above)." }
            }
            @if let Some(svg) = chart {
                figure {
                    (PreEscaped(svg))
                    figcaption {
                        "Bars: feedback received per week (left axis). Line: conversion % (right axis). "
                        @if partial > 0 {
                            "Pale dashed bars, hollow points and the word “partial” mark partial weeks (not over yet, or the window or the data starts or ends inside the week): do not compare them with full weeks. "
                        }
                        @if before_data > 0 {
                            "Weeks marked “no data yet” end before the first feedback: their zeros measure nothing."
                        }
                    }
                }
                @if weeks.len() < 4 {
                    p.note { "This period holds " (weeks.len()) " week(s); for a trend over more weeks, add --trend-weeks 12 (the weekly section then covers the 12 weeks up to the period's end; the other sections keep the period)." }
                }
            } @else {
                p.note { "No weeks in this period." }
            }
            (self::table(table, tz))
        }
    })
}

fn draw_err<E: std::fmt::Debug>(what: &str) -> impl Fn(E) -> io::Error + '_ {
    move |e| io::Error::other(format!("drawing the {what}: {e:?}"))
}

/// Feedback volume as bars and conversion % as a line on a second axis, in `layout`.
fn trend_chart(weeks: &[Week], layout: Layout) -> io::Result<String> {
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
                        chart
                            .draw_series([Text::new("partial", (xi, v + ymax * 0.015), above.clone())])
                            .map_err(&err)?;
                    }
                }
                // Nothing to draw but the words: its zeros measure nothing.
                WeekStatus::NoDataYet if words => {
                    chart.draw_series([Text::new("no data", (xi, ymax * 0.015), above.clone())]).map_err(&err)?;
                    chart.draw_series([Text::new("yet", (xi, ymax * 0.085), above.clone())]).map_err(&err)?;
                }
                WeekStatus::NoDataYet => {}
            }
            // Counted back from the last week, so the last is labelled and no two crowd.
            if (n - 1 - i) % label_every == 0 {
                // The narrow chart names weeks without their year (W47); the table has both.
                let label = match layout.class {
                    "narrow" => w.label.split_once('-').map_or(w.label.as_str(), |(_, wk)| wk).to_string(),
                    _ => w.label.clone(),
                };
                chart.draw_series([Text::new(label, (xi, 0.0), small.clone())]).map_err(&err)?;
            }
        }
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
        root.present().map_err(&err)?;
    }
    Ok(label_svg(svg, "Weekly trend: feedback per week and conversion %; the table below has the numbers", layout))
}

/// Gives plotters' SVG an accessible role and name, and the class of its layout.
fn label_svg(svg: String, label: &str, layout: Layout) -> String {
    let label = html! { (label) }.into_string();
    svg.replacen("<svg ", &format!("<svg class=\"{}\" role=\"img\" aria-label=\"{label}\" ", layout.class), 1)
}

fn funnel_section(t: &TotalsRow) -> io::Result<Markup> {
    let steps = funnel_steps(t);
    let first = steps[0].2;
    let svg = format!("{}{}", funnel_chart(&steps, WIDE)?, funnel_chart(&steps, NARROW)?);
    Ok(html! {
        section.page.funnel {
            h2 { "Funnel: from feedback to a live FAQ" }
            figure {
                (PreEscaped(svg))
                figcaption { "Each bar counts the feedback that reached that step; the table gives the numbers." }
            }
            div.scroll { table.stack data-section="funnel" {
                thead { tr { th { "Step" } th.num { "Count" } th.num { "% of previous step" } th.num { "% of feedback" } } }
                tbody {
                    @for (i, (name, label, v)) in steps.iter().enumerate() {
                        @let prev = if i == 0 { None } else { Some(steps[i - 1].2) };
                        tr {
                            td data-label="Step" { (label) }
                            td.num data-funnel=(name) data-label="Count" { (v) }
                            td.num data-label="% of previous step" { (ratio(*v, prev)) }
                            td.num data-label="% of feedback" { (ratio(*v, Some(first))) }
                        }
                    }
                }
            } }
        }
    })
}

fn ratio(part: i64, whole: Option<i64>) -> String {
    match whole {
        Some(w) => Pct::of(part, w).map(|p| format!("{} %", p.format('.'))).unwrap_or_else(|| "–".into()),
        None => "–".into(),
    }
}

/// The funnel as horizontal bars, widest first, each labelled with its count: labels left
/// of the bars in the wide layout, above them in the narrow one.
fn funnel_chart(steps: &[(&str, &str, i64)], layout: Layout) -> io::Result<String> {
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

/// Longest registration number kept on one line (`ODCEC-MI-012345` is 15): a longer one
/// may wrap anywhere, so one odd value cannot widen its table past a phone's screen.
const REG_NOWRAP: usize = 20;

/// The leaderboard with each expert's FAQ rate drawn as a bar beside its number.
fn experts_section(c: &Listing<ExpertRow>) -> Markup {
    html! {
        section.page.experts {
            h2 { "Expert leaderboard" }
            p.note { "Correct feedback per expert and how much of it became a FAQ; the bar draws the FAQ rate (0–100 %)." }
            @if c.rows.is_empty() {
                p.note { "No expert gave correct feedback in this period." }
            } @else {
                div.scroll { table.stack data-section="experts" {
                    thead { tr {
                        th { "Registration no." } th { "Expert id" } th.num { "Correct feedback" }
                        th.num { "FAQs generated" } th.num { "FAQ rate %" } th { "FAQ rate" }
                    } }
                    tbody {
                        @for r in &c.rows {
                            @let rate = r.faq_rate_pct();
                            tr {
                                @let reg = visible(r.professional_registration_number.as_deref());
                                td class=(if reg.chars().count() > REG_NOWRAP { "reg long" } else { "reg" })
                                    data-label="Registration no." { bdi { (reg) } }
                                td.id data-label="Expert id" { bdi { (visible(Some(&r.expert_id))) } }
                                td.num data-label="Correct feedback" { (r.total_feedback) }
                                td.num data-label="FAQs generated" { (r.faqs_generated) }
                                td.num data-label="FAQ rate %" { (rate.map(|p| p.format('.')).unwrap_or_else(|| "n/a".into())) }
                                td.bar { (rate_bar(rate)) }
                            }
                        }
                    }
                } }
            }
        }
    }
}

/// A 0-100 % bar: a grey track, a blue fill and a tick at the end, so the length reads in
/// greyscale too.
fn rate_bar(rate: Option<Pct>) -> Markup {
    let w = rate.map_or(0.0, |p| (p.as_f64()).clamp(0.0, 100.0));
    let w = format!("{w:.2}");
    html! {
        svg viewBox="0 0 100 12" preserveAspectRatio="none" role="img"
            aria-label=(format!("FAQ rate {} %", rate.map(|p| p.format('.')).unwrap_or_else(|| "n/a".into()))) {
            rect x="0" y="2" width="100" height="8" fill="#e1e1e1" {}
            rect x="0" y="2" width=(w) height="8" fill="#0072b2" {}
        }
    }
}

/// The expectations' results at the top of the page: red when one failed, amber when one
/// warned, else neutral; each line in words, so nothing relies on colour alone.
fn expectations_box(results: &[crate::expect::Evaluated]) -> Markup {
    use crate::expect::Status;
    let failed = results.iter().any(|r| r.status == Status::Fail);
    let warned = results.iter().any(|r| r.status == Status::Warn);
    let (border, background, heading) = match (failed, warned) {
        (true, _) => ("#b00020", "#fde8ea", "Expectations: at least one failed"),
        (false, true) => ("#b26a00", "#fff4e0", "Expectations: a warning"),
        _ => ("#5a6b7b", "#f3f6f9", "Expectations: all met"),
    };
    html! {
        @if !results.is_empty() {
            section.expectations data-status=(if failed { "fail" } else if warned { "warn" } else { "pass" })
                style=(format!("border:2px solid {border};background:{background};padding:0.5em 1em;margin:1em 0;border-radius:4px;overflow-wrap:anywhere")) {
                h2 style="margin-top:0" { (heading) }
                ul style="padding-left:1.2em;margin:0" {
                    @for r in results {
                        li data-status=(r.status.name()) {
                            strong { (r.status.name().to_uppercase()) } " "
                            code { (r.expectation.text) } " (observed "
                            (r.observed.map_or("none".to_string(), crate::expect::format_observed)) ")"
                            @if r.expectation.level == crate::expect::Level::Warn { " · warning only" }
                        }
                    }
                }
            }
        }
    }
}

/// The sections after the classic ones: what moved conversion (headline and experts) and the
/// time from feedback to FAQ, each as a table.
fn later_sections(doc: &Document, tz: Tz) -> Markup {
    html! {
        @if let Some(c) = doc.table(ReportKind::MovedSummary) {
            section.page {
                h2 { "What moved conversion" }
                p.note { "The change in conversion against the previous period of the same length, split into mix (experts' shares of the correct feedback) and rate (their own rates); the terms add up to the change." }
                (vertical(&c, tz))
                @if let Some(m) = doc.table(ReportKind::Moved) {
                    (table(&m, tz))
                    p.note { "The last row, without an expert, is the total." }
                }
            }
        }
        @if let Some(c) = doc.table(ReportKind::Latency) {
            section.page {
                h2 { "Time from feedback to FAQ" }
                p.note { "Per ISO week of the feedback: percentiles of the latency (FAQs created before their feedback and missing timestamps counted apart), and the share within the SLA." }
                (table(&c, tz))
            }
        }
        // Any other section (a report added later) as a table under its title, so that no
        // section of the run is missing from the page.
        @for c in doc.tables().iter().filter(|c| !has_own_view(c.section.kind)) {
            section.page {
                h2 { (c.section.title) }
                (table(c, tz))
            }
        }
    }
}

/// Whether the page shows `kind` in a view of its own (above); any other section is shown as
/// a table under its title.
fn has_own_view(kind: ReportKind) -> bool {
    matches!(
        kind,
        ReportKind::Experts
            | ReportKind::Totals
            | ReportKind::Orphans
            | ReportKind::Duplicates
            | ReportKind::Weekly
            | ReportKind::Latency
            | ReportKind::MovedSummary
            | ReportKind::Moved
    )
}

/// A cell's text for the page: control, bidi and invisible characters shown escaped
/// ([`escape::cell`]); maud escapes the markup, and each cell is put in a `<bdi>` so that
/// right-to-left text in it cannot reorder its neighbours.
fn text(cell: Option<&Cell>) -> String {
    cell.and_then(|c| escape::cell(c, '.')).map(escape::Visible::into_string).unwrap_or_default()
}

/// Text of a typed field for the page, as [`text`] shows it (`None`: empty).
fn visible(t: Option<&str>) -> String {
    t.map(|t| escape::Visible::text(t).into_string()).unwrap_or_default()
}

/// A table cell's class: `num` (right-aligned), `id` (one id), `ids` (a list of ids), `reg`
/// (a registration number, one line unless long) or `when` (a date, time or ISO week, never
/// split); `None` for plain text.
fn cell_class(c: &Column, v: &Cell) -> Option<&'static str> {
    if c.numeric {
        Some("num")
    } else if c.name.ends_with("_id") {
        Some("id")
    } else if c.name.ends_with("_ids") {
        Some("ids")
    } else if c.name == "professional_registration_number" {
        // One line, as in the leaderboard, unless it is too long for one.
        let long = matches!(v, Cell::Text(Some(t)) if t.chars().count() > REG_NOWRAP);
        Some(if long { "reg long" } else { "reg" })
    } else if matches!(v, Cell::Date(_) | Cell::Timestamp(_)) || c.name == "iso_week" {
        Some("when")
    } else {
        None
    }
}

/// A listing with its first rows and a count of the rest.
fn listing(c: &Table, title: &str, what: &str, tz: Tz) -> Markup {
    html! {
        section.page {
            h2 { (title) }
            p.note { (what) " " (c.total_rows) " rows in all." }
            (table(c, tz))
        }
    }
}

/// A section's rows as a table, headed by the terminal titles (a time column names `tz`, in
/// which its times are shown); ids in a small monospace font; dates and times never split;
/// partial weeks and weeks before the data marked in words and by style. On a phone every
/// table but the weekly one shows each row as a card of `name: value` lines; the weekly table
/// scrolls inside its own box when wider than the screen. The page itself never scrolls
/// sideways.
fn table(t: &Table, tz: Tz) -> Markup {
    let (section, rows, rest) = (&t.section, &t.rows, t.rest());
    let weekly = section.kind == ReportKind::Weekly;
    html! {
        @if rows.is_empty() {
            p.note { "No rows." }
        } @else {
            // Weeks stay a table (its first columns say most); the others become cards on a phone.
            div.scroll { table class=[(!weekly).then_some("stack")] data-section=(section.kind.name()) {
                thead { tr { @for c in section.columns {
                    th.num[c.numeric] title=(c.name) { (zoned_title(c.title, tz)) }
                } } }
                tbody {
                    @for (r, status) in rows.iter().zip(t.week_status.iter().copied().map(Some).chain(std::iter::repeat(None))) {
                        @let class = match status {
                            Some(WeekStatus::Partial) => Some("partial"),
                            Some(WeekStatus::NoDataYet) => Some("nodata"),
                            _ => None,
                        };
                        tr class=[class] {
                            @for (c, v) in section.columns.iter().zip(r) {
                                td class=[cell_class(c, v)] data-label=(zoned_title(c.title, tz)) {
                                    (cell(c, v, status, tz))
                                }
                            }
                        }
                    }
                }
            } }
            @if rest > 0 {
                p.note.rest data-rest=(rest) { "… and " (rest) " more rows not shown (the CSV or XLSX output has them all)." }
            }
        }
    }
}

/// One cell's content: booleans in words, times in `tz`, a week's status as a tag, seconds
/// for people (exact in the tooltip), any other text escaped and isolated.
fn cell(c: &Column, v: &Cell, status: Option<WeekStatus>, tz: Tz) -> Markup {
    html! {
        @match v {
            Cell::Bool(true) => "yes",
            Cell::Bool(false) => "no",
            Cell::Timestamp(Some(t)) => (local_time(*t, tz)),
            other if c.name == "status" => @match status {
                Some(WeekStatus::Partial) => span.tag { "partial" },
                Some(WeekStatus::NoDataYet) => span.tag.nodata { "no data yet" },
                _ => (text(Some(other))),
            },
            Cell::Seconds(Some(s)) => span title=(format!("{s} s")) { (crate::reports::latency::human(*s)) },
            other => bdi { (text(Some(other))) },
        }
    }
}

/// A one-row section as a column of `name: value` lines (its many columns would not fit
/// side by side on a desktop screen).
fn vertical(t: &Table, tz: Tz) -> Markup {
    html! {
        @if let Some(row) = t.rows.first() {
            table.vertical data-section=(t.section.kind.name()) { tbody {
                @for (c, v) in t.section.columns.iter().zip(row) {
                    tr { th title=(c.name) { (zoned_title(c.title, tz)) } td class=[cell_class(c, v)] { (cell(c, v, None, tz)) } }
                }
            } }
        } @else {
            p.note { "No rows." }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    /// Partial weeks are marked in the chart and the table, by words and style, not by colour
    /// alone; the rest of the page needs no other section.
    #[test]
    fn partial_weeks_are_marked() {
        use crate::reports::counters::WeekCounters;
        use crate::reports::weekly;
        let week = |d: u32, n: i64, complete: bool| WeekRow {
            week_start: chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
            counters: WeekCounters { feedback_total: n, correct_feedback: n, faqs_generated: n / 2, orphaned_links: n },
            previous: None,
            complete,
            before_data: false,
        };
        let tz: chrono_tz::Tz = "Europe/Rome".parse().unwrap();
        let mut doc = Document::new(super::super::document::RunInfo {
            window: Window::all(tz),
            generated_at: Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap(),
            version: "test",
            backend: super::super::Engine::Sqlite,
            weekly_window: None,
        });
        doc.sections.push(weekly::SECTION);
        let rows = vec![week(2, 300, true), week(9, 310, true), week(16, 120, false)];
        doc.weeks = Some(Listing { rows, total_rows: 3 });
        let html = page(&doc).unwrap().into_string();
        assert_eq!(html.matches("<tr class=\"partial\">").count(), 1, "one partial row");
        assert_eq!(html.matches(">\npartial\n</text>").count(), 2, "both charts (wide, narrow) label the partial bar");
        assert!(html.contains("all history</strong> · Europe/Rome"));
        assert!(!html.contains("data-metric"), "no totals, no headline numbers");
    }
}
