//! `--format html`: one self-contained page a cron job can attach to an e-mail. The CSS and the
//! charts (SVG drawn by plotters) are inline, there is no JavaScript and nothing is fetched;
//! the page is built with maud, which escapes every value. It prints on A4, a section a page.
//!
//! Columns are found by their fixed names ([`crate::reports::Column::name`]), so any subset of
//! sections renders: the headline numbers and the funnel need `totals`, the trend `weekly`.

use std::io::{self, Write};

use maud::{html, Markup, PreEscaped, DOCTYPE};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::document::{period_words, Collected, Document, DocumentFormat};
use super::{plain, Output};
use crate::db::Backend;
use crate::error::Result;
use crate::reports::period::iso_week_label;
use crate::reports::{totals, Cell, Pct, Section};
use crate::reports::{ReportKind, Window};

/// Rows of the orphans and duplicates listings shown on the page (the rest are counted).
pub const LISTING_ROWS: usize = 100;

/// The Okabe-Ito palette: told apart by readers with any common colour-vision deficiency.
mod palette {
    use plotters::style::RGBColor;
    pub const BLUE: RGBColor = RGBColor(0, 114, 178);
    pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
    pub const SKY: RGBColor = RGBColor(86, 180, 233);
    pub const GREY: RGBColor = RGBColor(90, 90, 90);
    pub const LIGHT: RGBColor = RGBColor(225, 225, 225);
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

/// The cell of `row` in the column named `name`, if the section has that column.
pub(crate) fn cell<'a>(section: &Section, row: &'a [Cell], name: &str) -> Option<&'a Cell> {
    section.columns.iter().position(|c| c.name == name).and_then(|i| row.get(i))
}

/// An integer cell's value.
pub(crate) fn int(cell: Option<&Cell>) -> Option<i64> {
    match cell {
        Some(Cell::Int(v)) => *v,
        _ => None,
    }
}

/// A percentage cell's value.
pub(crate) fn pct(cell: Option<&Cell>) -> Option<Pct> {
    match cell {
        Some(Cell::Pct(v)) => *v,
        _ => None,
    }
}

/// The ISO week (`2026-W47`) when the window is exactly one local Monday-to-Monday week.
pub(crate) fn iso_week(window: &Window) -> Option<String> {
    window.iso_week().map(iso_week_label)
}

/// The backend's name as users write it.
pub(crate) fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Postgres => "PostgreSQL",
        Backend::Sqlite => "SQLite",
    }
}

/// The headline numbers: the totals column, its label, and whether a rise is good news.
const HEADLINES: [(&str, &str, bool); 6] = [
    ("feedback_total", "Feedback", true),
    ("correct_feedback", "Correct", true),
    ("conversion_rate_pct", "Conversion", true),
    ("faqs_live", "FAQs live", true),
    ("orphaned_links", "Orphaned links", false),
    ("dangling_links", "Dangling links", false),
];

/// The funnel's steps: the totals column and what it counts.
const FUNNEL: [(&str, &str); 6] = [
    ("feedback_total", "Feedback received"),
    ("correct_feedback", "Marked correct"),
    ("workflow_attempted", "FAQ workflow ran"),
    ("faq_published", "FAQ published"),
    ("faqs_generated", "Linked to a FAQ"),
    ("faqs_live", "FAQ still live"),
];

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
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11px; overflow-wrap: anywhere; }
tr.partial td { font-style: italic; background: #fff6e0; }
.tag { display: inline-block; border: 1px dashed var(--orange); border-radius: 3px; padding: 0 4px;
  font-size: 11px; font-style: normal; }
td.bar { width: 22%; }
td.reg { white-space: nowrap; }
td.bar svg { display: block; width: 100%; height: 12px; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
section.page { break-before: page; }
@page { size: A4; margin: 14mm 12mm; }
@media print { body { padding: 0; max-width: none; font-size: 12px; } h2 { margin-top: 0; }
  .cards { gap: 6px; } .card .value { font-size: 22px; } }
"#;

fn page(doc: &Document) -> io::Result<Markup> {
    let info = &doc.info;
    let zone = info.window.tz.name();
    let totals = doc.section(ReportKind::Totals).and_then(|c| c.rows.first().map(|r| (c, r.as_slice())));
    let weekly = doc.section(ReportKind::Weekly);
    let trend = weekly.map(|c| weekly_section(c, info.weekly_window.as_ref())).transpose()?;
    let funnel = totals.map(|(c, row)| funnel_section(&c.section, row)).transpose()?;
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
                        " (" (info.generated_at.format("%Y-%m-%dT%H:%M:%SZ")) ") from " (backend_name(info.backend))
                        " by faqlink " (info.version) "."
                    }
                }
                (expectations_box(&doc.expectations))
                @if let Some((c, row)) = totals {
                    (headlines(&c.section, row, doc))
                }
                @if let Some(t) = trend { (t) }
                @if let Some(f) = funnel { (f) }
                @if let Some(c) = doc.section(ReportKind::Experts) { (experts_section(c)) }
                @if let Some(c) = doc.section(ReportKind::Orphans) {
                    (listing(c, "Orphaned and dangling links", "Correct feedback whose FAQ link is missing (orphaned) or points at no FAQ (dangling)."))
                }
                @if let Some(c) = doc.section(ReportKind::Duplicates) {
                    (listing(c, "Duplicate FAQs", "Queries that produced more than one FAQ."))
                }
                @if let Some((c, row)) = totals {
                    section.page {
                        h2 { "All totals" }
                        (table(&c.section, std::slice::from_ref(&row.to_vec()), 1))
                    }
                }
                (later_sections(doc))
                @if doc.sections.is_empty() { p.note { "This run produced no sections." } }
            }
        }
    })
}

/// The six headline numbers with their change against the previous period.
fn headlines(section: &Section, row: &[Cell], doc: &Document) -> Markup {
    let previous = doc.previous_totals.as_ref();
    html! {
        section.headlines {
            h2 { "Headline numbers" }
            @if let Some((w, _)) = previous {
                p.note { "Change against the previous period of the same length: " (period_words(w)) "." }
            }
            div.cards {
                @for (name, label, rise_is_good) in HEADLINES {
                    @let now = cell(section, row, name);
                    @let before = previous.and_then(|(_, p)| cell(&totals::SECTION, p, name));
                    div.card {
                        div.label { (label) }
                        div {
                            span.value data-metric=(name) { (now.and_then(|c| plain(c, '.')).unwrap_or_else(|| "n/a".into())) }
                            @if matches!(now, Some(Cell::Pct(_))) { span.unit { "%" } }
                        }
                        @if let Some(before) = before {
                            (change(now, before, rise_is_good))
                        }
                    }
                }
            }
        }
    }
}

/// `▲ +12 (+3.4 %) from 340`: an arrow and a sign, so the direction does not rely on colour.
fn change(now: Option<&Cell>, before: &Cell, rise_is_good: bool) -> Markup {
    let (delta, text) = match (now, before) {
        (Some(Cell::Int(Some(a))), Cell::Int(Some(b))) => {
            let d = a - b;
            let rel = Pct::of(d, *b).map(|p| format!(" ({}{} %)", if d > 0 { "+" } else { "" }, p.format('.')));
            (d.signum(), format!("{}{d}{} from {b}", if d > 0 { "+" } else { "" }, rel.unwrap_or_default()))
        }
        (Some(Cell::Pct(Some(a))), Cell::Pct(Some(b))) => {
            let d = Pct(a.0 - b.0);
            (d.0.signum(), format!("{}{} pts from {} %", if d.0 > 0 { "+" } else { "" }, d.format('.'), b.format('.')))
        }
        _ => (0, format!("previous: {}", plain(before, '.').unwrap_or_else(|| "n/a".into()))),
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
    complete: bool,
}

fn weekly_section(c: &Collected, own_window: Option<&Window>) -> io::Result<Markup> {
    let s = &c.section;
    let weeks: Vec<Week> = c
        .rows
        .iter()
        .map(|r| Week {
            label: cell(s, r, "iso_week").and_then(|c| plain(c, '.')).unwrap_or_default(),
            feedback: int(cell(s, r, "feedback_total")).unwrap_or(0),
            conversion: pct(cell(s, r, "conversion_rate_pct")),
            complete: !matches!(cell(s, r, "complete"), Some(Cell::Bool(false))),
        })
        .collect();
    let partial = weeks.iter().filter(|w| !w.complete).count();
    let chart = if weeks.is_empty() { None } else { Some(trend_chart(&weeks)?) };
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
                            "Pale dashed bars, hollow points and the word “partial” mark weeks that are not complete (the week has not ended, or the data or window covers only part of it): do not compare them with full weeks."
                        }
                    }
                }
                @if weeks.len() < 4 {
                    p.note { "This period holds " (weeks.len()) " week(s); for a trend over more weeks, add --trend-weeks 12 (the weekly section then covers the 12 weeks up to the period's end; the other sections keep the period)." }
                }
            } @else {
                p.note { "No weeks in this period." }
            }
            (table(s, &c.rows, c.total_rows))
        }
    })
}

fn draw_err<E: std::fmt::Debug>(what: &str) -> impl Fn(E) -> io::Error + '_ {
    move |e| io::Error::other(format!("drawing the {what}: {e:?}"))
}

/// Feedback volume as bars and conversion % as a line on a second axis.
fn trend_chart(weeks: &[Week]) -> io::Result<String> {
    let err = draw_err("weekly trend chart");
    let n = weeks.len();
    let ymax = weeks.iter().map(|w| w.feedback).max().unwrap_or(0).max(1) as f64 * 1.18;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 340)).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let x = -0.5f64..(n as f64 - 0.5);
        // One to three weeks would fill the plot as walls: their bars get narrower.
        let half = if n < 4 { 0.36 * n as f64 / 4.0 } else { 0.36 };
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(60)
            .right_y_label_area_size(60)
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
            .label_style(("sans-serif", 16))
            .axis_desc_style(("sans-serif", 17))
            .draw()
            .map_err(&err)?;
        chart
            .configure_secondary_axes()
            .y_desc("Conversion %")
            .y_label_formatter(&|v| format!("{v:.0} %"))
            .label_style(("sans-serif", 16))
            .axis_desc_style(("sans-serif", 17))
            .draw()
            .map_err(&err)?;
        let label_every = n.div_ceil(13);
        let small = TextStyle::from(("sans-serif", 15).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
        let above = TextStyle::from(("sans-serif", 15).into_font())
            .color(&palette::GREY)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        for (i, w) in weeks.iter().enumerate() {
            let xi = i as f64;
            let (l, r) = (xi - half, xi + half);
            let v = w.feedback as f64;
            if w.complete {
                chart.draw_series([Rectangle::new([(l, 0.0), (r, v)], palette::SKY.filled())]).map_err(&err)?;
            } else {
                chart
                    .draw_series([Rectangle::new([(l, 0.0), (r, v)], palette::SKY.mix(0.3).filled())])
                    .map_err(&err)?;
                let outline = [(l, 0.0), (l, v), (r, v), (r, 0.0)];
                chart
                    .draw_series([DashedPathElement::new(outline, 5, 4, palette::BLUE.stroke_width(2))])
                    .map_err(&err)?;
                chart.draw_series([Text::new("partial", (xi, v + ymax * 0.015), above.clone())]).map_err(&err)?;
            }
            if i % label_every == 0 || i + 1 == n {
                chart.draw_series([Text::new(w.label.clone(), (xi, 0.0), small.clone())]).map_err(&err)?;
            }
        }
        let points: Vec<(f64, f64, bool)> = weeks
            .iter()
            .enumerate()
            .filter_map(|(i, w)| w.conversion.map(|p| (i as f64, p.as_f64(), w.complete)))
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
    Ok(label_svg(svg, "Weekly trend: feedback per week and conversion %; the table below has the numbers"))
}

/// Gives plotters' SVG an accessible role and name.
fn label_svg(svg: String, label: &str) -> String {
    let label = html! { (label) }.into_string();
    svg.replacen("<svg ", &format!("<svg role=\"img\" aria-label=\"{label}\" "), 1)
}

fn funnel_section(section: &Section, row: &[Cell]) -> io::Result<Markup> {
    let steps: Vec<(&str, &str, Option<i64>)> =
        FUNNEL.iter().map(|&(name, label)| (name, label, int(cell(section, row, name)))).collect();
    let first = steps.first().and_then(|s| s.2).unwrap_or(0);
    let svg = funnel_chart(&steps)?;
    Ok(html! {
        section.page.funnel {
            h2 { "Funnel: from feedback to a live FAQ" }
            figure {
                (PreEscaped(svg))
                figcaption { "Each bar counts the feedback that reached that step; the table gives the numbers." }
            }
            table {
                thead { tr { th { "Step" } th.num { "Count" } th.num { "% of previous step" } th.num { "% of feedback" } } }
                tbody {
                    @for (i, (name, label, v)) in steps.iter().enumerate() {
                        @let prev = if i == 0 { None } else { steps[i - 1].2 };
                        tr {
                            td { (label) }
                            td.num data-funnel=(name) { (v.map(|v| v.to_string()).unwrap_or_else(|| "n/a".into())) }
                            td.num { (ratio(*v, prev)) }
                            td.num { (ratio(*v, Some(first))) }
                        }
                    }
                }
            }
        }
    })
}

fn ratio(part: Option<i64>, whole: Option<i64>) -> String {
    match (part, whole) {
        (Some(p), Some(w)) => Pct::of(p, w).map(|p| format!("{} %", p.format('.'))).unwrap_or_else(|| "–".into()),
        _ => "–".into(),
    }
}

/// The funnel as horizontal bars, widest first, each labelled with its count.
fn funnel_chart(steps: &[(&str, &str, Option<i64>)]) -> io::Result<String> {
    let err = draw_err("funnel chart");
    let n = steps.len();
    let max = steps.iter().filter_map(|s| s.2).max().unwrap_or(0).max(1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .y_label_area_size(0)
            .x_label_area_size(0)
            .build_cartesian_2d(0f64..max * 1.45, n as f64..0f64)
            .map_err(&err)?;
        let label = TextStyle::from(("sans-serif", 17).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        let value = TextStyle::from(("sans-serif", 17).into_font().style(FontStyle::Bold))
            .pos(Pos::new(HPos::Left, VPos::Center));
        let left = max * 0.38;
        let scale = (max * 1.45 - left) / max * 0.82;
        for (i, (_, name, v)) in steps.iter().enumerate() {
            let y = i as f64;
            let v = v.unwrap_or(0) as f64;
            let colour = if i == 0 { palette::SKY } else { palette::BLUE };
            chart.draw_series([Text::new(name.to_string(), (0.0, y + 0.5), label.clone())]).map_err(&err)?;
            chart
                .draw_series([Rectangle::new([(left, y + 0.15), (left + v * scale, y + 0.85)], colour.filled())])
                .map_err(&err)?;
            chart
                .draw_series([Text::new(
                    format!("{}", v as i64),
                    (left + v * scale + max * 0.01, y + 0.5),
                    value.clone(),
                )])
                .map_err(&err)?;
        }
        root.present().map_err(&err)?;
    }
    Ok(label_svg(svg, "Funnel from feedback received to FAQs still live; the table beside it has the numbers"))
}

/// The leaderboard with each expert's FAQ rate drawn as a bar beside its number.
fn experts_section(c: &Collected) -> Markup {
    let s = &c.section;
    html! {
        section.page.experts {
            h2 { "Expert leaderboard" }
            p.note { "Correct feedback per expert and how much of it became a FAQ; the bar draws the FAQ rate (0–100 %)." }
            @if c.rows.is_empty() {
                p.note { "No expert gave correct feedback in this period." }
            } @else {
                table {
                    thead { tr {
                        th { "Registration no." } th { "Expert id" } th.num { "Correct feedback" }
                        th.num { "FAQs generated" } th.num { "FAQ rate %" } th { "FAQ rate" }
                    } }
                    tbody {
                        @for r in &c.rows {
                            @let rate = pct(cell(s, r, "faq_rate_pct"));
                            tr {
                                td.reg { (text(cell(s, r, "professional_registration_number"))) }
                                td.id { (text(cell(s, r, "expert_id"))) }
                                td.num { (text(cell(s, r, "total_feedback"))) }
                                td.num { (text(cell(s, r, "faqs_generated"))) }
                                td.num { (rate.map(|p| p.format('.')).unwrap_or_else(|| "n/a".into())) }
                                td.bar { (rate_bar(rate)) }
                            }
                        }
                    }
                }
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
fn later_sections(doc: &Document) -> Markup {
    html! {
        @if let Some(c) = doc.section(ReportKind::MovedSummary) {
            section.page {
                h2 { "What moved conversion" }
                p.note { "The change in conversion against the previous period of the same length, split into mix (experts' shares of the correct feedback) and rate (their own rates); the terms add up to the change." }
                (table(&c.section, &c.rows, c.total_rows))
                @if let Some(m) = doc.section(ReportKind::Moved) {
                    (table(&m.section, &m.rows, m.total_rows))
                    p.note { "The last row, without an expert, is the total." }
                }
            }
        }
        @if let Some(c) = doc.section(ReportKind::Latency) {
            section.page {
                h2 { "Time from feedback to FAQ" }
                p.note { "Per ISO week of the feedback: percentiles of the latency (FAQs created before their feedback and missing timestamps counted apart), and the share within the SLA." }
                (table(&c.section, &c.rows, c.total_rows))
            }
        }
    }
}

fn text(cell: Option<&Cell>) -> String {
    cell.and_then(|c| plain(c, '.')).unwrap_or_default()
}

/// A listing with its first rows and a count of the rest.
fn listing(c: &Collected, title: &str, what: &str) -> Markup {
    html! {
        section.page {
            h2 { (title) }
            p.note { (what) " " (c.total_rows) " rows in all." }
            (table(&c.section, &c.rows, c.total_rows))
        }
    }
}

/// A section's rows as a table, headed by the terminal titles; ids in a small monospace
/// font; partial weeks marked in words and by style.
fn table(section: &Section, rows: &[Vec<Cell>], total: u64) -> Markup {
    let rest = total.saturating_sub(rows.len() as u64);
    html! {
        @if rows.is_empty() {
            p.note { "No rows." }
        } @else {
            table data-section=(section.kind.name()) {
                thead { tr { @for c in section.columns {
                    th.num[c.numeric] title=(c.name) { (c.title) }
                } } }
                tbody {
                    @for r in rows {
                        @let partial = matches!(cell(section, r, "complete"), Some(Cell::Bool(false)));
                        tr.partial[partial] {
                            @for (c, v) in section.columns.iter().zip(r) {
                                @let id = !c.numeric && (c.name.ends_with("_id") || c.name.ends_with("_ids"));
                                td.num[c.numeric].id[id] {
                                    @match v {
                                        Cell::Bool(true) => "yes",
                                        Cell::Bool(false) => span.tag { "partial" },
                                        Cell::Seconds(Some(s)) => span title=(format!("{s} s")) { (crate::reports::latency::human(*s)) },
                                        other => (plain(other, '.').unwrap_or_default()),
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if rest > 0 {
                p.note.rest data-rest=(rest) { "… and " (rest) " more rows not shown (the CSV or XLSX output has them all)." }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    /// Partial weeks (`complete` = false) are marked in the chart and the table, by words
    /// and style, not by colour alone; the rest of the page needs no other section.
    #[test]
    fn partial_weeks_are_marked() {
        use crate::reports::{weekly, Column};
        static COLUMNS: std::sync::OnceLock<Vec<Column>> = std::sync::OnceLock::new();
        let columns = COLUMNS.get_or_init(|| {
            let mut c: Vec<Column> = weekly::SECTION.columns.iter().filter(|c| c.name != "complete").copied().collect();
            c.push(Column { name: "complete", title: "Complete", numeric: false });
            c
        });
        let section = Section { columns: columns.as_slice(), ..weekly::SECTION };
        let week = |d: u32, n: i64, complete: bool| {
            let mut row: Vec<Cell> = section
                .columns
                .iter()
                .map(|c| match c.name {
                    "week_start" => Cell::Date(chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap()),
                    "iso_week" => Cell::Text(Some(format!("2026-W{}", 45 + (d - 2) / 7))),
                    "conversion_rate_pct" => Cell::Pct(Pct::of(n / 2, n)),
                    _ => Cell::Int(Some(n)),
                })
                .collect();
            *row.last_mut().unwrap() = Cell::Bool(complete);
            row
        };
        let tz: chrono_tz::Tz = "Europe/Rome".parse().unwrap();
        let doc = Document {
            info: super::super::document::RunInfo {
                window: Window::all(tz),
                generated_at: Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap(),
                version: "test",
                backend: Backend::Sqlite,
                weekly_window: None,
            },
            sections: vec![Collected {
                section,
                rows: vec![week(2, 300, true), week(9, 310, true), week(16, 120, false)],
                total_rows: 3,
            }],
            previous_totals: None,
            expectations: Vec::new(),
        };
        let html = page(&doc).unwrap().into_string();
        assert_eq!(html.matches("<tr class=\"partial\">").count(), 1, "one partial row");
        assert_eq!(html.matches(">\npartial\n</text>").count(), 1, "the chart labels the partial bar");
        assert!(html.contains("all history</strong> · Europe/Rome"));
        assert!(!html.contains("data-metric"), "no totals, no headline numbers");
    }
}
