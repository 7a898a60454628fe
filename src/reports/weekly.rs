//! `report weekly`: one row per ISO week (Monday 00:00 in `--tz`), empty weeks as zeros,
//! with week-over-week changes after the fixed columns, then a `complete` flag and the
//! week's `status` in words ([`WeekStatus`]: complete, partial, or no data yet).
//!
//! A week is complete when it lies wholly inside the data's window (bounded by `--since`/
//! `--until` when given, else below by the first feedback's timestamp; and never before
//! the table's first feedback) and has ended by "now". A partial week's changes are left empty (NULL), and so are those of the week
//! after it, whose comparison base is partial: no partial count is set against a whole one.
//!
//! Week boundaries are computed in Rust with the zone's rules (so daylight-saving weeks and
//! ISO week 53 are ordinary weeks) and the database only groups rows into time buckets
//! that never straddle a boundary: one pass, and a few thousand groups leave the database
//! at most, never feedback rows.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::sql_types::{BigInt, Nullable};
use diesel::QueryableByName;

use super::counters::{self, WeekCounters};
use super::period::{iso_week_label, local_midnight, week_start};
use super::split::{self, Part, Sample};
use super::{col, Cell, Pct, Section};
use super::{ReportKind, Window};
use crate::db::types::PortableTimestamptz;
use crate::db::{Backend, Database, Sql, Timestamp};
use crate::error::Result;

/// Column layout: the fixed columns of docs/CLI.md, then the week-over-week changes.
pub const SECTION: Section = Section {
    kind: ReportKind::Weekly,
    title: "Weekly trend",
    columns: &[
        col("week_start", "Week of", false),
        col("iso_week", "ISO week", false),
        col("feedback_total", "Feedback", true),
        col("correct_feedback", "Correct", true),
        col("faqs_generated", "FAQs linked", true),
        col("conversion_rate_pct", "Conversion %", true),
        col("orphaned_links", "Orphaned", true),
        col("feedback_total_change", "Δ feedback", true),
        col("faqs_generated_change", "Δ FAQs", true),
        col("conversion_rate_change_pts", "Δ conv. pts", true),
        col("complete", "Complete", false),
        col("status", "Status", false),
    ],
    single_row: false,
};

/// What a week's numbers are: the `status` column, in every format. A week that ends
/// before the first feedback of the table is not a partial week but one before the data:
/// its zeros measure nothing, and it has its own label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeekStatus {
    /// Wholly inside the window and the data, and over.
    Complete,
    /// Not over yet, or the window or the data starts or ends inside it.
    Partial,
    /// Ends at or before the first feedback there is: no data yet.
    NoDataYet,
}

impl WeekStatus {
    /// Every status.
    pub const ALL: [WeekStatus; 3] = [WeekStatus::Complete, WeekStatus::Partial, WeekStatus::NoDataYet];

    /// The words every format shows (`status` column of CSV and JSON included).
    pub(crate) fn label(self) -> &'static str {
        match self {
            WeekStatus::Complete => "complete",
            WeekStatus::Partial => "partial",
            WeekStatus::NoDataYet => "no data yet",
        }
    }

    /// The status a `status` cell names.
    pub(crate) fn of_cell(cell: Option<&Cell>) -> Option<WeekStatus> {
        match cell {
            Some(Cell::Text(Some(t))) => WeekStatus::ALL.into_iter().find(|s| s.label() == t),
            _ => None,
        }
    }
}

/// One ISO week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekRow {
    /// The Monday, as a local date.
    pub week_start: NaiveDate,
    /// The counters of the week's feedback rows (in the window) that the report shows.
    pub counters: WeekCounters,
    /// The previous week's row, for the change columns (`None` for the first week and
    /// when this week or the previous one is partial).
    pub previous: Option<(i64, i64, Option<Pct>)>,
    /// The week lies wholly inside the data's window and has ended.
    pub complete: bool,
    /// The week ends at or before the first feedback (then it is not complete either).
    pub before_data: bool,
}

impl WeekRow {
    /// faqs_generated / correct_feedback.
    pub(crate) fn conversion_rate_pct(&self) -> Option<Pct> {
        Pct::of(self.counters.faqs_generated, self.counters.correct_feedback)
    }

    /// The week's [`WeekStatus`].
    pub(crate) fn status(&self) -> WeekStatus {
        match (self.complete, self.before_data) {
            (true, _) => WeekStatus::Complete,
            (false, true) => WeekStatus::NoDataYet,
            (false, false) => WeekStatus::Partial,
        }
    }

    /// The row as report cells.
    pub fn cells(&self) -> Vec<Cell> {
        // Every counter by name, no `..`: a new weekly counter does not compile until it is
        // given a column here (and in SECTION).
        let WeekCounters { feedback_total, correct_feedback, faqs_generated, orphaned_links } = self.counters;
        let (d_total, d_faqs, d_rate) = match self.previous {
            Some((total, faqs, rate)) => (
                Some(feedback_total - total),
                Some(faqs_generated - faqs),
                rate.zip(self.conversion_rate_pct()).map(|(a, b)| Pct(b.0 - a.0)),
            ),
            None => (None, None, None),
        };
        vec![
            Cell::Date(self.week_start),
            Cell::Text(Some(iso_week_label(self.week_start))),
            Cell::Int(Some(feedback_total)),
            Cell::Int(Some(correct_feedback)),
            Cell::Int(Some(faqs_generated)),
            Cell::Pct(self.conversion_rate_pct()),
            Cell::Int(Some(orphaned_links)),
            Cell::Int(d_total),
            Cell::Int(d_faqs),
            Cell::Pct(d_rate),
            Cell::Bool(self.complete),
            Cell::Text(Some(self.status().label().to_string())),
        ]
    }
}

#[derive(QueryableByName)]
struct Range {
    #[diesel(sql_type = Nullable<PortableTimestamptz>)]
    first: Option<Timestamp>,
    #[diesel(sql_type = Nullable<PortableTimestamptz>)]
    last: Option<Timestamp>,
}

#[derive(QueryableByName)]
struct First {
    #[diesel(sql_type = Nullable<PortableTimestamptz>)]
    first: Option<Timestamp>,
}

#[derive(QueryableByName)]
struct Bucket {
    #[diesel(sql_type = BigInt)]
    bucket: i64,
    #[diesel(embed)]
    counters: WeekCounters,
}

/// The week starts (UTC instants) covering `[lower, upper]`, plus the end of the last week.
pub(crate) fn boundaries(lower: DateTime<Utc>, upper: DateTime<Utc>, window: &Window) -> Vec<DateTime<Utc>> {
    let mut out = vec![week_start(lower, window.tz)];
    loop {
        let last = *out.last().expect("non-empty");
        let next_monday = last.with_timezone(&window.tz).date_naive() + Duration::days(7);
        let next = local_midnight(next_monday, window.tz);
        out.push(next);
        if next > upper {
            return out;
        }
    }
}

/// Largest bucket width in seconds (dividing an hour) that every boundary falls on: 3600 for
/// zones with whole-hour offsets, 1800 or 900 for the others.
pub(crate) fn bucket_seconds(bounds: &[DateTime<Utc>]) -> i64 {
    fn gcd(a: i64, b: i64) -> i64 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    bounds.iter().fold(3600, |g, b| gcd(g, b.timestamp().rem_euclid(3600)))
}

/// `(select expression, group key)` giving each row's bucket start in epoch seconds, for the
/// timestamp read as `ts` ([`crate::db::Sql::ts`]: on SQLite canonical text either way). This
/// is the one place the backends differ: PostgreSQL bins the timestamp (`date_bin`, integer
/// arithmetic); SQLite cuts the hour out of the canonical text, or reads its whole seconds
/// for sub-hour buckets (never the fraction: SQLite rounds it to milliseconds, and
/// 14:59.9996 would land in the next bucket).
pub(crate) fn bucket_sql(backend: Backend, ts: &str, g: i64) -> (String, String) {
    match backend {
        Backend::Postgres => {
            let key = format!("date_bin(INTERVAL '{g} seconds', {ts}, TIMESTAMPTZ '1970-01-01 00:00:00+00')");
            (format!("CAST(EXTRACT(EPOCH FROM {key}) AS BIGINT)"), key)
        }
        Backend::Sqlite if g == 3600 => {
            let key = format!("substr({ts}, 1, 13)");
            (format!("unixepoch({key} || ':00:00Z')"), key)
        }
        Backend::Sqlite => {
            let key = format!("(unixepoch(substr({ts}, 1, 19) || 'Z') / {g})");
            (format!("{key} * {g}"), key)
        }
    }
}

/// The weeks of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weeks {
    /// Monday 00:00 in the window's zone, from the week of the window's start (or the first
    /// feedback) to just past its end (or the last feedback). N weeks have N + 1 boundaries.
    pub bounds: Vec<DateTime<Utc>>,
    /// Where the data's window starts: the later of `--since` (else the first feedback in
    /// the window) and the first feedback there is at all. A week that starts before it is
    /// partial: the window, or the data, starts in the middle of it.
    pub lower: DateTime<Utc>,
}

/// The weeks of the report; `None` when there is no week to show.
pub(crate) fn bounds(db: &mut Database, window: &Window) -> Result<Option<Weeks>> {
    // The span of weeks: the window's bounds, or the data's first/last timestamp.
    let (lower, upper) = match (window.since, window.until) {
        (Some(s), Some(u)) => (Some(s), Some(u - Duration::microseconds(1))),
        _ => {
            // Two scalar subqueries, so each end is one seek in the timestamp index on both
            // backends (SQLite reads the whole index for a MIN and a MAX in one SELECT: 0.23 s
            // at 1M rows).
            let mut sql = db.sql();
            let ts = sql.ts("ef.feedback_timestamp");
            sql.push(&format!(
                "SELECT (SELECT MIN({ts}) FROM expert_feedback ef WHERE ef.feedback_timestamp IS NOT NULL"
            ));
            super::push_window(&mut sql, "ef.feedback_timestamp", window);
            sql.push(&format!(
                ") AS first, (SELECT MAX({ts}) FROM expert_feedback ef WHERE ef.feedback_timestamp IS NOT NULL"
            ));
            super::push_window(&mut sql, "ef.feedback_timestamp", window);
            sql.push(") AS last");
            let range: Vec<Range> = db.load("finding the weeks of the weekly report", &sql)?;
            let (first, last) = range.first().map_or((None, None), |r| (r.first.map(|t| t.0), r.last.map(|t| t.0)));
            let lower = window.since.or(first);
            let upper = window.until.map(|u| u - Duration::microseconds(1)).or(last);
            // An open end with no feedback to take it from: no weeks to show.
            (lower, upper)
        }
    };
    Ok(match (lower, upper) {
        (Some(lower), Some(upper)) => {
            let data_starts = first_feedback(db, window)?;
            Some(Weeks { bounds: boundaries(lower, upper, window), lower: data_starts.map_or(lower, |f| f.max(lower)) })
        }
        _ => None,
    })
}

/// The first feedback timestamp of the whole table (one seek in the timestamp index), or
/// `None` for a table without timestamps.
fn first_feedback(db: &mut Database, window: &Window) -> Result<Option<DateTime<Utc>>> {
    let mut sql = db.sql();
    let ts = sql.ts("ef.feedback_timestamp");
    sql.push(&format!("SELECT (SELECT MIN({ts}) FROM expert_feedback ef WHERE ef.feedback_timestamp IS NOT NULL"));
    // Values outside the range are no one's first feedback.
    super::push_window(&mut sql, "ef.feedback_timestamp", &Window::all(window.tz));
    sql.push(") AS first");
    let first: Vec<First> = db.load("finding where the feedback starts", &sql)?;
    Ok(first.first().and_then(|r| r.first.map(|t| t.0)))
}

/// One row of zeros per week, each marked complete or partial (see the module's rule).
pub(crate) fn empty_weeks(weeks: &Weeks, window: &Window, now: DateTime<Utc>) -> Vec<WeekRow> {
    weeks
        .bounds
        .windows(2)
        .map(|w| WeekRow {
            week_start: w[0].with_timezone(&window.tz).date_naive(),
            counters: WeekCounters::default(),
            previous: None,
            complete: weeks.lower <= w[0] && window.until.is_none_or(|u| w[1] <= u) && w[1] <= now,
            // Every week starts before its end and the first week holds the window's start,
            // so a week that ends at or before `lower` ends before the first feedback.
            before_data: w[1] <= weeks.lower,
        })
        .collect()
}

/// Fills in each week's previous week, for the change columns: only between two complete
/// weeks.
pub(crate) fn link_previous(weeks: &mut [WeekRow]) {
    for i in 1..weeks.len() {
        let p = &weeks[i - 1];
        let prev = (p.counters.feedback_total, p.counters.faqs_generated, p.conversion_rate_pct());
        weeks[i].previous = (p.complete && weeks[i].complete).then_some(prev);
    }
}

/// The weekly rows.
///
/// With `reader` (a second connection on the same SQLite snapshot) and no window, a large
/// table's buckets are counted in two parts at once ([`split::split_point`] over every row;
/// each part sorts only its own rows for the GROUP BY) and the parts' weeks added up.
pub fn rows(
    db: &mut Database,
    reader: Option<split::Reader<'_>>,
    window: &Window,
    now: DateTime<Utc>,
) -> Result<Vec<WeekRow>> {
    let Some(weeks) = bounds(db, window)? else {
        return Ok(Vec::new());
    };
    let mut rows = match split::plan(db, reader, Sample::All, "the weekly report")? {
        Some((reader, pivot)) => {
            let (mut lower, upper) =
                split::both(db, reader, &pivot, |db, part| count_weeks(db, window, &weeks, now, Some(part)))?;
            for (w, u) in lower.iter_mut().zip(&upper) {
                w.counters += u.counters;
            }
            lower
        }
        None => count_weeks(db, window, &weeks, now, None)?,
    };
    link_previous(&mut rows);
    Ok(rows)
}

/// Counts the rows (of one part, when given) into `weeks`.
fn count_weeks(
    db: &mut Database,
    window: &Window,
    weeks: &Weeks,
    now: DateTime<Utc>,
    part: Option<Part<'_>>,
) -> Result<Vec<WeekRow>> {
    let bounds = &weeks.bounds;
    let sql = statement(db, window, weeks, part);
    let mut rows = empty_weeks(weeks, window, now);
    db.for_each("the weekly report", &sql, |b: Bucket| {
        let start = b.bucket;
        // Index of the last boundary at or before the bucket's start.
        let i = bounds.partition_point(|x| x.timestamp() <= start);
        if let Some(w) = i.checked_sub(1).and_then(|i| rows.get_mut(i)) {
            w.counters += b.counters;
        }
        Ok(())
    })?;
    Ok(rows)
}

/// The statement counting the rows (of one part, when given) per bucket of `weeks`.
pub fn statement(db: &Database, window: &Window, weeks: &Weeks, part: Option<Part<'_>>) -> Sql {
    let g = bucket_seconds(&weeks.bounds);
    let (bucket_select, bucket_key) = bucket_sql(db.backend(), &db.sql().ts("ef.feedback_timestamp"), g);
    // Only the window's own bounds filter: with an open side the weeks were taken from the
    // data, so no row falls outside them, and the planner stays free to read a covering
    // index instead of walking the timestamp index.
    let mut sql = db.sql();
    sql.push("SELECT ")
        .push(&bucket_select)
        .push(" AS bucket, ")
        .push(&counters::WEEK_SQL)
        .push(" FROM expert_feedback ef WHERE ef.feedback_timestamp IS NOT NULL");
    if let Some(part) = part {
        part.push_key(&mut sql);
    }
    super::push_window(&mut sql, "ef.feedback_timestamp", window);
    sql.push(" GROUP BY ").push(&bucket_key);
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    /// For the first feedback at every hour of three weeks (and a window starting before,
    /// inside or after the data's first week): a week that ends at or before the first
    /// feedback is "no data yet", never "partial"; the week the data starts in is partial;
    /// the weeks after it that have ended are complete.
    #[test]
    fn weeks_before_the_first_feedback_are_no_data_yet_not_partial() {
        let window = |since: &str, until: &str| Window {
            since: Some(since.parse().unwrap()),
            until: Some(until.parse().unwrap()),
            tz: "Europe/Rome".parse().unwrap(),
        };
        let now: DateTime<Utc> = "2026-12-30T12:00:00Z".parse().unwrap();
        let mut cases = 0;
        for since in ["2026-08-30T22:00:00Z", "2026-09-03T10:00:00Z"] {
            let w = window(since, "2026-11-22T23:00:00Z");
            let bounds = boundaries(w.since.unwrap(), w.until.unwrap() - Duration::microseconds(1), &w);
            for hour in 0..(21 * 24) {
                let first = "2026-09-14T05:30:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::hours(hour);
                let weeks = Weeks { bounds: bounds.clone(), lower: first.max(w.since.unwrap()) };
                let rows = empty_weeks(&weeks, &w, now);
                for (r, b) in rows.iter().zip(weeks.bounds.windows(2)) {
                    let expected = if b[1] <= first {
                        WeekStatus::NoDataYet
                    } else if b[0] < first || b[0] < w.since.unwrap() {
                        WeekStatus::Partial
                    } else {
                        WeekStatus::Complete
                    };
                    assert_eq!(r.status(), expected, "week {} with the first feedback at {first}", r.week_start);
                    let label = Cell::Text(Some(expected.label().to_string()));
                    assert_eq!(WeekStatus::of_cell(Some(&label)), Some(expected));
                    assert_eq!(r.cells().last(), Some(&label), "the status column is last");
                    cases += 1;
                }
                assert!(rows.iter().any(|r| r.status() == WeekStatus::NoDataYet));
            }
        }
        assert_eq!(cases, 2 * 21 * 24 * 12);
        assert_eq!(SECTION.columns.last().map(|c| c.name), Some("status"));
    }

    #[test]
    fn boundaries_cross_dst_and_fall_on_the_bucket_grid() {
        let w = Window::all("Europe/Rome".parse().unwrap());
        let lo = "2026-10-20T10:00:00Z".parse().unwrap();
        let hi = "2026-11-02T10:00:00Z".parse().unwrap();
        let b = boundaries(lo, hi, &w);
        let s: Vec<String> = b.iter().map(|t| t.to_rfc3339()).collect();
        assert_eq!(
            s,
            [
                "2026-10-18T22:00:00+00:00",
                "2026-10-25T23:00:00+00:00",
                "2026-11-01T23:00:00+00:00",
                "2026-11-08T23:00:00+00:00"
            ]
        );
        assert_eq!(bucket_seconds(&b), 3600);
        let kolkata = Window::all("Asia/Kolkata".parse().unwrap());
        assert_eq!(bucket_seconds(&boundaries(lo, hi, &kolkata)), 1800);
        let kathmandu = Window::all("Asia/Kathmandu".parse().unwrap());
        assert_eq!(bucket_seconds(&boundaries(lo, hi, &kathmandu)), 900);
    }
}
