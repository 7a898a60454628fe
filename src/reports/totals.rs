//! `report totals`: the feedback → FAQ funnel in one row.

use diesel::sql_types::BigInt;
use diesel::QueryableByName;

use super::{col, Cell, Pct, Section};
use crate::config::{ReportKind, Window};
use crate::db::Database;
use crate::error::Result;

/// Column layout (fixed by REPORTS.md).
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
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
pub fn row(db: &mut Database, window: &Window) -> Result<TotalsRow> {
    let mut sql = db.sql();
    sql.push(
        "SELECT COUNT(*) AS feedback_total, \
           COUNT(*) FILTER (WHERE ef.feedback_type = 'correct') AS correct_feedback, \
           COUNT(*) FILTER (WHERE ef.feedback_type = 'incomplete') AS incomplete_feedback, \
           COUNT(*) FILTER (WHERE ef.feedback_type = 'incorrect') AS incorrect_feedback, \
           COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_attempted IS TRUE) AS workflow_attempted, \
           COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_success IS TRUE) AS faq_published, \
           COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.generated_faq_id IS NOT NULL) AS faqs_generated, \
           COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND fe.id IS NOT NULL) AS faqs_live, \
           COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_success IS TRUE \
                                  AND ef.generated_faq_id IS NULL) AS orphaned_links, \
           COUNT(*) FILTER (WHERE ef.generated_faq_id IS NOT NULL AND fe.id IS NULL) AS dangling_links \
         FROM expert_feedback ef LEFT JOIN faq_entries fe ON fe.id = ef.generated_faq_id \
         WHERE 1 = 1",
    );
    super::push_window(&mut sql, "ef.feedback_timestamp", window);
    let rows: Vec<TotalsRow> = db.load("the totals report", &sql)?;
    Ok(rows.into_iter().next().expect("an aggregate without GROUP BY returns one row"))
}
