//! `--format xlsx`: one workbook per run (rust_xlsxwriter): a Summary sheet (the period, the
//! headline numbers beside the previous period's, a native chart of the weekly trend) and a
//! sheet per section.
//!
//! Cells keep their types: counts are numbers, percentages numbers shown `0.00`, dates dates,
//! timestamps date-times in the run's `--tz` (a spreadsheet's date-time has no zone, so the
//! column's header names it: `When (Europe/Rome)`), flags booleans, and text is always
//! written as text, never as a formula (a registration number `=1+1` stays those four
//! characters). Headers are the human titles the HTML page and the table use (`Correct
//! feedback`); the machine names (`total_feedback`) stay in CSV and JSON. Header rows are
//! frozen and carry an autofilter. Partial weeks and weeks before the data are shaded and
//! italic, besides `complete` = FALSE and their `status`.

use std::io::Write;

use chrono_tz::Tz;
use rust_xlsxwriter::{
    Chart, ChartMarker, ChartMarkerType, ChartType, Color, Format, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::document::period_words;
use super::document::{Document, DocumentFormat, Table};
use super::facts::{self, Change, Figure};
use super::table::zoned_title;
use super::{plain, Output};
use crate::error::{Error, Result};
use crate::reports::weekly::WeekStatus;
use crate::reports::{Cell, ReportKind, Row};

/// Excel's rows per sheet.
pub(crate) const EXCEL_ROWS: usize = 1_048_576;

/// Data rows kept per sheet: Excel's limit less the header and a last row noting the rest.
pub(crate) const SHEET_ROWS: usize = EXCEL_ROWS - 2;

/// Excel's longest cell text.
const MAX_TEXT: usize = 32_767;

/// The XLSX workbook.
#[derive(Debug, Default, Clone, Copy)]
pub struct Xlsx;

impl DocumentFormat for Xlsx {
    fn row_limit(&self, _kind: ReportKind) -> Option<usize> {
        Some(SHEET_ROWS)
    }

    fn wants_previous_totals(&self) -> bool {
        true
    }

    fn render(&self, doc: &Document, out: &mut Output) -> Result<()> {
        if out.is_terminal() {
            return Err(Error::Usage(
                "--format xlsx writes a binary workbook: use --output FILE.xlsx or redirect standard output".into(),
            ));
        }
        let bytes =
            workbook(doc).map_err(|e| out.error(std::io::Error::other(format!("building the workbook: {e}"))))?;
        out.write_all(&bytes).map_err(|e| out.error(e))
    }
}

/// The sheet name of a section: its report's name, capitalised, `_` as a space (`Experts`,
/// `Moved summary`), so a new report needs no entry here.
pub fn sheet_name(kind: ReportKind) -> String {
    let name = kind.name().replace('_', " ");
    let mut chars = name.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

struct Formats {
    header: Format,
    pct: Format,
    date: Format,
    datetime: Format,
    title: Format,
    bold: Format,
    note: Format,
}

impl Formats {
    fn new() -> Self {
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xE8EEF4))
                .set_border_bottom(FormatBorder::Thin),
            pct: Format::new().set_num_format("0.00"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            note: Format::new().set_italic().set_font_color(Color::RGB(0x5A5A5A)),
        }
    }

    /// A partial week's look: italic on a pale orange fill, on top of `base`.
    fn partial(base: &Format) -> Format {
        base.clone().set_italic().set_background_color(Color::RGB(0xFFF0D0))
    }
}

/// The whole workbook as bytes.
pub(crate) fn workbook(doc: &Document) -> std::result::Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    wb.push_worksheet(summary(doc, &f)?);
    for c in doc.tables() {
        wb.push_worksheet(section_sheet(&c, &f, doc.info.window.tz)?);
    }
    if !doc.expectations.is_empty() {
        wb.push_worksheet(expectations_sheet(&doc.expectations)?);
    }
    wb.save_to_buffer()
}

/// Writes one cell with its type kept.
fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: &Cell,
    f: &Formats,
    partial: bool,
    tz: Tz,
) -> std::result::Result<(), XlsxError> {
    let fmt = |base: &Format| if partial { Formats::partial(base) } else { base.clone() };
    let plain_fmt = fmt(&Format::new());
    match v {
        Cell::Text(Some(t)) => {
            ws.write_string_with_format(row, col, clip(t).as_ref(), &plain_fmt)?;
        }
        Cell::Int(Some(n)) => {
            ws.write_number_with_format(row, col, *n as f64, &plain_fmt)?;
        }
        Cell::Pct(Some(p)) => {
            ws.write_number_with_format(row, col, p.as_f64(), &fmt(&f.pct))?;
        }
        Cell::Timestamp(Some(t)) => {
            ws.write_datetime_with_format(row, col, t.with_timezone(&tz).naive_local(), &fmt(&f.datetime))?;
        }
        Cell::Date(d) => {
            ws.write_datetime_with_format(row, col, *d, &fmt(&f.date))?;
        }
        Cell::Bool(b) => {
            ws.write_boolean_with_format(row, col, *b, &plain_fmt)?;
        }
        Cell::Seconds(Some(s)) => {
            ws.write_number_with_format(row, col, *s, &plain_fmt)?;
        }
        Cell::Text(None) | Cell::Int(None) | Cell::Pct(None) | Cell::Timestamp(None) | Cell::Seconds(None) => {
            if partial {
                ws.write_blank(row, col, &plain_fmt)?;
            }
        }
    }
    Ok(())
}

/// The Expectations sheet: expression, level, status, observed (a number, empty when
/// undefined).
fn expectations_sheet(results: &[crate::expect::Evaluated]) -> std::result::Result<Worksheet, XlsxError> {
    let mut ws = Worksheet::new();
    ws.set_name("Expectations")?;
    let bold = Format::new().set_bold();
    for (i, h) in ["expression", "level", "status", "observed"].iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    for (i, r) in results.iter().enumerate() {
        let row = i as u32 + 1;
        ws.write_string(row, 0, clip(&r.expectation.text).as_ref())?;
        ws.write_string(row, 1, r.expectation.level.name())?;
        ws.write_string(row, 2, r.status.name())?;
        if let Some(v) = r.observed {
            ws.write_number(row, 3, v)?;
        }
    }
    ws.set_column_width(0, width("expression", results.iter().map(|r| r.expectation.text.chars().count())))?;
    ws.set_freeze_panes(1, 0)?;
    Ok(ws)
}

/// Text within Excel's cell limit (a longer value is cut and ends with `…`).
fn clip(t: &str) -> std::borrow::Cow<'_, str> {
    if t.chars().count() <= MAX_TEXT {
        return t.into();
    }
    let end = t.char_indices().nth(MAX_TEXT - 1).map_or(t.len(), |(i, _)| i);
    format!("{}…", &t[..end]).into()
}

/// A width in characters for a column: its header and longest shown value, within 8-60.
fn width(header: &str, values: impl Iterator<Item = usize>) -> f64 {
    let longest = values.take(5_000).max().unwrap_or(0).max(header.chars().count());
    (longest + 2).clamp(8, 60) as f64
}

fn shown_len(v: &Cell) -> usize {
    match v {
        Cell::Timestamp(Some(_)) => 19,
        Cell::Date(_) => 10,
        other => plain(other, '.').map_or(0, |s| s.chars().count()),
    }
}

/// One section: the columns' human titles as the header (a time column naming `tz`, in
/// which its times are written), its rows below, and a note when rows were left out (Excel's
/// row limit).
fn section_sheet(c: &Table, f: &Formats, tz: Tz) -> std::result::Result<Worksheet, XlsxError> {
    let mut ws = Worksheet::new();
    ws.set_name(sheet_name(c.section.kind))?;
    let cols = c.section.columns;
    for (j, col) in cols.iter().enumerate() {
        let title = zoned_title(col.title, tz);
        ws.write_string_with_format(0, j as u16, &title, &f.header)?;
        let w = width(&title, c.rows.iter().filter_map(|r| r.get(j)).map(shown_len));
        ws.set_column_width(j as u16, w)?;
    }
    for (i, r) in c.rows.iter().enumerate() {
        // A week that is not complete: partial, or before the data.
        let partial = c.week_status.get(i).is_some_and(|s| *s != WeekStatus::Complete);
        for (j, v) in r.iter().enumerate() {
            write_cell(&mut ws, i as u32 + 1, j as u16, v, f, partial, tz)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, c.rows.len() as u32, cols.len().saturating_sub(1) as u16)?;
    let rest = c.rest();
    if rest > 0 {
        let note =
            format!("… {rest} more rows not shown: Excel holds {EXCEL_ROWS} rows a sheet (use --format csv for all)");
        ws.write_string_with_format(c.rows.len() as u32 + 1, 0, note, &f.note)?;
    }
    Ok(ws)
}

/// The Summary sheet's table of every `totals` column (from row `r`): this period, the
/// previous one and the change ([`facts::change`]); returns the next free row.
fn totals_block(
    ws: &mut Worksheet,
    mut r: u32,
    t: &crate::reports::totals::TotalsRow,
    doc: &Document,
    f: &Formats,
) -> std::result::Result<u32, XlsxError> {
    let tz = doc.info.window.tz;
    for (j, h) in ["Metric", "This period", "Previous period", "Change"].iter().enumerate() {
        ws.write_string_with_format(r, j as u16, *h, &f.header)?;
    }
    r += 1;
    // The cells of both rows, laid out by the section's columns.
    let now = Row::Totals(t).cells();
    let previous = doc.previous_totals.as_ref().map(|(_, p)| Row::Totals(p).cells());
    for (j, col) in crate::reports::totals::SECTION.columns.iter().enumerate() {
        let now = now.get(j);
        let before = previous.as_ref().and_then(|p| p.get(j));
        ws.write_string(r, 0, col.title)?;
        if let Some(v) = now {
            write_cell(ws, r, 1, v, f, false, tz)?;
        }
        if let Some(v) = before {
            write_cell(ws, r, 2, v, f, false, tz)?;
        }
        let figures = now.and_then(Figure::of_cell).zip(before.and_then(Figure::of_cell));
        match figures.and_then(|(a, b)| facts::change(a, b)) {
            Some(Change::Count { delta, .. }) => {
                ws.write_number(r, 3, delta as f64)?;
            }
            Some(Change::Points { delta, .. }) => {
                ws.write_number_with_format(r, 3, delta.as_f64(), &f.pct)?;
            }
            None => {}
        }
        r += 1;
    }
    Ok(r + 1)
}

/// The Summary sheet: period, headline numbers with the previous period, the weekly chart.
fn summary(doc: &Document, f: &Formats) -> std::result::Result<Worksheet, XlsxError> {
    let mut ws = Worksheet::new();
    ws.set_name("Summary")?;
    ws.set_column_width(0, 26)?;
    ws.set_column_width(1, 22)?;
    ws.set_column_width(2, 22)?;
    ws.set_column_width(3, 14)?;
    ws.write_string_with_format(0, 0, "Expert feedback → FAQ report", &f.title)?;
    let mut r = run_lines(&mut ws, doc, f)? + 1;
    if let Some(t) = &doc.totals {
        r = totals_block(&mut ws, r, t, doc, f)?;
    }
    for c in doc.tables() {
        let rest = c.rest();
        if rest > 0 {
            let note = format!(
                "Sheet {}: {} of {} rows (Excel's row limit)",
                sheet_name(c.section.kind),
                c.rows.len(),
                c.total_rows
            );
            ws.write_string_with_format(r, 0, note, &f.note)?;
            r += 1;
        }
    }
    if let Some(chart) = doc.table(ReportKind::Weekly).filter(|c| !c.rows.is_empty()).and_then(|c| trend_chart(&c)) {
        ws.insert_chart(r + 1, 0, &chart)?;
    }
    Ok(ws)
}

/// The run's facts, a line each from row 2 (period, zone, backend, version, when the data
/// was read, the previous period); returns the next free row.
fn run_lines(ws: &mut Worksheet, doc: &Document, f: &Formats) -> std::result::Result<u32, XlsxError> {
    let info = &doc.info;
    let mut r = 2u32;
    let mut line = |ws: &mut Worksheet, label: &str, value: &str| -> std::result::Result<(), XlsxError> {
        ws.write_string_with_format(r, 0, label, &f.bold)?;
        ws.write_string(r, 1, value)?;
        r += 1;
        Ok(())
    };
    line(ws, "Period", &period_words(&info.window))?;
    if let Some(w) = &info.weekly_window {
        line(ws, "Weekly trend", &period_words(w))?;
    }
    line(ws, "Time zone", info.window.tz.name())?;
    if let Some(w) = info.iso_week() {
        line(ws, "ISO week", &w)?;
    }
    line(ws, "Backend", info.backend.title())?;
    line(ws, "faqlink version", info.version)?;
    let tz = info.window.tz;
    ws.write_string_with_format(r, 0, format!("Data read at ({})", tz.name()), &f.bold)?;
    ws.write_datetime_with_format(r, 1, info.generated_at.with_timezone(&tz).naive_local(), &f.datetime)?;
    r += 1;
    if let Some((w, _)) = &doc.previous_totals {
        ws.write_string_with_format(r, 0, "Previous period", &f.bold)?;
        ws.write_string(r, 1, period_words(w))?;
        r += 1;
    }
    Ok(r)
}

/// The weekly trend as Excel draws it from the Weekly sheet's columns: feedback as bars,
/// conversion as a line on a second axis (`None` when the section lacks a column).
fn trend_chart(c: &Table) -> Option<Chart> {
    let pos = |name: &str| c.section.columns.iter().position(|col| col.name == name);
    let (label, volume, rate) = (pos("iso_week")?, pos("feedback_total")?, pos("conversion_rate_pct")?);
    let (sheet, last) = (&*sheet_name(ReportKind::Weekly), c.rows.len() as u32);
    let mut bars = Chart::new(ChartType::Column);
    bars.add_series().set_name("Feedback").set_categories((sheet, 1, label as u16, last, label as u16)).set_values((
        sheet,
        1,
        volume as u16,
        last,
        volume as u16,
    ));
    let mut line = Chart::new(ChartType::Line);
    line.add_series()
        .set_name("Conversion %")
        .set_categories((sheet, 1, label as u16, last, label as u16))
        .set_values((sheet, 1, rate as u16, last, rate as u16))
        .set_marker(ChartMarker::new().set_type(ChartMarkerType::Circle))
        .set_secondary_axis(true);
    bars.combine(&line);
    bars.title().set_name("Weekly trend (partial weeks and weeks with no data yet: see the Weekly sheet's Status)");
    bars.y_axis().set_name("Feedback");
    bars.y2_axis().set_name("Conversion %");
    bars.set_width(720).set_height(340);
    Some(bars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_clipped_to_excels_limit() {
        let long = "é".repeat(MAX_TEXT + 5);
        assert_eq!(clip(&long).chars().count(), MAX_TEXT);
        assert!(clip(&long).ends_with("é…"));
        assert_eq!(clip("=1+1"), "=1+1");
    }
}
