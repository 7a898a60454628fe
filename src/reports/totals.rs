//! `report totals`: the feedback → FAQ funnel in one row.

use diesel::sql_types::BigInt;
use diesel::QueryableByName;

use super::split::{self, Part, Sample};
use super::{col, Cell, Pct, Section};
use crate::config::{ReportKind, Window};
use crate::db::{Database, Sql};
use crate::error::Result;

/// Column layout (fixed by docs/CLI.md).
pub const SECTION: Section = Section {
    kind: ReportKind::Totals,
    title: "Feedback → FAQ conversion",
    columns: &[
        col("feedback_total", "Feedback", true),
        col("correct_feedback", "Correct", true),
        col("incomplete_feedback", "Incomplete", true),
        col("incorrect_feedback", "Incorrect", true),
        col("workflow_attempted", "Workflow ran", true),
        col("faq_published", "FAQ published", true),
        col("faqs_generated", "FAQs linked", true),
        col("faqs_live", "FAQs live", true),
        col("orphaned_links", "Orphaned", true),
        col("dangling_links", "Dangling", true),
        col("conversion_rate_pct", "Conversion %", true),
    ],
    single_row: true,
};

/// The funnel counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct TotalsRow {
    /// Every feedback row in the window.
    #[diesel(sql_type = BigInt)]
    pub feedback_total: i64,
    /// `correct` rows.
    #[diesel(sql_type = BigInt)]
    pub correct_feedback: i64,
    /// `incomplete` rows.
    #[diesel(sql_type = BigInt)]
    pub incomplete_feedback: i64,
    /// `incorrect` rows.
    #[diesel(sql_type = BigInt)]
    pub incorrect_feedback: i64,
    /// Correct rows with `task_creation_attempted` TRUE.
    #[diesel(sql_type = BigInt)]
    pub workflow_attempted: i64,
    /// Correct rows with `task_creation_success` TRUE.
    #[diesel(sql_type = BigInt)]
    pub faq_published: i64,
    /// Correct rows with `generated_faq_id` set.
    #[diesel(sql_type = BigInt)]
    pub faqs_generated: i64,
    /// Of those, the ones whose FAQ row exists.
    #[diesel(sql_type = BigInt)]
    pub faqs_live: i64,
    /// Correct rows with success TRUE and no link (FAQ deleted, SET NULL fired).
    #[diesel(sql_type = BigInt)]
    pub orphaned_links: i64,
    /// Rows of any type whose link names no existing FAQ.
    #[diesel(sql_type = BigInt)]
    pub dangling_links: i64,
}

impl TotalsRow {
    /// Adds the counters of `other` (a disjoint set of rows); `faqs_live` and
    /// `dangling_links` are left as they are.
    pub fn add(&mut self, other: &TotalsRow) {
        self.feedback_total += other.feedback_total;
        self.correct_feedback += other.correct_feedback;
        self.incomplete_feedback += other.incomplete_feedback;
        self.incorrect_feedback += other.incorrect_feedback;
        self.workflow_attempted += other.workflow_attempted;
        self.faq_published += other.faq_published;
        self.faqs_generated += other.faqs_generated;
        self.orphaned_links += other.orphaned_links;
    }

    /// faqs_generated / correct_feedback.
    pub fn conversion_rate_pct(&self) -> Option<Pct> {
        Pct::of(self.faqs_generated, self.correct_feedback)
    }

    /// The row as report cells.
    pub fn cells(&self) -> Vec<Cell> {
        let n = |v: i64| Cell::Int(Some(v));
        vec![
            n(self.feedback_total),
            n(self.correct_feedback),
            n(self.incomplete_feedback),
            n(self.incorrect_feedback),
            n(self.workflow_attempted),
            n(self.faq_published),
            n(self.faqs_generated),
            n(self.faqs_live),
            n(self.orphaned_links),
            n(self.dangling_links),
            Cell::Pct(self.conversion_rate_pct()),
        ]
    }
}

/// Computes the totals in one pass over the window.
///
/// With `reader` (a second connection on the same SQLite snapshot) and no window, a large
/// table's counters are taken in two parts at once ([`split::split_point`] over every row),
/// the dangling links alongside the lower part, and added up (1M rows: 0.34 s -> 0.29 s;
/// the dangling count keeps the lower part longer).
pub fn row(db: &mut Database, reader: Option<&mut Database>, window: &Window) -> Result<TotalsRow> {
    if let Some((reader, pivot)) = split::plan(db, reader, window, Sample::All, "the totals report")? {
        let (lower, upper) = split::both(db, reader, &pivot, |db, part| {
            let counted = counters(db, window, part)?;
            let dangling = match part {
                Part::Below(_) => Some(dangling(db, window)?),
                Part::From(_) => None,
            };
            Ok((counted, dangling))
        })?;
        let (mut row, dangling) = (lower.0, lower.1.expect("the lower part counts the dangling links"));
        row.add(&upper.0);
        row.faqs_live = row.faqs_generated - dangling.dangling_correct;
        row.dangling_links = dangling.dangling_links;
        return Ok(row);
    }
    let mut sql = db.sql();
    // Counters over the feedback rows alone, plus the dangling links counted apart (see
    // `push_dangling`): a row's FAQ is live exactly when it is linked and not dangling, so
    // faqs_live = faqs_generated - dangling correct rows, without joining every row to
    // faq_entries.
    sql.push(
        "SELECT a.feedback_total AS feedback_total, a.correct_feedback AS correct_feedback, \
                a.incomplete_feedback AS incomplete_feedback, a.incorrect_feedback AS incorrect_feedback, \
                a.workflow_attempted AS workflow_attempted, a.faq_published AS faq_published, \
                a.faqs_generated AS faqs_generated, a.faqs_generated - b.dangling_correct AS faqs_live, \
                a.orphaned_links AS orphaned_links, b.dangling_links AS dangling_links \
         FROM (SELECT ",
    )
    .push(FEEDBACK_COUNTERS)
    .push(" FROM expert_feedback ef WHERE 1 = 1");
    super::push_window(&mut sql, "ef.feedback_timestamp", window);
    sql.push(") a CROSS JOIN (");
    push_dangling_counts(&mut sql, window);
    sql.push(") b");
    let rows: Vec<TotalsRow> = db.load("the totals report", &sql)?;
    Ok(rows.into_iter().next().expect("an aggregate without GROUP BY returns one row"))
}

/// The counters of one part of the rows, in a row whose `faqs_live` and `dangling_links`
/// are left 0 (the dangling links are counted once for both parts).
fn counters(db: &mut Database, window: &Window, part: Part<'_>) -> Result<TotalsRow> {
    let mut sql = db.sql();
    sql.push("SELECT ").push(FEEDBACK_COUNTERS).push(
        ", CAST(0 AS BIGINT) AS faqs_live, CAST(0 AS BIGINT) AS dangling_links FROM expert_feedback ef WHERE 1 = 1",
    );
    part.push_key(&mut sql);
    super::push_window(&mut sql, "ef.feedback_timestamp", window);
    let rows: Vec<TotalsRow> = db.load("the totals report", &sql)?;
    Ok(rows.into_iter().next().expect("an aggregate without GROUP BY returns one row"))
}

/// The funnel's counters over feedback rows `ef` (every column but the dangling links and
/// faqs_live): `report totals` takes them over the window, `report all` per (expert, week).
pub(crate) const FEEDBACK_COUNTERS: &str = "COUNT(*) AS feedback_total, \
   COUNT(*) FILTER (WHERE ef.feedback_type = 'correct') AS correct_feedback, \
   COUNT(*) FILTER (WHERE ef.feedback_type = 'incomplete') AS incomplete_feedback, \
   COUNT(*) FILTER (WHERE ef.feedback_type = 'incorrect') AS incorrect_feedback, \
   COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_attempted IS TRUE) AS workflow_attempted, \
   COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_success IS TRUE) AS faq_published, \
   COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.generated_faq_id IS NOT NULL) AS faqs_generated, \
   COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_success IS TRUE \
                          AND ef.generated_faq_id IS NULL) AS orphaned_links";

/// The dangling links in the window: of any type, and of `correct` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct Dangling {
    /// Rows of any type whose link names no faq_entries row.
    #[diesel(sql_type = BigInt)]
    pub dangling_links: i64,
    /// Of those, the `correct` rows (linked, but their FAQ is not live).
    #[diesel(sql_type = BigInt)]
    pub dangling_correct: i64,
}

fn push_dangling_counts(sql: &mut Sql, window: &Window) {
    sql.push(
        "SELECT COUNT(*) AS dangling_links, \
           COUNT(*) FILTER (WHERE ef.feedback_type = 'correct') AS dangling_correct \
         FROM expert_feedback ef WHERE 1 = 1",
    );
    super::push_dangling(sql, window);
}

/// Counts the dangling links alone (for a run that has the other counters already).
pub fn dangling(db: &mut Database, window: &Window) -> Result<Dangling> {
    let mut sql = db.sql();
    push_dangling_counts(&mut sql, window);
    let rows: Vec<Dangling> = db.load("counting dangling links", &sql)?;
    Ok(rows.into_iter().next().expect("an aggregate without GROUP BY returns one row"))
}
