//! The reports: each module computes its rows in the database and yields them as typed
//! cells; rendering is elsewhere ([`crate::output`]). Every section of one run reads one
//! read-only snapshot.

pub mod counters;
pub mod duplicates;
mod execute;
pub mod experts;
pub mod latency;
pub mod moved;
pub mod orphans;
pub mod parallel;
pub mod period;
pub mod plan;
pub mod shared;
pub mod split;
pub mod totals;
pub mod values;
pub mod weekly;
pub mod window_pass;

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::{Backend, Database, Param, Sql, Timestamp, TimestampReading};
use crate::error::Result;
pub(crate) use execute::explain;
use execute::{emit, emit_latency, emit_moved, execute};
pub use period::Window;

/// The report kinds (`all` expands to every one, in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// Per-expert rates.
    Experts,
    /// Totals.
    Totals,
    /// Orphaned and dangling links.
    Orphans,
    /// Duplicate FAQs per query.
    Duplicates,
    /// Weekly trend.
    Weekly,
    /// Time from feedback to FAQ per ISO week ([`latency`]).
    Latency,
    /// Why conversion moved: per-expert mix and rate contributions ([`moved`]).
    Moved,
    /// The headline of [`ReportKind::Moved`] (written by it, never asked for alone).
    MovedSummary,
}

impl ReportKind {
    /// The five sections every `report all` starts with, in order.
    pub const ALL: [ReportKind; 5] =
        [ReportKind::Experts, ReportKind::Totals, ReportKind::Orphans, ReportKind::Duplicates, ReportKind::Weekly];

    /// What `report all` prints over `window`: [`ReportKind::ALL`], then, when the window is
    /// bounded on both sides (a week, a month: the period a PM reviews), `latency` and `moved`
    /// (which compares the window with the previous period of the same length). Over the
    /// whole history `report all` keeps its five sections: latency's percentiles sort every
    /// linked row of the history (1M rows: `report all` 1.3 s became 3.4 s on PostgreSQL and
    /// 9.5 s on SQLite), and `report latency` gives them when asked.
    pub fn bundle(window: &Window) -> Vec<ReportKind> {
        let mut kinds = ReportKind::ALL.to_vec();
        if window.previous().is_some() {
            kinds.extend([ReportKind::Latency, ReportKind::Moved]);
        }
        kinds
    }

    /// The report's name (also its file name stem and JSON key).
    pub(crate) fn name(self) -> &'static str {
        match self {
            ReportKind::Experts => "experts",
            ReportKind::Totals => "totals",
            ReportKind::Orphans => "orphans",
            ReportKind::Duplicates => "duplicates",
            ReportKind::Weekly => "weekly",
            ReportKind::Latency => "latency",
            ReportKind::Moved => "moved",
            ReportKind::MovedSummary => "moved_summary",
        }
    }
}

/// A percentage with exactly two decimals, stored as hundredths of a percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pct(pub i64);

impl Pct {
    /// `ROUND(part * 100 / whole, 2)` with exact decimal arithmetic and halves away from
    /// zero (PostgreSQL `numeric` semantics); `None` when `whole` is 0.
    pub(crate) fn of(part: i64, whole: i64) -> Option<Pct> {
        if whole == 0 {
            return None;
        }
        let num = i128::from(part) * 10_000;
        let den = i128::from(whole);
        let (q, r) = (num / den, num % den);
        let away = 2 * r.abs() >= den.abs();
        let sign = if (num < 0) != (den < 0) { -1 } else { 1 };
        Some(Pct((q + if away { sign } else { 0 }) as i64))
    }

    /// Text with two decimals and the given decimal separator, e.g. `12.50` or `-3,05`.
    pub(crate) fn format(self, decimal: char) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!("{sign}{}{decimal}{:02}", a / 100, a % 100)
    }

    /// As a JSON number (`12.5` for 12.50): the shortest float that prints back the same.
    pub fn as_f64(self) -> f64 {
        self.format('.').parse().unwrap_or(f64::NAN)
    }
}

/// One value of a report row, typed so each renderer can format it its own way.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text (NULL is `None`); subject to CSV formula neutralisation.
    Text(Option<String>),
    /// A count or other integer (NULL is `None`); signed integers may be negative.
    Int(Option<i64>),
    /// A percentage (or a change in percentage points); `None` when undefined.
    Pct(Option<Pct>),
    /// An instant, rendered in RFC 3339 UTC.
    Timestamp(Option<DateTime<Utc>>),
    /// A calendar date.
    Date(NaiveDate),
    /// A yes/no flag (e.g. whether a week is complete): `true`/`false` in CSV and JSON.
    Bool(bool),
    /// A duration in seconds (NULL is `None`): a number in CSV, JSON and XLSX, `1d 4h` for
    /// people (table, Markdown, HTML; [`latency::human`]).
    Seconds(Option<f64>),
}

/// One row of any report, typed: renderers that read fields match on it (exhaustively, so a
/// new report kind does not compile until each of them places it), and the generic [`Cell`]
/// view that CSV, JSON, Markdown and the terminal table print is [`Row::cells`], derived here
/// only.
#[derive(Debug, Clone, Copy)]
pub enum Row<'a> {
    /// A row of `experts`.
    Expert(&'a experts::ExpertRow),
    /// The row of `totals`.
    Totals(&'a totals::TotalsRow),
    /// A row of `orphans`.
    Orphan(&'a orphans::OrphanRow),
    /// A row of `duplicates`.
    Duplicate(&'a duplicates::DuplicateRow),
    /// A row of `weekly`.
    Week(&'a weekly::WeekRow),
    /// A row of `latency`.
    Latency(&'a latency::LatencyRow),
    /// The row of `moved_summary` (the headline of `moved`).
    MovedSummary(&'a moved::Moved),
    /// A row of `moved`: an expert's (`Some`), or the total row (`None`).
    Moved(&'a moved::Moved, Option<&'a moved::MovedRow>),
}

impl Row<'_> {
    /// The report this row belongs to.
    pub(crate) fn kind(&self) -> ReportKind {
        match self {
            Row::Expert(_) => ReportKind::Experts,
            Row::Totals(_) => ReportKind::Totals,
            Row::Orphan(_) => ReportKind::Orphans,
            Row::Duplicate(_) => ReportKind::Duplicates,
            Row::Week(_) => ReportKind::Weekly,
            Row::Latency(_) => ReportKind::Latency,
            Row::MovedSummary(_) => ReportKind::MovedSummary,
            Row::Moved(..) => ReportKind::Moved,
        }
    }

    /// The row as cells, in its section's column order.
    pub fn cells(&self) -> Vec<Cell> {
        match self {
            Row::Expert(r) => r.cells(),
            Row::Totals(r) => r.cells(),
            Row::Orphan(r) => r.cells(),
            Row::Duplicate(r) => r.cells(),
            Row::Week(r) => r.cells(),
            Row::Latency(r) => r.cells(),
            Row::MovedSummary(m) => m.summary_cells(),
            Row::Moved(m, line) => m.line_cells(*line),
        }
    }
}

/// How a column is aligned and described.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The fixed CSV/JSON name.
    pub name: &'static str,
    /// A short header for terminal tables.
    pub title: &'static str,
    /// Numbers are right-aligned.
    pub numeric: bool,
}

/// A report's name and columns.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    /// Which report.
    pub kind: ReportKind,
    /// Human title.
    pub title: &'static str,
    /// Columns in their fixed order.
    pub columns: &'static [Column],
    /// Exactly one row (rendered as an object in JSON).
    pub single_row: bool,
}

/// Receives report rows as they are computed; each output format implements it.
///
/// A section's calls come only through [`Open`]: `begin`, `row` and `end` each take a
/// [`Protocol`] token that only `Open` makes, so no code can write a row outside a section,
/// begin one inside another or end one twice: the compiler refuses it. A sink that wraps
/// another hands its token on.
pub trait Sink {
    /// A section begins.
    fn begin(&mut self, section: &Section, by: Protocol<'_>) -> Result<()>;
    /// One row of the current section.
    fn row(&mut self, row: Row<'_>, by: Protocol<'_>) -> Result<()>;
    /// The current section is complete.
    fn end(&mut self, by: Protocol<'_>) -> Result<()>;
    /// Every section is done: flush or commit the output. It takes the sink, so nothing can
    /// be written after it nor can it be called twice, and a [`Complete`], which only a run
    /// whose every section succeeded makes, so a partial run is never committed.
    fn finish(self: Box<Self>, by: Complete) -> Result<()>;

    /// True when this format shows each headline number's change against the previous
    /// period of the same length; the run then calls [`Sink::previous_totals`] (bounded
    /// windows only).
    fn wants_previous_totals(&self) -> bool {
        false
    }

    /// The `totals` row of the previous period of the same length, computed in the same
    /// snapshot, before any section begins.
    fn previous_totals(&mut self, _window: &Window, _row: &totals::TotalsRow) -> Result<()> {
        Ok(())
    }

    /// The latency over the whole window, computed in the run's snapshot when
    /// [`Options::latency_overall`] asked for it (for `--expect`), before [`Sink::finish`].
    fn latency_overall(&mut self, _row: &latency::LatencyRow) -> Result<()> {
        Ok(())
    }

    /// The evaluated expectations (`--expect`, `--warn`), before [`Sink::finish`].
    fn expectations(&mut self, _results: &[crate::expect::Evaluated]) -> Result<()> {
        Ok(())
    }
}

/// Proof that a run wrote every section of its plan, in one snapshot, without an error: the
/// run functions return one with their [`Outcome`] ([`execute`] alone makes it, or
/// [`write_sections`] for rows already in memory), and [`Sink::finish`] needs it. Sinks that
/// wrap others hand it on.
#[derive(Debug, Clone, Copy)]
pub struct Complete(());

/// Writes `sections` of rows already in memory into `sink` and finishes it: the way to
/// render rows that no database run produced.
pub fn write_sections<'r>(mut sink: Box<dyn Sink>, sections: &[(Section, Vec<Row<'r>>)]) -> Result<()> {
    for (section, rows) in sections {
        let mut open = Open::begin(&mut *sink, section)?;
        for row in rows {
            open.row(*row)?;
        }
        open.end()?;
    }
    sink.finish(Complete(()))
}

/// Proof that a call to [`Sink::begin`], [`Sink::row`] or [`Sink::end`] comes from an
/// [`Open`] section, which alone can make one; it names that section, so a sink needs no
/// state of its own to know which section a row or an end belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Protocol<'a>(&'a Section);

impl Protocol<'_> {
    /// The open section.
    pub fn section(&self) -> &Section {
        self.0
    }
}

/// A section open in a sink: rows go in, [`Open::end`] closes it and hands the sink back.
/// While it lives it holds the sink, so no other section can begin.
pub struct Open<'s> {
    sink: &'s mut dyn Sink,
    section: Section,
}

impl<'s> Open<'s> {
    /// Begins `section` in `sink`.
    pub fn begin(sink: &'s mut dyn Sink, section: &Section) -> Result<Open<'s>> {
        sink.begin(section, Protocol(section))?;
        Ok(Open { sink, section: *section })
    }

    /// Writes one row of the section.
    pub fn row(&mut self, row: Row<'_>) -> Result<()> {
        self.sink.row(row, Protocol(&self.section))
    }

    /// Ends the section; the sink is free for the next one.
    pub fn end(self) -> Result<&'s mut dyn Sink> {
        self.sink.end(Protocol(&self.section))?;
        Ok(self.sink)
    }
}

/// Settings of the reports beyond the window (`report latency`'s SLA, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// `--sla` in seconds: a latency at most this long is within the SLA.
    pub sla_seconds: i64,
    /// Also compute the latency over the whole window (for `--expect`).
    pub latency_overall: bool,
    /// The connections the run may use besides its own ([`Resources`]).
    pub resources: Resources,
}

impl Default for Options {
    fn default() -> Self {
        Options { sla_seconds: latency::DEFAULT_SLA_SECONDS, latency_overall: false, resources: Resources::default() }
    }
}

/// What a run may use besides its own connection: an input of the plan ([`plan::plan`]), as
/// `pg_dump -j` takes its number of workers. [`Resources::SERIAL`] runs every section on
/// the run's connection, one after another (the tests compare it with the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resources {
    /// The most readers the run opens on its snapshot besides its own connection (at most
    /// [`plan::MAX_READERS`] are used).
    pub max_readers: usize,
    /// On SQLite, a section over the whole history of a table with at least this many rows
    /// splits its scan with a reader ([`split`]).
    pub split_min_rows: i64,
}

impl Resources {
    /// One connection, one section after another.
    pub const SERIAL: Resources = Resources { max_readers: 0, split_min_rows: i64::MAX };
}

impl Default for Resources {
    fn default() -> Self {
        Resources { max_readers: plan::MAX_READERS, split_min_rows: split::SPLIT_MIN_ROWS }
    }
}

/// What a run found, for exit codes.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// Rows in the orphans report, when it ran.
    pub orphan_rows: u64,
    /// Sections computed on connections of their own, at once ([`parallel`]).
    pub parallel_sections: usize,
    /// Whether every section came from one pass over the window ([`window_pass`]).
    pub one_pass: bool,
    /// The latency over the whole window, when [`Options::latency_overall`] asked for it.
    pub latency_overall: Option<latency::LatencyRow>,
}

/// Produces `kinds` into `sink`, all from one read-only snapshot, with "now" from
/// [`period::now`] (which honours `$FAQLINK_NOW`). The caller commits the output with the
/// [`Complete`] returned: `Box::new(sink).finish(complete)`.
pub fn run(
    db: &mut Database,
    kinds: &[ReportKind],
    window: &Window,
    sink: &mut dyn Sink,
) -> Result<(Outcome, Complete)> {
    run_at(db, kinds, window, period::now()?, sink)
}

/// [`run`] with "now" given: a week that has not ended by `now` is not complete. When the
/// sink asks for it and the window is bounded on both sides, the totals of the previous
/// period of the same length ([`Window::previous`]) are computed in the same snapshot and
/// handed over before the first section.
pub fn run_at(
    db: &mut Database,
    kinds: &[ReportKind],
    window: &Window,
    now: DateTime<Utc>,
    sink: &mut dyn Sink,
) -> Result<(Outcome, Complete)> {
    run_with(db, kinds, window, None, now, sink)
}

/// [`run_at`] with the weekly section over its own window (`--trend-weeks`,
/// [`Window::trend`]) instead of `window`, when `weekly_window` is given.
pub fn run_with(
    db: &mut Database,
    kinds: &[ReportKind],
    window: &Window,
    weekly_window: Option<&Window>,
    now: DateTime<Utc>,
    sink: &mut dyn Sink,
) -> Result<(Outcome, Complete)> {
    run_with_options(db, kinds, window, weekly_window, now, &Options::default(), sink)
}

/// [`run_with`] with the reports' [`Options`]: the run is planned ([`plan::plan`]), then
/// executed ([`execute`]).
pub fn run_with_options(
    db: &mut Database,
    kinds: &[ReportKind],
    window: &Window,
    weekly_window: Option<&Window>,
    now: DateTime<Utc>,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<(Outcome, Complete)> {
    let request =
        plan::Request { kinds, window, weekly_window, options, previous_totals: sink.wants_previous_totals() };
    let plan = plan::plan(db.backend(), request)?;
    execute(db, &plan, now, sink)
}

/// A report computed alone: the one place each kind's own computation is called (a new
/// report adds its arm here, beside its `ReportKind`).
/// One section computed alone (its scan split with `reader` when given).
pub(crate) struct Section1<'a> {
    pub db: &'a mut Database,
    pub reader: Option<split::Reader<'a>>,
    pub plan: &'a plan::Plan,
    pub now: DateTime<Utc>,
    pub background: &'a mut parallel::Background,
}

impl Section1<'_> {
    pub(crate) fn emit(
        &mut self,
        kind: ReportKind,
        sink: &mut dyn Sink,
        outcome: &mut Outcome,
        known_orphans: &mut Option<orphans::Branches>,
    ) -> Result<()> {
        let (db, window) = (&mut *self.db, &self.plan.window);
        match kind {
            ReportKind::Experts => {
                let rows = experts::rows(db, self.reader.as_mut().map(split::Reader::reborrow), window)?;
                emit(sink, &experts::SECTION, rows.iter().map(Row::Expert))
            }
            ReportKind::Totals => {
                let row = if self.background.counts_dangling() {
                    let background = &mut *self.background;
                    let mut dangling = || background.wait_dangling();
                    totals::row_with(
                        db,
                        self.reader.as_mut().map(split::Reader::reborrow),
                        window,
                        Some(&mut dangling),
                    )?
                } else {
                    totals::row(db, self.reader.as_mut().map(split::Reader::reborrow), window)?
                };
                *known_orphans = Some(orphans::Branches::counted(row.counters.orphaned_links, row.dangling_links));
                emit(sink, &totals::SECTION, std::iter::once(Row::Totals(&row)))
            }
            ReportKind::Orphans => {
                let mut open = Open::begin(sink, &orphans::SECTION)?;
                let branches = known_orphans.unwrap_or(orphans::Branches::ALL);
                outcome.orphan_rows = orphans::stream(db, window, branches, |row| open.row(Row::Orphan(&row)))?;
                open.end().map(|_| ())
            }
            ReportKind::Duplicates => {
                let mut open = Open::begin(sink, &duplicates::SECTION)?;
                duplicates::stream(db, window, |row| open.row(Row::Duplicate(&row)))?;
                open.end().map(|_| ())
            }
            ReportKind::Weekly => {
                let weeks = self.plan.weekly_window.as_ref().unwrap_or(window);
                let rows = weekly::rows(db, self.reader.as_mut().map(split::Reader::reborrow), weeks, self.now)?;
                emit(sink, &weekly::SECTION, rows.iter().map(Row::Week))
            }
            ReportKind::Latency => {
                let overall = self.plan.options.latency_overall;
                let report = latency::compute(db, window, self.plan.options.sla_seconds, overall)?;
                emit_latency(sink, report, overall, outcome)
            }
            // Written with `moved`, which the plan puts right after it.
            ReportKind::MovedSummary => Ok(()),
            ReportKind::Moved => {
                let before = window.previous().expect("the plan checked that the window is bounded");
                emit_moved(sink, &moved::compute(db, &before, window)?)
            }
        }
    }
}

/// Appends ` AND <column> >= since AND <column> < until` for the bounds that are set, the
/// column read the one way this statement reads timestamps ([`Sql::ts`]). A bound compares
/// NULL as unknown, so a bounded window leaves NULL timestamps out. When the snapshot holds
/// values outside the representable range ([`TimestampReading::Normalised`]), they are left
/// out too, window or not (docs/METRICS.md): every report calls this for every row source.
pub(crate) fn push_window(sql: &mut Sql, column: &str, window: &Window) {
    let read = sql.ts(column);
    if sql.timestamps() == TimestampReading::Normalised {
        match sql.backend() {
            // A bound compares the read value, which is NULL outside the range: only an
            // unbounded window needs the test. Each bound also gets a test on the stored text
            // that keeps the timestamp index's range: a value's own date (its first ten
            // characters) is at most a day from its UTC date.
            Backend::Sqlite if window.is_bounded() => {
                let day = |t: DateTime<Utc>| t.format("%Y-%m-%d").to_string();
                if let Some(since) = window.since.and_then(|s| s.checked_sub_signed(chrono::Duration::days(1))) {
                    if since >= period::earliest_instant() {
                        sql.push(&format!(" AND {column} >= ")).bind(Param::Text(day(since)));
                    }
                }
                if let Some(until) = window.until.and_then(|u| u.checked_add_signed(chrono::Duration::days(2))) {
                    if until <= period::latest_instant() {
                        sql.push(&format!(" AND {column} < ")).bind(Param::Text(day(until)));
                    }
                }
            }
            Backend::Sqlite => {
                sql.push(&format!(" AND ({column} IS NULL OR {read} IS NOT NULL)"));
            }
            Backend::Postgres => {
                sql.push(&format!(" AND ({column} IS NULL OR ({column} >= "));
                sql.bind(Param::Ts(Timestamp(period::earliest_instant())));
                sql.push(&format!(" AND {column} <= "));
                sql.bind(Param::Ts(Timestamp(period::latest_instant())));
                sql.push("))");
            }
        }
    }
    if let Some(since) = window.since {
        sql.push(" AND ").push(&read).push(" >= ").bind(Param::Ts(Timestamp(since)));
    }
    if let Some(until) = window.until {
        sql.push(" AND ").push(&read).push(" < ").bind(Param::Ts(Timestamp(until)));
    }
}

/// Appends ` AND ef.generated_faq_id IN (…)`: the row's link names no faq_entries row (a
/// dangling link), for rows in the window.
///
/// The anti-join reads only the narrow index on generated_faq_id (both backends) to find the
/// FAQ ids that are missing, and the rows carrying them are looked up afterwards; joining
/// every linked row to faq_entries cost a lookup per row on SQLite (1M rows: `report totals`
/// 0.63 s -> 0.35 s) and made PostgreSQL read the wide reporting index for the anti-join
/// (10M rows: `report orphans` 3.9 s -> 1.9 s).
pub(crate) fn push_dangling(sql: &mut Sql, window: &Window) {
    sql.push(
        " AND ef.generated_faq_id IN (SELECT d.generated_faq_id FROM expert_feedback d \
           WHERE d.generated_faq_id IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM faq_entries fe WHERE fe.id = d.generated_faq_id)",
    );
    push_window(sql, "d.feedback_timestamp", window);
    sql.push(")");
    push_window(sql, "ef.feedback_timestamp", window);
}

/// Shorthand for a column description.
pub(crate) const fn col(name: &'static str, title: &'static str, numeric: bool) -> Column {
    Column { name, title, numeric }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_halves_away_from_zero() {
        let f = |p, w| Pct::of(p, w).map(|x| x.format('.'));
        assert_eq!(f(1, 8).unwrap(), "12.50");
        assert_eq!(f(1, 16).unwrap(), "6.25");
        assert_eq!(f(1, 160).unwrap(), "0.63");
        assert_eq!(f(1, 800).unwrap(), "0.13");
        assert_eq!(f(2, 3).unwrap(), "66.67");
        assert_eq!(f(1, 3).unwrap(), "33.33");
        assert_eq!(f(5, 5).unwrap(), "100.00");
        assert_eq!(f(0, 7).unwrap(), "0.00");
        assert_eq!(f(-1, 8).unwrap(), "-12.50");
        assert_eq!(f(1, 0), None);
        assert_eq!(Pct(-305).format(','), "-3,05");
        assert_eq!(Pct(1250).as_f64(), 12.5);
    }
}
