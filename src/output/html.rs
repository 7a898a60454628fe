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

use super::document::{period_words, Document, DocumentFormat, Listing, Table};
use super::escape;
use super::facts::{self, Change, Figure};
use super::table::{local_time, zoned_title};
use super::Output;
use crate::error::Result;
use crate::reports::experts::ExpertRow;
use crate::reports::totals::TotalsRow;
use crate::reports::weekly::{WeekRow, WeekStatus};
use crate::reports::{Cell, Column, Pct};
use crate::reports::{ReportKind, Window};
use charts::{funnel_chart, trend_chart, Week, NARROW, WIDE};

mod charts;

/// Rows of the orphans and duplicates listings shown on the page (the rest are counted).
pub(crate) const LISTING_ROWS: usize = 100;

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

/// The page's style sheet (screen, phone and print), inlined in every page.
const CSS: &str = concat!("\n", include_str!("html/style.css"));

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
