//! `report orphans`: feedback whose FAQ link is orphaned (FAQ deleted, link cleared by
//! ON DELETE SET NULL) or dangling (link to a missing FAQ). Streamed row by row.

use diesel::sql_types::{Nullable, Text};
use diesel::QueryableByName;

use super::{col, Cell, Section};
use super::{ReportKind, Window};
use crate::db::types::PortableTimestamptz;
use crate::db::{Backend, Database, Sql, Timestamp};
use crate::error::Result;

/// Column layout (fixed by docs/CLI.md).
pub const SECTION: Section = Section {
    kind: ReportKind::Orphans,
    title: "Orphaned and dangling FAQ links",
    columns: &[
        col("feedback_id", "Feedback", false),
        col("expert_id", "Expert", false),
        col("professional_registration_number", "Registration no.", false),
        col("feedback_timestamp", "When (UTC)", false),
        col("kind", "Kind", false),
        col("generated_faq_id", "Missing FAQ", false),
    ],
    single_row: false,
};

/// One orphaned or dangling link.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct OrphanRow {
    /// `expert_feedback.id`.
    #[diesel(sql_type = Text)]
    pub feedback_id: String,
    /// `expert_feedback.expert_id`.
    #[diesel(sql_type = Text)]
    pub expert_id: String,
    /// The expert's registration number, if any.
    #[diesel(sql_type = Nullable<Text>)]
    pub professional_registration_number: Option<String>,
    /// When the feedback was given (may be NULL).
    #[diesel(sql_type = Nullable<PortableTimestamptz>)]
    pub feedback_timestamp: Option<Timestamp>,
    /// `orphaned` or `dangling`.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// The missing FAQ's id (NULL for orphaned rows).
    #[diesel(sql_type = Nullable<Text>)]
    pub generated_faq_id: Option<String>,
}

impl OrphanRow {
    /// The row as report cells.
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Text(Some(self.feedback_id.clone())),
            Cell::Text(Some(self.expert_id.clone())),
            Cell::Text(self.professional_registration_number.clone()),
            Cell::Timestamp(self.feedback_timestamp.map(|t| t.0)),
            Cell::Text(Some(self.kind.clone())),
            Cell::Text(self.generated_faq_id.clone()),
        ]
    }
}

/// Which branches of the report to read. A run that has already counted the branches in its
/// snapshot (`report totals`: `orphaned_links`, `dangling_links`, same window) skips an
/// empty one: with production's foreign key there are no dangling links, and their anti-join
/// (10M rows on PostgreSQL: 1.8 s, the bulk of this report) is not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Branches {
    /// Read the orphaned links.
    pub orphaned: bool,
    /// Read the dangling links.
    pub dangling: bool,
}

impl Branches {
    /// Both branches (nothing is known yet).
    pub const ALL: Branches = Branches { orphaned: true, dangling: true };

    /// The branches that hold rows, by their counts.
    pub(crate) fn counted(orphaned: i64, dangling: i64) -> Branches {
        Branches { orphaned: orphaned > 0, dangling: dangling > 0 }
    }
}

/// Streams the rows of `branches`, ordered by feedback_timestamp (NULLs last) then
/// feedback_id, into `f`; returns how many there were.
pub(crate) fn stream(
    db: &mut Database,
    window: &Window,
    branches: Branches,
    mut f: impl FnMut(OrphanRow) -> Result<()>,
) -> Result<u64> {
    let Some(sql) = statement(db, window, branches) else {
        return Ok(0);
    };
    let mut n = 0u64;
    db.for_each("the orphans report", &sql, |row: OrphanRow| {
        n += 1;
        f(row)
    })?;
    Ok(n)
}

/// The statement of [`stream`] (`None` when neither branch is read).
pub fn statement(db: &Database, window: &Window, branches: Branches) -> Option<Sql> {
    let Branches { orphaned, dangling } = branches;
    if !orphaned && !dangling {
        return None;
    }
    let mut sql = db.sql();
    // Two selective branches instead of one OR over every row, and only their (few) rows are
    // sorted and joined to experts:
    // - orphaned rows: on PostgreSQL from the partial index ix_faqlink_orphaned, which holds
    //   exactly these rows (10M rows: 0.03 s against 1.4 s reading every row), so the branch
    //   selects no column outside it (the link is NULL by definition). On SQLite the unary `+`
    //   keeps the planner off idx_expert_feedback_generated_faq_id for the IS NULL test: its
    //   statistics say 3 rows per value, but NULL is two thirds of the table and each such
    //   row costs a table lookup (1M rows: 0.87 s, against 0.12 s reading the `correct` range
    //   of the covering ix_faqlink_reporting).
    // - dangling rows: see `push_dangling`.
    let unlinked = match db.backend() {
        Backend::Postgres => "ef.generated_faq_id IS NULL",
        Backend::Sqlite => "+ef.generated_faq_id IS NULL",
    };
    // The timestamp as this snapshot reads it: selected, and so ordered, as its instant.
    let ts = sql.ts("ef.feedback_timestamp");
    sql.push(
        "SELECT CAST(o.id AS TEXT) AS feedback_id, CAST(o.expert_id AS TEXT) AS expert_id, \
                ep.professional_registration_number AS professional_registration_number, \
                o.feedback_timestamp AS feedback_timestamp, o.kind AS kind, o.generated_faq_id AS generated_faq_id \
         FROM (",
    );
    if orphaned {
        sql.push("SELECT ef.id AS id, ef.expert_id AS expert_id, ")
            .push(&ts)
            .push(
                " AS feedback_timestamp, 'orphaned' AS kind, CAST(NULL AS VARCHAR) AS generated_faq_id \
                 FROM expert_feedback ef \
                 WHERE ef.feedback_type = 'correct' AND ef.task_creation_success IS TRUE AND ",
            )
            .push(unlinked);
        super::push_window(&mut sql, "ef.feedback_timestamp", window);
    }
    if orphaned && dangling {
        sql.push(" UNION ALL ");
    }
    if dangling {
        sql.push("SELECT ef.id AS id, ef.expert_id AS expert_id, ").push(&ts).push(
            " AS feedback_timestamp, 'dangling' AS kind, ef.generated_faq_id AS generated_faq_id \
             FROM expert_feedback ef WHERE 1 = 1",
        );
        super::push_dangling(&mut sql, window);
    }
    // uuid order on PostgreSQL equals the byte order of their lowercase text on SQLite.
    sql.push(
        ") o LEFT JOIN expert_profiles ep ON ep.id = o.expert_id \
         ORDER BY o.feedback_timestamp ASC NULLS LAST, o.id ASC",
    );
    Some(sql)
}
