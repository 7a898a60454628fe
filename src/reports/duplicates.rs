//! `report duplicates`: queries whose correct feedback produced more than one distinct FAQ.

use std::collections::BTreeSet;

use diesel::sql_types::Text;
use diesel::QueryableByName;

use super::{col, Cell, Section};
use super::{ReportKind, Window};
use crate::db::{catalog, Backend, Database, Sql};
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
pub(crate) fn stream(db: &mut Database, window: &Window, mut f: impl FnMut(DuplicateRow) -> Result<()>) -> Result<u64> {
    let sql = statement(db, window)?;
    let mut grouper = Grouper::default();
    db.for_each("the duplicates report", &sql, |link: Link| {
        grouper.add(link.query_id, link.feedback_id, link.faq_id, &mut f)
    })?;
    grouper.finish(&mut f)
}

/// The statement of [`stream`] (which one depends on the backend, the window and, on
/// PostgreSQL, whether faqlink's covering index exists: a catalog read).
pub fn statement(db: &mut Database, window: &Window) -> Result<Sql> {
    // Only a query with two linked rows in the window can have two FAQs; whether a query's
    // linked rows carry two distinct FAQs is decided as its rows stream by ([`Grouper`]).
    // uuid order on PostgreSQL equals the byte order of their lowercase text on SQLite.
    // Every linked row is cheap to read from a covering index (faqlink's ix_faqlink_reporting):
    // then the windowed statement reads them all from it (1M rows: 0.50 s against 0.60 s for
    // finding the repeated queries first).
    let index_finds_queries =
        db.backend() == Backend::Postgres && !window.is_bounded() && !catalog::has_covering_reporting_index(db)?;
    let mut sql = db.sql();
    match db.backend() {
        Backend::Postgres if index_finds_queries => pg_by_query_index(&mut sql),
        Backend::Postgres => pg_sorted(&mut sql, window),
        Backend::Sqlite => sqlite(&mut sql, window),
    }
    Ok(sql)
}

/// The linked rows (`correct` with an FAQ).
const LINKED: &str = "ef.feedback_type = 'correct' AND ef.generated_faq_id IS NOT NULL";

/// PostgreSQL over the whole history without a covering index: the queries asked more than
/// once are found in the query_id index alone (an index-only scan, already in query order;
/// most queries are asked once), and only their rows are read, each through the same index.
/// At 1M rows on the production schema: 0.60-0.80 s, against 1.15-1.37 s for [`pg_sorted`],
/// which reads every linked row through a bitmap of the whole table and sorts them
/// (docs/PERFORMANCE.md). OFFSET 0 keeps the lookup per query and its only condition the
/// query id, so it can only use the query_id index: without statistics (a table never
/// analyzed) the planner ANDed it with a bitmap of every `correct` row for each query (150k
/// rows: 15 s instead of 0.2 s).
fn pg_by_query_index(sql: &mut Sql) {
    sql.push(
        "SELECT CAST(q.query_id AS TEXT) AS query_id, CAST(ef.id AS TEXT) AS feedback_id, \
                ef.generated_faq_id AS faq_id \
         FROM (SELECT r.query_id FROM expert_feedback r GROUP BY r.query_id HAVING COUNT(*) > 1) q \
         CROSS JOIN LATERAL (SELECT ef.id, ef.feedback_type, ef.generated_faq_id FROM expert_feedback ef \
           WHERE ef.query_id = q.query_id OFFSET 0) ef \
         WHERE ",
    )
    .push(LINKED)
    .push(" ORDER BY q.query_id");
}

/// PostgreSQL in a window (a few rows through the timestamp index), or with the covering
/// index: the linked rows are sorted by query once and counted per query on the way
/// (measured at 1M rows: 0.43 s, against 0.92 s for an IN (GROUP BY … HAVING) over the whole
/// query_id index, which parallel workers each rebuild).
fn pg_sorted(sql: &mut Sql, window: &Window) {
    sql.push(
        "SELECT CAST(d.query_id AS TEXT) AS query_id, CAST(d.id AS TEXT) AS feedback_id, \
         d.generated_faq_id AS faq_id FROM (SELECT ef.query_id, ef.id, ef.generated_faq_id, \
         COUNT(*) OVER (PARTITION BY ef.query_id) AS linked_rows FROM expert_feedback ef WHERE ",
    )
    .push(LINKED);
    super::push_window(sql, "ef.feedback_timestamp", window);
    sql.push(") d WHERE d.linked_rows > 1 ORDER BY d.query_id");
}

/// SQLite: the query_id index finds the queries asked more than once cheaply (most queries
/// are unique), and only their rows are read.
fn sqlite(sql: &mut Sql, window: &Window) {
    sql.push("SELECT ef.query_id AS query_id, ef.id AS feedback_id, ")
        .push("ef.generated_faq_id AS faq_id FROM expert_feedback ef WHERE ")
        .push(LINKED);
    super::push_window(sql, "ef.feedback_timestamp", window);
    sql.push(" AND ef.query_id IN (SELECT r.query_id FROM expert_feedback r WHERE 1 = 1");
    super::push_window(sql, "r.feedback_timestamp", window);
    sql.push(" GROUP BY r.query_id HAVING COUNT(*) > 1) ORDER BY ef.query_id");
}

/// Gathers linked rows that arrive grouped by query into [`DuplicateRow`]s, one query at a
/// time, and hands on the queries with more than one distinct FAQ.
#[derive(Default)]
pub(crate) struct Grouper {
    current: Option<DuplicateRow>,
    rows: u64,
}

impl Grouper {
    /// One linked row of `query_id` (rows of one query arrive together).
    pub(crate) fn add(
        &mut self,
        query_id: String,
        feedback_id: String,
        faq_id: String,
        f: &mut dyn FnMut(DuplicateRow) -> Result<()>,
    ) -> Result<()> {
        if self.current.as_ref().is_some_and(|c| c.query_id != query_id) {
            let done = self.current.take().expect("checked above");
            self.flush(done, f)?;
        }
        let row = self.current.get_or_insert_with(|| DuplicateRow {
            query_id,
            faq_ids: BTreeSet::new(),
            feedback_ids: BTreeSet::new(),
        });
        row.faq_ids.insert(faq_id);
        row.feedback_ids.insert(feedback_id);
        Ok(())
    }

    /// Hands on the last query, if it qualifies; returns how many rows were handed on.
    pub(crate) fn finish(mut self, f: &mut dyn FnMut(DuplicateRow) -> Result<()>) -> Result<u64> {
        if let Some(last) = self.current.take() {
            self.flush(last, f)?;
        }
        Ok(self.rows)
    }

    fn flush(&mut self, row: DuplicateRow, f: &mut dyn FnMut(DuplicateRow) -> Result<()>) -> Result<()> {
        if row.faq_ids.len() > 1 {
            self.rows += 1;
            f(row)?;
        }
        Ok(())
    }
}
