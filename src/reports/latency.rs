//! `report latency`: how long a `correct` feedback waits for its FAQ, per ISO week of the
//! feedback (Monday 00:00 in `--tz`).
//!
//! The latency of a linked FAQ is `faq_entries.created_at − expert_feedback.feedback_timestamp`
//! for `correct` feedback whose FAQ row exists. Per week: the linked FAQs, the 50th, 90th and
//! 99th percentiles of the latency in seconds, the share within the SLA (`--sla`, latency ≤
//! SLA), and the rows left out of both because faqlink cannot trust them: a negative latency
//! (the FAQ predates its feedback) and a missing timestamp. Rows of the window whose feedback
//! has no timestamp (whole-history runs only) have no week: they form one last row whose week
//! is empty.
//!
//! **Percentiles** follow PostgreSQL's `percentile_cont` over `double precision` seconds bit
//! for bit: with n values sorted ascending and p the fraction, `pos = p · (n − 1)` in double
//! precision, `lo = floor(pos)`, `hi = ceil(pos)` (0-based ranks), and the result is
//! `v[lo] + (v[hi] − v[lo]) · (pos − lo)`, also in double precision. PostgreSQL computes them
//! itself (`percentile_cont … FILTER`). SQLite has no percentile function: faqlink counts each
//! week first (one grouped pass), then reads the latencies as integer microseconds in one
//! stream ordered by latency, so every week's values arrive in ascending order, and keeps only
//! the values at the ranks it needs (two per percentile per week): memory grows with the
//! number of weeks, never with the rows. The latency in seconds is the microsecond count
//! divided by 10⁶ in double precision, which is what PostgreSQL's `numeric` to `float8` cast
//! gives (both round the exact quotient to the nearest double).

use diesel::sql_types::{BigInt, Double, Nullable};
use diesel::QueryableByName;

mod sqlite;

use sqlite::sqlite;
pub(crate) use sqlite::sqlite_statements;

use super::period::iso_week_label;
use super::weekly::{self, Weeks};
use super::{col, Cell, Pct, Section};
use super::{ReportKind, Window};
use crate::db::{Backend, Database, Sql};
use crate::error::Result;

/// The default SLA: 48 hours.
pub(crate) const DEFAULT_SLA_SECONDS: i64 = 48 * 3600;

/// The percentiles shown, as fractions (the same doubles as PostgreSQL's literals).
pub(crate) const FRACTIONS: [f64; 3] = [0.5, 0.9, 0.99];

/// Column layout (docs/CLI.md).
pub const SECTION: Section = Section {
    kind: ReportKind::Latency,
    title: "Time from feedback to FAQ",
    columns: &[
        col("week", "ISO week", false),
        col("linked_faqs", "Linked FAQs", true),
        col("p50_seconds", "p50", true),
        col("p90_seconds", "p90", true),
        col("p99_seconds", "p99", true),
        col("within_sla_pct", "Within SLA %", true),
        col("negative_latency", "Negative", true),
        col("missing_timestamp", "No time", true),
    ],
    single_row: false,
};

/// One ISO week (or the window as a whole, or the rows without a week).
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyRow {
    /// `2026-W47`; `None` for the rows whose feedback has no timestamp, and for the window as
    /// a whole ([`Latency::overall`]).
    pub week: Option<String>,
    /// `correct` feedback rows of the week whose FAQ exists.
    pub linked_faqs: i64,
    /// Of those, the latencies that count (not negative, both timestamps present).
    pub measured: i64,
    /// Of the measured, the ones at most the SLA.
    pub within_sla: i64,
    /// Latencies below zero (the FAQ was created before its feedback).
    pub negative_latency: i64,
    /// Rows with a NULL feedback timestamp or FAQ `created_at`.
    pub missing_timestamp: i64,
    /// p50, p90 and p99 in seconds ([`FRACTIONS`]); `None` without measured latencies.
    pub percentiles: [Option<f64>; 3],
}

impl LatencyRow {
    fn empty(week: Option<String>) -> Self {
        LatencyRow {
            week,
            linked_faqs: 0,
            measured: 0,
            within_sla: 0,
            negative_latency: 0,
            missing_timestamp: 0,
            percentiles: [None; 3],
        }
    }

    /// within_sla / measured as a percentage (`None` without measured latencies).
    pub fn within_sla_pct(&self) -> Option<Pct> {
        Pct::of(self.within_sla, self.measured)
    }

    /// The row as report cells.
    pub fn cells(&self) -> Vec<Cell> {
        let [p50, p90, p99] = self.percentiles;
        vec![
            Cell::Text(self.week.clone()),
            Cell::Int(Some(self.linked_faqs)),
            Cell::Seconds(p50),
            Cell::Seconds(p90),
            Cell::Seconds(p99),
            Cell::Pct(self.within_sla_pct()),
            Cell::Int(Some(self.negative_latency)),
            Cell::Int(Some(self.missing_timestamp)),
        ]
    }
}

/// The report: one row per week, and the window as a whole when asked for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Latency {
    /// One row per ISO week of the window (empty weeks included), then the rows without a
    /// week, if any.
    pub weeks: Vec<LatencyRow>,
    /// Every linked FAQ of the window in one row (for `--expect`).
    pub overall: Option<LatencyRow>,
}

/// PostgreSQL's `percentile_cont(fraction)` over `sorted` (ascending), in double precision
/// (the tests' oracle for the streamed picks).
#[cfg(test)]
pub(crate) fn percentile_cont(sorted: &[f64], fraction: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let (lo, hi, proportion) = ranks(n as i64, fraction);
    Some(lerp(sorted[lo as usize], sorted[hi as usize], proportion))
}

/// The 0-based ranks `percentile_cont` reads for `n` values, and the proportion between them.
fn ranks(n: i64, fraction: f64) -> (i64, i64, f64) {
    let pos = fraction * (n - 1) as f64;
    let (lo, hi) = (pos.floor(), pos.ceil());
    (lo as i64, hi as i64, pos - lo)
}

/// PostgreSQL's `float8_lerp`.
fn lerp(lo: f64, hi: f64, proportion: f64) -> f64 {
    if proportion == 0.0 {
        lo
    } else {
        lo + (hi - lo) * proportion
    }
}

/// Seconds from integer microseconds, as PostgreSQL's `numeric` → `float8` cast gives them.
pub(crate) fn seconds(micros: i64) -> f64 {
    micros as f64 / 1e6
}

/// A duration for people: the two largest units, truncated (`1d 4h`, `3h 12m`, `5m 0s`,
/// `42s`); under one second, `0s`. Negative values keep their sign.
pub(crate) fn human(seconds: f64) -> String {
    if !seconds.is_finite() {
        return seconds.to_string();
    }
    let sign = if seconds < 0.0 { "-" } else { "" };
    let t = seconds.abs().floor() as u64;
    let (d, h, m, s) = (t / 86_400, t % 86_400 / 3600, t % 3600 / 60, t % 60);
    if d > 0 {
        format!("{sign}{d}d {h}h")
    } else if h > 0 {
        format!("{sign}{h}h {m}m")
    } else if m > 0 {
        format!("{sign}{m}m {s}s")
    } else {
        format!("{sign}{s}s")
    }
}

/// Parses an SLA such as `48h`, `2d`, `90m`, `1d12h` or `3600s` (units w, d, h, m, s; at
/// least one second) into seconds; the message names what is wrong.
pub(crate) fn parse_sla(text: &str) -> std::result::Result<i64, String> {
    let t = text.trim();
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut parts = 0;
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'w' => 7 * 86_400,
            'd' => 86_400,
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(format!("{text:?}: unexpected {c:?}; write a duration such as 48h, 2d or 1d12h")),
        };
        if digits.is_empty() {
            return Err(format!("{text:?}: a number must come before {c:?}"));
        }
        let n: i64 = digits.parse().map_err(|_| format!("{text:?}: {digits} is too large"))?;
        total =
            n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(|| format!("{text:?} is too large"))?;
        digits.clear();
        parts += 1;
    }
    if !digits.is_empty() || parts == 0 {
        return Err(format!("{text:?}: give a unit (w, d, h, m or s), e.g. 48h"));
    }
    if total < 1 {
        return Err(format!("{text:?}: the SLA must be at least one second"));
    }
    // Kept in microseconds later: stay far from i64's end.
    if total > 100 * 366 * 86_400 {
        return Err(format!("{text:?} is longer than a century"));
    }
    Ok(total)
}

/// The latency of the joined row in exact integer microseconds (NULL when a timestamp is
/// missing).
///
/// PostgreSQL: the difference of the two timestamps is an interval of whole microseconds
/// (days and a time of day, no months); `date_part('epoch', …)` gives it in seconds as a
/// double, whose rounding error is at most half a unit in the last place: below 2³¹ s (68
/// years) that is under 0.24 µs, so multiplying by 10⁶ and rounding gives the exact count.
/// Larger latencies take the exact `numeric` path (`EXTRACT(EPOCH …)`), which is what
/// every row used to take and costs about twice as much (10M rows, a week's 32,757 linked
/// FAQs: about 60 ms of the window pass). `latency::the_fast_latency_expression_equals_the_exact_one`
/// compares the two over the whole range of timestamps, across the 2³¹ s boundary.
/// SQLite: the canonical text `YYYY-MM-DDTHH:MM:SS.ffffffZ` is cut into whole seconds
/// (`unixepoch`) and the six fractional digits.
fn latency_us_sql(backend: Backend, feedback: &str, created: &str) -> String {
    match backend {
        Backend::Postgres => {
            let exact =
                format!("CAST((EXTRACT(EPOCH FROM {created}) - EXTRACT(EPOCH FROM {feedback})) * 1000000 AS BIGINT)");
            let seconds = format!("date_part('epoch', {created} - {feedback})");
            format!(
                "CASE WHEN abs({seconds}) < 2147483648 THEN CAST(round({seconds} * 1000000) AS BIGINT) ELSE {exact} END"
            )
        }
        // Both sides are canonical text here (`YYYY-MM-DDTHH:MM:SS.ffffffZ`): the feedback
        // timestamp as the run reads it (`Sql::ts`), the FAQ's through the same reading key
        // always, since the run's question about stored forms looks at feedback timestamps only.
        Backend::Sqlite => format!(
            "((unixepoch(substr({created}, 1, 19)) - unixepoch(substr({feedback}, 1, 19))) * 1000000 \
              + (CAST(substr({created}, 21, 6) AS INTEGER) - CAST(substr({feedback}, 21, 6) AS INTEGER)))"
        ),
    }
}

/// `FROM … WHERE …` of the linked `correct` rows of the window, joined to their FAQ.
fn push_from(sql: &mut Sql, window: &Window) {
    sql.push(
        " FROM expert_feedback ef JOIN faq_entries fe ON fe.id = ef.generated_faq_id \
          WHERE ef.feedback_type = 'correct'",
    );
    super::push_window(sql, "ef.feedback_timestamp", window);
}

/// One group of PostgreSQL's latency aggregates: a week's, or the whole window's.
#[derive(QueryableByName)]
struct PgGroup {
    #[diesel(sql_type = Nullable<BigInt>)]
    week: Option<i64>,
    #[diesel(embed)]
    aggregates: Aggregates,
}

/// PostgreSQL's latency aggregates of a group ([`push_aggregates`]): the counts and the
/// percentiles.
#[derive(Debug, Default, Clone, Copy, QueryableByName)]
pub(crate) struct Aggregates {
    #[diesel(embed)]
    counts: Counts,
    #[diesel(sql_type = Nullable<Double>)]
    p50: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    p90: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    p99: Option<f64>,
}

impl Aggregates {
    fn add_to(self, row: &mut LatencyRow) {
        self.counts.add_to(row);
        row.percentiles = [self.p50, self.p90, self.p99];
    }
}

/// The empty aggregates' select list, for the parts of a statement that carry none.
pub(crate) const NO_AGGREGATES: &str = "CAST(0 AS BIGINT) AS linked_faqs, CAST(0 AS BIGINT) AS within_sla, \
     CAST(0 AS BIGINT) AS negative_latency, CAST(0 AS BIGINT) AS missing_timestamp, CAST(NULL AS DOUBLE PRECISION) AS p50, CAST(NULL AS DOUBLE PRECISION) AS p90, \
     CAST(NULL AS DOUBLE PRECISION) AS p99";

/// PostgreSQL: the aggregates' select list over `x.l`, the latency in microseconds (the
/// counts, then `percentile_cont` of the measured ones).
pub(crate) fn push_aggregates(sql: &mut Sql, sla_seconds: i64) {
    push_counts(sql, sla_seconds);
    for (name, f) in ["p50", "p90", "p99"].iter().zip(FRACTIONS) {
        sql.push(&format!(
            ", percentile_cont({f:?}) WITHIN GROUP (ORDER BY CAST(x.l AS DOUBLE PRECISION) / 1000000) \
               FILTER (WHERE x.l >= 0) AS {name}"
        ));
    }
}

/// PostgreSQL: the latency of the joined row `ef` (feedback) and its FAQ's `created` column,
/// in exact integer microseconds ([`latency_us_sql`]).
pub fn pg_latency_us(feedback: &str, created: &str) -> String {
    latency_us_sql(Backend::Postgres, feedback, created)
}

/// The report's rows as PostgreSQL's groups arrive (any order): a week's, the rows without
/// a week, and the window's as a whole.
pub(crate) struct PgWeeks {
    weeks: Vec<LatencyRow>,
    no_week: LatencyRow,
    overall: Option<LatencyRow>,
}

impl PgWeeks {
    /// No groups yet, over the weeks of `span`.
    pub(crate) fn new(span: Option<&Weeks>, window: &Window) -> PgWeeks {
        PgWeeks { weeks: week_rows(span, window), no_week: LatencyRow::empty(None), overall: None }
    }

    /// Adds the group of the 1-based `week` between the boundaries (`None`: no week).
    pub(crate) fn add(&mut self, week: Option<i64>, aggregates: Aggregates) {
        let slot = week.and_then(|w| usize::try_from(w).ok()?.checked_sub(1)).and_then(|w| self.weeks.get_mut(w));
        aggregates.add_to(slot.unwrap_or(&mut self.no_week));
    }

    /// Sets the window's group as a whole.
    pub(crate) fn add_overall(&mut self, aggregates: Aggregates) {
        let mut all = LatencyRow::empty(None);
        aggregates.add_to(&mut all);
        self.overall = Some(all);
    }

    /// The report.
    pub(crate) fn finish(self) -> Latency {
        Latency { weeks: finish(self.weeks, self.no_week), overall: self.overall }
    }
}

/// The additive counts of a group.
#[derive(Debug, Default, Clone, Copy, QueryableByName)]
pub(crate) struct Counts {
    #[diesel(sql_type = BigInt)]
    linked_faqs: i64,
    #[diesel(sql_type = BigInt)]
    within_sla: i64,
    #[diesel(sql_type = BigInt)]
    negative_latency: i64,
    #[diesel(sql_type = BigInt)]
    missing_timestamp: i64,
}

impl Counts {
    fn add_to(self, row: &mut LatencyRow) {
        row.linked_faqs += self.linked_faqs;
        row.within_sla += self.within_sla;
        row.negative_latency += self.negative_latency;
        row.missing_timestamp += self.missing_timestamp;
        row.measured = row.linked_faqs - row.negative_latency - row.missing_timestamp;
    }
}

/// The counters' select list over `l`, the latency in microseconds.
fn push_counts(sql: &mut Sql, sla_seconds: i64) {
    let sla_us = sla_seconds * 1_000_000;
    sql.push(&format!(
        "COUNT(*) AS linked_faqs, \
         COALESCE(SUM(CASE WHEN x.l >= 0 AND x.l <= {sla_us} THEN 1 ELSE 0 END), 0) AS within_sla, \
         COALESCE(SUM(CASE WHEN x.l < 0 THEN 1 ELSE 0 END), 0) AS negative_latency, \
         COALESCE(SUM(CASE WHEN x.l IS NULL THEN 1 ELSE 0 END), 0) AS missing_timestamp"
    ));
}

/// Computes the report over `window` with an SLA of `sla_seconds`; with `overall`, also the
/// window as a whole.
pub(crate) fn compute(db: &mut Database, window: &Window, sla_seconds: i64, overall: bool) -> Result<Latency> {
    let span = weekly::bounds(db, window)?;
    match db.backend() {
        Backend::Postgres => postgres(db, window, span.as_ref(), sla_seconds, overall),
        Backend::Sqlite => sqlite(db, window, span.as_ref(), sla_seconds),
    }
}

fn week_rows(span: Option<&Weeks>, window: &Window) -> Vec<LatencyRow> {
    span.map_or_else(Vec::new, |w| {
        w.bounds[..w.bounds.len() - 1]
            .iter()
            .map(|b| LatencyRow::empty(Some(iso_week_label(b.with_timezone(&window.tz).date_naive()))))
            .collect()
    })
}

/// Appends the row without a week when it has rows.
fn finish(mut weeks: Vec<LatencyRow>, no_week: LatencyRow) -> Vec<LatencyRow> {
    if no_week.linked_faqs > 0 {
        weeks.push(no_week);
    }
    weeks
}

/// PostgreSQL's statement: per week (`grouped`) or over the whole window.
pub(crate) fn pg_statement(
    backend: Backend,
    window: &Window,
    span: Option<&Weeks>,
    sla_seconds: i64,
    grouped: bool,
) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("SELECT ");
    sql.push(if grouped { "x.week AS week, " } else { "CAST(NULL AS BIGINT) AS week, " });
    push_aggregates(&mut sql, sla_seconds);
    sql.push(" FROM (SELECT ");
    if grouped {
        sql.push("CAST(");
        super::shared::push_week(&mut sql, span.map(|w| w.bounds.as_slice()));
        sql.push(" AS BIGINT) AS week, ");
    }
    sql.push(&latency_us_sql(Backend::Postgres, "ef.feedback_timestamp", "fe.created_at")).push(" AS l");
    push_from(&mut sql, window);
    // OFFSET 0 keeps the subquery whole, so each row's latency is computed once, not once
    // for each of the nine aggregates that read it.
    sql.push(" OFFSET 0) x");
    if grouped {
        sql.push(" GROUP BY x.week");
    }
    sql
}

/// PostgreSQL: `percentile_cont` per week (`width_bucket` over the week boundaries).
fn postgres(
    db: &mut Database,
    window: &Window,
    span: Option<&Weeks>,
    sla_seconds: i64,
    overall: bool,
) -> Result<Latency> {
    let backend = db.backend();
    let statement = |grouped: bool| pg_statement(backend, window, span, sla_seconds, grouped);
    let mut rows = PgWeeks::new(span, window);
    db.for_each("the latency report", &statement(true), |g: PgGroup| {
        rows.add(g.week, g.aggregates);
        Ok(())
    })?;
    if overall {
        db.for_each("the latency over the window", &statement(false), |g: PgGroup| {
            rows.add_overall(g.aggregates);
            Ok(())
        })?;
    }
    Ok(rows.finish())
}

#[cfg(test)]
mod tests {
    use super::sqlite::Picks;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn durations_for_people() {
        assert_eq!(human(0.4), "0s");
        assert_eq!(human(42.9), "42s");
        assert_eq!(human(300.0), "5m 0s");
        assert_eq!(human(3.0 * 3600.0 + 12.0 * 60.0 + 5.0), "3h 12m");
        assert_eq!(human(100_800.0), "1d 4h");
        assert_eq!(human(-90.0), "-1m 30s");
    }

    #[test]
    fn slas_parse() {
        assert_eq!(parse_sla("48h"), Ok(172_800));
        assert_eq!(parse_sla("2d"), Ok(172_800));
        assert_eq!(parse_sla("1d12h"), Ok(129_600));
        assert_eq!(parse_sla("90m"), Ok(5400));
        assert_eq!(parse_sla("1w"), Ok(604_800));
        for bad in ["", "48", "h", "4x", "0s", "-1h", "99999999999999999999h", "200000w"] {
            assert!(parse_sla(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percentile_cont_as_postgres() {
        // SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY x) FROM unnest('{1,2,3,4,10}'::float8[]) x → 7.6
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(percentile_cont(&v, 0.9), Some(4.0 + (10.0 - 4.0) * (0.9 * 4.0 - 3.0)));
        assert_eq!(percentile_cont(&v, 0.5), Some(3.0));
        assert_eq!(percentile_cont(&[5.0], 0.99), Some(5.0));
        assert_eq!(percentile_cont(&[], 0.5), None);
    }

    proptest! {
        /// The rank picks of the stream give what sorting every value gives.
        #[test]
        fn picks_equal_sorting(mut v in proptest::collection::vec(0i64..5_000_000_000, 1..300)) {
            v.sort_unstable();
            let mut p = Picks::new(v.len() as i64);
            for x in &v { p.push(*x); }
            let secs: Vec<f64> = v.iter().map(|x| seconds(*x)).collect();
            let want = FRACTIONS.map(|f| percentile_cont(&secs, f));
            prop_assert_eq!(p.percentiles(), want);
        }
    }
}
