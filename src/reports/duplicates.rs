//! `report duplicates`: queries whose correct feedback produced more than one distinct FAQ.

use std::collections::BTreeSet;

use diesel::sql_types::Text;
use diesel::QueryableByName;

use super::{col, Cell, Section};
use super::{ReportKind, Window};
use crate::db::{Backend, Database};
use crate::error::Result;

/// Column layout (fixed by docs/CLI.md).
pub const SECTION: Section = Section {
    kind: ReportKind::Duplicates,
    title: "Queries with more than one FAQ",
    columns: &[
        col("query_id", "Query", false),
        col("faqs_generated", "FAQs", true),
        col("feedback_ids", "Feedback ids", false),
        col("faq_ids", "FAQ ids", false),
    ],
    single_row: false,
};

/// One query with duplicate FAQs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateRow {
    /// `expert_feedback.query_id`.
    pub query_id: String,
    /// Distinct FAQ ids linked from the query's correct feedback.
    pub faq_ids: BTreeSet<String>,
    /// The linked correct feedback rows.
    pub feedback_ids: BTreeSet<String>,
}

impl DuplicateRow {
    /// The row as report cells (ids sorted in byte order, joined by `;`).
    pub fn cells(&self) -> Vec<Cell> {
        let join = |s: &BTreeSet<String>| s.iter().map(String::as_str).collect::<Vec<_>>().join(";");
        vec![
            Cell::Text(Some(self.query_id.clone())),
            Cell::Int(Some(self.faq_ids.len() as i64)),
            Cell::Text(Some(join(&self.feedback_ids))),
            Cell::Text(Some(join(&self.faq_ids))),
        ]
    }
}

#[derive(QueryableByName)]
struct Link {
    #[diesel(sql_type = Text)]
    query_id: String,
    #[diesel(sql_type = Text)]
    feedback_id: String,
    #[diesel(sql_type = Text)]
    faq_id: String,
}

/// Streams the duplicates, ordered by query_id, into `f`; returns how many there were.
/// Rows arrive grouped by query, so only one query's ids are held at a time.
pub fn stream(db: &mut Database, window: &Window, mut f: impl FnMut(DuplicateRow) -> Result<()>) -> Result<u64> {
    let mut sql = db.sql();
    let linked = "ef.feedback_type = 'correct' AND ef.generated_faq_id IS NOT NULL";
    // Only a query with two linked rows in the window can have two FAQs; whether a query's
    // linked rows carry two distinct FAQs is decided below, as its rows stream by. uuid order
    // on PostgreSQL equals the byte order of their lowercase text on SQLite.
    match db.backend() {
        // PostgreSQL: the linked rows (a third of the table, read from the reporting index)
        // are sorted by query once and counted per query on the way (measured at 1M rows:
        // 0.43 s, against 0.92 s for an IN (GROUP BY … HAVING) over the whole query_id index,
        // which parallel workers each rebuild).
        Backend::Postgres => {
            sql.push(
                "SELECT CAST(d.query_id AS TEXT) AS query_id, CAST(d.id AS TEXT) AS feedback_id, \
                 d.generated_faq_id AS faq_id FROM (SELECT ef.query_id, ef.id, ef.generated_faq_id, \
                 COUNT(*) OVER (PARTITION BY ef.query_id) AS linked_rows FROM expert_feedback ef WHERE ",
            )
            .push(linked);
            super::push_window(&mut sql, "ef.feedback_timestamp", window);
            sql.push(") d WHERE d.linked_rows > 1 ORDER BY d.query_id");
        }
        // SQLite: the query_id index finds the queries asked more than once cheaply (most
        // queries are unique), and only their rows are read.
        Backend::Sqlite => {
            sql.push("SELECT ef.query_id AS query_id, ef.id AS feedback_id, ")
                .push("ef.generated_faq_id AS faq_id FROM expert_feedback ef WHERE ")
                .push(linked);
            super::push_window(&mut sql, "ef.feedback_timestamp", window);
            sql.push(" AND ef.query_id IN (SELECT r.query_id FROM expert_feedback r WHERE 1 = 1");
            super::push_window(&mut sql, "r.feedback_timestamp", window);
            sql.push(" GROUP BY r.query_id HAVING COUNT(*) > 1) ORDER BY ef.query_id");
        }
    }
    let mut current: Option<DuplicateRow> = None;
    let mut n = 0u64;
    let mut flush = |row: DuplicateRow| -> Result<()> {
        if row.faq_ids.len() > 1 {
            n += 1;
            f(row)?;
        }
        Ok(())
    };
    db.for_each("the duplicates report", &sql, |link: Link| {
        if current.as_ref().is_some_and(|c| c.query_id != link.query_id) {
            flush(current.take().expect("checked above"))?;
        }
        let row = current.get_or_insert_with(|| DuplicateRow {
            query_id: link.query_id.clone(),
            faq_ids: BTreeSet::new(),
            feedback_ids: BTreeSet::new(),
        });
        row.faq_ids.insert(link.faq_id);
        row.feedback_ids.insert(link.feedback_id);
        Ok(())
    })?;
    if let Some(last) = current {
        flush(last)?;
    }
    Ok(n)
}
