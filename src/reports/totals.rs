//! `report totals`: the feedback → FAQ funnel in one row.

use diesel::sql_types::BigInt;
use diesel::QueryableByName;

use super::counters::{self, Counters};
use super::split::{self, Part, Sample};
use super::{col, Cell, Pct, Section};
use super::{ReportKind, Window};
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

/// The funnel: the counters over the window, and the FAQs that are live.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct TotalsRow {
    /// The counters of every feedback row in the window.
    #[diesel(embed)]
    pub counters: Counters,
    /// Of the linked correct rows, the ones whose FAQ row exists.
    #[diesel(sql_type = BigInt)]
    pub faqs_live: i64,
    /// Rows of any type whose link names no existing FAQ.
    #[diesel(sql_type = BigInt)]
    pub dangling_links: i64,
}

impl TotalsRow {
    /// The counters with the dangling links counted apart: a linked row's FAQ is live
    /// exactly when its link is not dangling.
    pub fn new(counters: Counters, dangling: Dangling) -> Self {
        TotalsRow {
            counters,
            faqs_live: counters.faqs_generated - dangling.dangling_correct,
            dangling_links: dangling.dangling_links,
        }
    }

    /// faqs_generated / correct_feedback.
    pub(crate) fn conversion_rate_pct(&self) -> Option<Pct> {
        Pct::of(self.counters.faqs_generated, self.counters.correct_feedback)
    }

    /// The row as report cells.
    pub fn cells(&self) -> Vec<Cell> {
        let n = |v: i64| Cell::Int(Some(v));
        // Every counter by name, no `..`: a new counter does not compile until it is given
        // a column here (and in SECTION) or is left out on purpose.
        let Counters {
            feedback_total,
            correct_feedback,
            incomplete_feedback,
            incorrect_feedback,
            workflow_attempted,
            faq_published,
            faqs_generated,
            orphaned_links,
        } = self.counters;
        vec![
            n(feedback_total),
            n(correct_feedback),
            n(incomplete_feedback),
            n(incorrect_feedback),
            n(workflow_attempted),
            n(faq_published),
            n(faqs_generated),
            n(self.faqs_live),
            n(orphaned_links),
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
pub(crate) fn row(db: &mut Database, reader: Option<split::Reader<'_>>, window: &Window) -> Result<TotalsRow> {
    row_with(db, reader, window, None)
}

/// [`row`] with the dangling links counted elsewhere (a parallel run's orphans connection,
/// [`super::parallel`]) and handed over by `dangling`, which is called after the counters.
pub(crate) fn row_with(
    db: &mut Database,
    reader: Option<split::Reader<'_>>,
    window: &Window,
    dangling_from: Option<&mut dyn FnMut() -> Result<Dangling>>,
) -> Result<TotalsRow> {
    if let Some(dangling_from) = dangling_from {
        let counters = part_counters(db, window, None)?;
        return Ok(TotalsRow::new(counters, dangling_from()?));
    }
    if let Some((reader, pivot)) = split::plan(db, reader, Sample::All, "the totals report")? {
        let (lower, upper) = split::both(db, reader, &pivot, |db, part| {
            let counted = part_counters(db, window, Some(part))?;
            let dangling = match part {
                Part::Below(_) => Some(dangling(db, window)?),
                Part::From(_) => None,
            };
            Ok((counted, dangling))
        })?;
        let dangling = lower.1.expect("the lower part counts the dangling links");
        return Ok(TotalsRow::new(lower.0 + upper.0, dangling));
    }
    let sql = statement(db.sql(), window);
    let rows: Vec<TotalsRow> = db.load("the totals report", &sql)?;
    Ok(rows.into_iter().next().expect("an aggregate without GROUP BY returns one row"))
}

/// The one-connection statement of `report totals` (bench/sql/totals.faqlink.*.sql are its
/// text for the whole history; a test keeps them equal).
pub fn statement(empty: Sql, window: &Window) -> Sql {
    // `empty` comes from `Database::sql`: it carries how the snapshot reads timestamps.
    let mut sql = empty;
    // Counters over the feedback rows alone, plus the dangling links counted apart (see
    // `push_dangling`): a row's FAQ is live exactly when it is linked and not dangling, so
    // faqs_live = faqs_generated - dangling correct rows, without joining every row to
    // faq_entries.
    sql.push("SELECT ")
        .push(&counters::select_as("a"))
        .push(", a.faqs_generated - b.dangling_correct AS faqs_live, b.dangling_links AS dangling_links FROM (SELECT ")
        .push(&counters::SQL)
        .push(" FROM expert_feedback ef WHERE 1 = 1");
    super::push_window(&mut sql, "ef.feedback_timestamp", window);
    sql.push(") a CROSS JOIN (");
    push_dangling_counts(&mut sql, window);
    sql.push(") b");
    sql
}

/// The counters of one part of the rows (of every row without `part`).
fn part_counters(db: &mut Database, window: &Window, part: Option<Part<'_>>) -> Result<Counters> {
    let mut sql = db.sql();
    sql.push("SELECT ").push(&counters::SQL).push(" FROM expert_feedback ef WHERE 1 = 1");
    if let Some(part) = part {
        part.push_key(&mut sql);
    }
    super::push_window(&mut sql, "ef.feedback_timestamp", window);
    let rows: Vec<Counters> = db.load("the totals report", &sql)?;
    Ok(rows.into_iter().next().expect("an aggregate without GROUP BY returns one row"))
}

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
pub(crate) fn dangling(db: &mut Database, window: &Window) -> Result<Dangling> {
    let sql = dangling_statement(db, window);
    let rows: Vec<Dangling> = db.load("counting dangling links", &sql)?;
    Ok(rows.into_iter().next().expect("an aggregate without GROUP BY returns one row"))
}

/// The statement of [`dangling`].
pub(crate) fn dangling_statement(db: &Database, window: &Window) -> Sql {
    let mut sql = db.sql();
    push_dangling_counts(&mut sql, window);
    sql
}
