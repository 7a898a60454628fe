//! Terminal tables (comfy-table). The run starts with its period line; each section is a
//! table under its title.
//!
//! Layout rules (the reports know nothing of them):
//! - a number, date, percentage, timestamp or id is never split across lines; only free
//!   text (registration numbers, lists of ids) wraps, at spaces; headers wrap at spaces;
//! - an expert is shown as registration number plus a short id prefix, and every UUID is
//!   shortened to one prefix length that keeps the ids of the whole output distinct (as git
//!   shortens hashes: at least 7 characters); CSV, JSON, Markdown and XLSX keep full ids;
//! - a width is given (the terminal's): columns get at least their unbreakable width, spare
//!   room goes first to the columns it lets fit on one line; when even that is too wide a
//!   one-row section (totals) is shown as metric/value pairs and the weekly `Week of` date
//!   is left out (the ISO week names the week); no width (piped output, or a terminal that
//!   reports 0 columns) means nothing wraps;
//! - partial weeks are marked `*`, weeks before the first feedback `°` ("no data yet"), each
//!   with a footnote.
//! - a control, bidi or invisible character in the data is shown escaped (`\u{1b}`,
//!   [`escape`]), so no cell can move the cursor, retitle the terminal or reorder the row.
//!
//! The whole run is held until it ends, so the short ids can be chosen over all of it.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use comfy_table::{presets, Attribute, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width};

use super::document::RunInfo;
use super::escape::{self, Visible};
use super::{colour_allowed, Output};
use crate::error::Result;
use crate::reports::weekly::WeekStatus;
use crate::reports::ReportKind;
use crate::reports::{Cell, Column, Section, Sink};

/// Fewest characters of a shortened id.
pub(crate) const MIN_ID_PREFIX: usize = 7;

/// Longest word of free text kept whole when room is short (longer words may split).
const MAX_TEXT_WORD: usize = 16;

/// How a cell is shown in a table: NULL as empty text, an undefined percentage as `–`, text
/// with its control, bidi and invisible characters escaped ([`escape::cell`]). Every value
/// the table shows comes through here.
pub(crate) fn shown(cell: &Cell) -> String {
    match (cell, escape::cell(cell, '.')) {
        (Cell::Pct(_), None) | (Cell::Int(_), None) | (Cell::Seconds(_), None) => "–".into(),
        (Cell::Seconds(Some(s)), _) => crate::reports::latency::human(*s),
        // To the minute: the feedback id tells rows apart; CSV and JSON keep every digit.
        (Cell::Timestamp(Some(t)), _) => t.format("%Y-%m-%d %H:%M").to_string(),
        (_, v) => v.map(Visible::into_string).unwrap_or_default(),
    }
}

/// A timestamp as people read it in the human formats (table, Markdown, HTML): to the
/// minute, in `tz` (the column's title names the zone: [`zoned_title`]). CSV and JSON keep
/// RFC 3339 UTC.
pub(crate) fn local_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// A column title for a human format: a title that says `(UTC)` names `tz` instead, as its
/// times are shown in it (`When (UTC)` → `When (Europe/Rome)`).
pub(crate) fn zoned_title(title: &str, tz: Tz) -> String {
    match title.strip_suffix(" (UTC)") {
        Some(base) => format!("{base} ({})", tz.name()),
        None => title.to_string(),
    }
}

/// True for the canonical text of a UUID (`8-4-4-4-12` hex digits).
pub(crate) fn is_uuid(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Each id's shortest prefix (at least [`MIN_ID_PREFIX`] characters) that no other id of
/// `ids` shares, as git abbreviates hashes.
#[derive(Debug, Default)]
pub(crate) struct ShortIds(HashMap<String, usize>);

impl ShortIds {
    /// The prefixes for `ids` (duplicates allowed).
    pub fn new<'a>(ids: impl IntoIterator<Item = &'a str>) -> Self {
        let sorted: BTreeSet<&str> = ids.into_iter().collect();
        let sorted: Vec<&str> = sorted.into_iter().collect();
        let common = |a: &str, b: &str| a.bytes().zip(b.bytes()).take_while(|(x, y)| x.eq_ignore_ascii_case(y)).count();
        let mut map = HashMap::new();
        for (i, id) in sorted.iter().enumerate() {
            let before = i.checked_sub(1).map_or(0, |j| common(sorted[j], id));
            let after = sorted.get(i + 1).map_or(0, |next| common(id, next));
            map.insert(id.to_string(), (before.max(after) + 1).clamp(MIN_ID_PREFIX, id.len()));
        }
        ShortIds(map)
    }

    /// `text` shortened when it is one of the ids, else unchanged.
    pub(crate) fn short(&self, text: &str) -> String {
        match self.0.get(text) {
            Some(&n) => text[..n].to_string(),
            None => text.to_string(),
        }
    }
}

/// What a column holds, for the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Kept on one line (numbers, dates, ids, codes).
    Whole,
    /// May wrap at spaces.
    Text,
}

/// A column as the table shows it.
struct Shown {
    /// The report column's name (`expert_id` for the merged expert column).
    name: &'static str,
    title: String,
    kind: Kind,
    right: bool,
    cells: Vec<String>,
    /// May be left out when the table does not fit otherwise.
    optional: bool,
    /// The longest unbreakable part of free text (an id in it), kept whole.
    whole: usize,
}

impl Shown {
    fn longest<'a>(texts: impl Iterator<Item = &'a str>) -> usize {
        texts.map(|t| t.chars().count()).max().unwrap_or(0)
    }

    fn words(&self) -> impl Iterator<Item = &str> {
        self.cells.iter().flat_map(|c| c.split([' ', '\n']))
    }

    /// Narrowest width: no header word and no unbreakable value split.
    fn min_width(&self) -> usize {
        let header = Self::longest(self.title.split(' '));
        let content = match self.kind {
            Kind::Whole => Self::longest(self.cells.iter().flat_map(|c| c.lines())),
            Kind::Text => Self::longest(self.words()).min(MAX_TEXT_WORD).max(self.whole),
        };
        header.max(content).max(1)
    }

    /// Width with no value wrapped.
    fn content_width(&self) -> usize {
        Self::longest(self.cells.iter().flat_map(|c| c.lines()))
    }

    /// Width with nothing wrapped.
    fn full_width(&self) -> usize {
        let header = self.title.chars().count();
        header.max(Self::longest(self.cells.iter().flat_map(|c| c.lines()))).max(1)
    }
}

/// Width of a table's borders and padding for `n` columns (`┆` between, one space each side).
fn overhead(n: usize) -> usize {
    3 * n + 1
}

/// Column widths (content only) for `columns` in `width` characters; `None` when even the
/// narrowest layout is wider.
fn fit(columns: &[Shown], width: usize) -> Option<Vec<usize>> {
    let room = width.checked_sub(overhead(columns.len()))?;
    let mut widths: Vec<usize> = columns.iter().map(Shown::min_width).collect();
    let mut spare = room.checked_sub(widths.iter().sum())?;
    // Spare room goes to the values first, then to the headers; each time first to the
    // columns that need least of it to fit on one line.
    for target in [Shown::content_width as fn(&Shown) -> usize, Shown::full_width] {
        let mut order: Vec<usize> = (0..columns.len()).collect();
        order.sort_by_key(|&i| target(&columns[i]).saturating_sub(widths[i]));
        for i in order {
            let more = target(&columns[i]).saturating_sub(widths[i]).min(spare);
            widths[i] += more;
            spare -= more;
        }
    }
    Some(widths)
}

/// One section of a run with its rows.
pub(crate) type Rows = (Section, Vec<Vec<Cell>>);

/// Renders a whole run as text: the period line, then each section under its title. `width`
/// is the terminal's (`None`: nothing wraps); `styled` adds bold headers and colour-free
/// escape sequences only a terminal wants.
pub fn render(info: &RunInfo, sections: &[Rows], width: Option<u16>, styled: bool) -> String {
    let width = width.filter(|w| *w > 0).map(usize::from);
    let ids = ShortIds::new(sections.iter().flat_map(|(s, rows)| uuids(s, rows)));
    let mut text = format!("Period: {}\n", Visible::line(&info.period()));
    if let Some(line) = info.weekly_line() {
        text.push_str(Visible::line(&line).as_str());
        text.push('\n');
    }
    text.push_str(&format!(
        "Data read {} (faqlink {}, {})\n",
        info.generated_at_text(),
        info.version,
        info.backend_name()
    ));
    for (section, rows) in sections {
        text.push('\n');
        let n = rows.len();
        text.push_str(&format!("{} ({} row{})\n", section.title, n, if n == 1 { "" } else { "s" }));
        if n == 0 && !section.single_row {
            text.push_str("(none)\n");
            continue;
        }
        let mut columns = columns(section, rows, &ids, info.window.tz);
        // Narrower and narrower layouts until one fits.
        let narrower: [fn(Vec<Shown>) -> Vec<Shown>; 3] = if section.single_row {
            [transposed, |c| c, |c| c]
        } else {
            [
                |mut c| {
                    c.retain(|c| !c.optional);
                    c
                },
                with_changes_merged,
                |c| c,
            ]
        };
        let mut widths = width.map(|w| fit(&columns, w));
        for step in narrower {
            if widths != Some(None) {
                break;
            }
            columns = step(columns);
            widths = width.map(|w| fit(&columns, w));
        }
        text.push_str(&table(&columns, widths.flatten(), width, styled));
        text.push('\n');
        if section.kind == ReportKind::Weekly {
            for (status, note) in [(WeekStatus::Partial, PARTIAL_NOTE), (WeekStatus::NoDataYet, NO_DATA_NOTE)] {
                if rows.iter().any(|r| week_status(section, r) == status) {
                    text.push_str(note);
                    text.push('\n');
                }
            }
        }
    }
    text
}

/// The footnote under a weekly table with a partial week.
pub(crate) const PARTIAL_NOTE: &str = "* partial week (not over, or cut by the window or the data): no changes shown";

/// The footnote under a weekly table with weeks before the first feedback.
pub(crate) const NO_DATA_NOTE: &str = "° no data yet: the week ends before the first feedback; its zeros mean nothing";

/// A weekly row's status (`complete` when the section gives none).
fn week_status(section: &Section, row: &[Cell]) -> WeekStatus {
    let at = section.columns.iter().position(|c| c.name == "status");
    WeekStatus::of_cell(at.and_then(|i| row.get(i))).unwrap_or_else(|| {
        if row.iter().any(|c| matches!(c, Cell::Bool(false))) {
            WeekStatus::Partial
        } else {
            WeekStatus::Complete
        }
    })
}

/// The mark after a week's ISO name: `*` partial, `°` no data yet.
fn week_mark(status: WeekStatus) -> &'static str {
    match status {
        WeekStatus::Complete => "",
        WeekStatus::Partial => "*",
        WeekStatus::NoDataYet => "°",
    }
}

/// Every UUID the section shows.
fn uuids<'a>(section: &'a Section, rows: &'a [Vec<Cell>]) -> impl Iterator<Item = &'a str> + 'a {
    rows.iter().flat_map(move |row| {
        section.columns.iter().zip(row).flat_map(|(_, cell)| match cell {
            Cell::Text(Some(t)) => t.split(';').filter(|p| is_uuid(p)).collect::<Vec<_>>(),
            _ => Vec::new(),
        })
    })
}

/// The section's columns as shown: ids shortened, expert id and registration number merged,
/// id lists split at spaces, the weekly `complete` flag shown as a mark on the ISO week.
fn columns(section: &Section, rows: &[Vec<Cell>], ids: &ShortIds, tz: Tz) -> Vec<Shown> {
    let names: Vec<&str> = section.columns.iter().map(|c| c.name).collect();
    let at = |name: &str| names.iter().position(|n| *n == name);
    let expert = at("expert_id").zip(at("professional_registration_number"));
    let mut out = Vec::new();
    for (i, col) in section.columns.iter().enumerate() {
        let shown = match col.name {
            "professional_registration_number" if expert.is_some() => continue,
            "complete" | "status" if section.kind == ReportKind::Weekly => continue,
            "expert_id" if expert.is_some() => expert_column(col, rows, i, expert.expect("checked").1, ids),
            "feedback_ids" | "faq_ids" => id_list_column(col, rows, i, ids),
            "iso_week" if section.kind == ReportKind::Weekly => Shown {
                name: col.name,
                title: col.title.into(),
                kind: Kind::Whole,
                right: false,
                cells: rows.iter().map(|r| format!("{}{}", shown(&r[i]), week_mark(week_status(section, r)))).collect(),
                optional: false,
                whole: 0,
            },
            name => Shown {
                name,
                title: zoned_title(col.title, tz),
                kind: Kind::Whole,
                right: col.numeric,
                cells: rows
                    .iter()
                    .map(|r| match r.get(i) {
                        Some(Cell::Timestamp(Some(t))) => local_time(*t, tz),
                        c => ids.short(&c.map(shown).unwrap_or_default()),
                    })
                    .collect(),
                optional: section.kind == ReportKind::Weekly && name == "week_start",
                whole: 0,
            },
        };
        out.push(shown);
    }
    out
}

/// The expert column `i` with the registration number (column `reg`) in front of the short
/// id: the id part never splits; the registration number may wrap.
fn expert_column(col: &Column, rows: &[Vec<Cell>], i: usize, reg: usize, ids: &ShortIds) -> Shown {
    let short: Vec<String> = rows.iter().map(|r| ids.short(&shown(&r[i]))).collect();
    let whole = short.iter().map(|id| id.chars().count()).max().unwrap_or(0);
    let cells = rows
        .iter()
        .zip(short)
        .map(|(r, id)| match shown(&r[reg]) {
            t if t.is_empty() => id,
            t => format!("{t} · {id}"),
        })
        .collect();
    Shown {
        name: col.name,
        title: "Expert (reg. no. · id)".into(),
        kind: Kind::Text,
        right: false,
        cells,
        optional: false,
        whole,
    }
}

/// A list of ids (column `i`), short, wrapping between its ids, never inside one.
fn id_list_column(col: &Column, rows: &[Vec<Cell>], i: usize, ids: &ShortIds) -> Shown {
    let cells: Vec<String> = rows
        .iter()
        .map(|r| r.get(i).map(shown).unwrap_or_default())
        .map(|t| t.split(';').map(|p| ids.short(p)).collect::<Vec<_>>().join(" "))
        .collect();
    let whole = Shown::longest(cells.iter().flat_map(|c| c.split(' ')));
    Shown { name: col.name, title: col.title.into(), kind: Kind::Text, right: false, cells, optional: false, whole }
}

/// The weekly changes shown beside the values they change (`375 (+12)`), in three columns
/// fewer.
fn with_changes_merged(columns: Vec<Shown>) -> Vec<Shown> {
    const PAIRS: [(&str, &str, &str); 3] = [
        ("feedback_total", "feedback_total_change", "Feedback (Δ)"),
        ("faqs_generated", "faqs_generated_change", "FAQs linked (Δ)"),
        ("conversion_rate_pct", "conversion_rate_change_pts", "Conversion % (Δ pts)"),
    ];
    let change_of = |name: &str| PAIRS.iter().find(|p| p.0 == name);
    let is_change = |name: &str| PAIRS.iter().any(|p| p.1 == name);
    let mut out = Vec::new();
    for c in columns.iter() {
        if is_change(c.name) {
            continue;
        }
        let Some((_, change, title)) = change_of(c.name) else {
            out.push(Shown { cells: c.cells.clone(), title: c.title.clone(), ..*c });
            continue;
        };
        let Some(delta) = columns.iter().find(|d| d.name == *change) else {
            out.push(Shown { cells: c.cells.clone(), title: c.title.clone(), ..*c });
            continue;
        };
        let cells = c
            .cells
            .iter()
            .zip(&delta.cells)
            .map(|(v, d)| match d.as_str() {
                "–" | "" => v.clone(),
                d if d.starts_with('-') => format!("{v} ({d})"),
                d => format!("{v} (+{d})"),
            })
            .collect();
        out.push(Shown { title: (*title).into(), cells, ..*c });
    }
    out
}

/// A one-row section as two columns: metric and value.
fn transposed(columns: Vec<Shown>) -> Vec<Shown> {
    vec![
        Shown {
            name: "metric",
            title: "Metric".into(),
            kind: Kind::Text,
            right: false,
            cells: columns.iter().map(|c| c.title.clone()).collect(),
            optional: false,
            whole: 0,
        },
        Shown {
            name: "value",
            title: "Value".into(),
            kind: Kind::Whole,
            right: true,
            cells: columns.iter().map(|c| c.cells.first().cloned().unwrap_or_default()).collect(),
            optional: false,
            whole: 0,
        },
    ]
}

fn table(columns: &[Shown], widths: Option<Vec<usize>>, width: Option<usize>, styled: bool) -> String {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    if styled {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table.set_header(columns.iter().map(|c| {
        let cell = comfy_table::Cell::new(&c.title);
        if styled {
            cell.add_attribute(Attribute::Bold)
        } else {
            cell
        }
    }));
    let rows = columns.first().map_or(0, |c| c.cells.len());
    for r in 0..rows {
        table.add_row(columns.iter().map(|c| c.cells[r].as_str()));
    }
    match (widths, width) {
        (Some(widths), Some(width)) => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_width(u16::try_from(width).unwrap_or(u16::MAX));
            for (i, w) in widths.iter().enumerate() {
                if let Some(col) = table.column_mut(i) {
                    // The constraint's width includes the padding (one space each side).
                    let fixed = u16::try_from(w + 2).unwrap_or(u16::MAX);
                    col.set_constraint(ColumnConstraint::Absolute(Width::Fixed(fixed)));
                }
            }
        }
        // No width, or too narrow even for the narrowest layout: nothing wraps.
        _ => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    for (i, c) in columns.iter().enumerate() {
        if c.right {
            if let Some(col) = table.column_mut(i) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
    }
    table.to_string()
}

/// Table output: the run is held until it ends, then rendered at the terminal's width.
pub(crate) struct TableSink {
    out: Output,
    info: RunInfo,
    styled: bool,
    width: Option<u16>,
    sections: Vec<Rows>,
    /// The rows of the open section, moved into `sections` when it ends.
    current: Vec<Vec<Cell>>,
}

impl TableSink {
    /// A sink writing to `out`: on a terminal at its width (with bold headers unless
    /// `NO_COLOR` or `TERM=dumb`), elsewhere plain and unwrapped.
    pub fn new(out: Output, info: RunInfo) -> Self {
        let terminal = out.is_terminal();
        let styled = terminal && colour_allowed();
        let width = if terminal { Table::new().width().filter(|w| *w > 0) } else { None };
        Self::with_width(out, info, width, styled)
    }

    /// A sink rendering at `width` columns (`None`: no wrapping).
    pub(crate) fn with_width(out: Output, info: RunInfo, width: Option<u16>, styled: bool) -> Self {
        TableSink { out, info, styled, width, sections: Vec::new(), current: Vec::new() }
    }
}

impl Sink for TableSink {
    fn begin(&mut self, _: &Section, _: crate::reports::Protocol<'_>) -> Result<()> {
        Ok(())
    }

    fn row(&mut self, row: crate::reports::Row<'_>, _: crate::reports::Protocol<'_>) -> Result<()> {
        self.current.push(row.cells());
        Ok(())
    }

    fn end(&mut self, by: crate::reports::Protocol<'_>) -> Result<()> {
        self.sections.push((*by.section(), std::mem::take(&mut self.current)));
        Ok(())
    }

    fn finish(self: Box<Self>, _: crate::reports::Complete) -> Result<()> {
        let text = render(&self.info, &self.sections, self.width, self.styled);
        let mut out = self.out;
        out.write_all(text.as_bytes()).map_err(|e| out.error(e))?;
        out.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_grow_until_ids_differ() {
        let a = "1b16f76b-c1ca-4d86-a377-99257264da0f";
        let (e1, e2) = ("e0000000-0000-4000-a000-000000000001", "e0000000-0000-4000-a000-000000000002");
        let (f1, f2) = ("abcdef01-0000-4000-a000-000000000000", "abcdef02-0000-4000-a000-000000000000");
        let ids = ShortIds::new([a, e1, e2, f1, f2, a]);
        assert_eq!(ids.short(a), "1b16f76");
        assert_eq!(ids.short(e1), e1, "ids that differ only in the last digit stay whole");
        assert_eq!(ids.short(f2), "abcdef02");
        assert_eq!(ids.short("faq-232-10"), "faq-232-10");
        assert!(is_uuid("1b16f76b-c1ca-4d86-a377-99257264da0f"));
        assert!(!is_uuid("faq-232-10"));
    }
}
