//! One SQLite scan of `ix_faqlink_reporting` split over two connections that read the same
//! snapshot (SQLite runs a statement on one core): where to split, and both parts at once.

use diesel::sql_types::Text;
use diesel::QueryableByName;

use crate::db::types::PortableUuid;
use crate::db::{Count, Database, Param, Sql, Uuid};
use crate::error::Result;

/// A key of `ix_faqlink_reporting`'s leading columns `(feedback_type, expert_id)`: the first
/// row of the upper part.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pivot {
    /// `feedback_type` as stored.
    pub feedback_type: String,
    /// `expert_id`.
    pub expert_id: Uuid,
}

/// The rows on one side of a pivot.
#[derive(Debug, Clone, Copy)]
pub enum Part<'a> {
    /// Rows whose key is below the pivot.
    Below(&'a Pivot),
    /// The pivot's row and those after it.
    From(&'a Pivot),
}

impl Part<'_> {
    fn op_and_pivot(&self) -> (&'static str, &Pivot) {
        match *self {
            Part::Below(p) => ("<", p),
            Part::From(p) => (">=", p),
        }
    }

    /// Appends ` AND ef.expert_id < ?` (or `>=`), for a statement over `correct` rows only
    /// and a pivot sampled from them ([`Sample::Correct`]). SQLite reads it as a range of
    /// `ix_faqlink_reporting` after `feedback_type = 'correct'` (with the row-value form of
    /// [`Part::push_key`] its planner walks the expert_id index instead).
    pub(crate) fn push_expert(&self, sql: &mut Sql) {
        let (op, pivot) = self.op_and_pivot();
        sql.push(" AND ef.expert_id ").push(op).push(" ").bind(Param::Uuid(pivot.expert_id.clone()));
    }

    /// Appends ` AND (ef.feedback_type, ef.expert_id) < (?, ?)` (or `>=`): one range of
    /// `ix_faqlink_reporting`, for a statement over every row.
    pub(crate) fn push_key(&self, sql: &mut Sql) {
        let (op, pivot) = self.op_and_pivot();
        sql.push(" AND (ef.feedback_type, ef.expert_id) ").push(op).push(" (");
        sql.bind(Param::Text(pivot.feedback_type.clone())).push(", ").bind(Param::Uuid(pivot.expert_id.clone()));
        sql.push(")");
    }
}

/// Which rows the two parts should share evenly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    /// The `correct` rows (`report experts`).
    Correct,
    /// Every row (`totals`, `weekly`).
    All,
}

/// Feedback rows sampled to place the split.
const SAMPLES: i64 = 256;

#[derive(QueryableByName)]
struct Sampled {
    #[diesel(sql_type = Text)]
    feedback_type: String,
    #[diesel(sql_type = PortableUuid)]
    expert_id: Uuid,
}

/// Where to split so that each part holds about half of the `sample` rows: the median key of
/// 256 rows spread evenly over the rowids (rows are appended in time order, so the sample
/// spans the history), moved to the nearer edge of that key's rows. `None` for a table under
/// `min_rows` rows, or when one key holds the middle of the sample alone. SQLite only (it
/// reads rowids). `what` names the report in errors.
pub fn split_point(db: &mut Database, min_rows: i64, sample: Sample, what: &str) -> Result<Option<Pivot>> {
    let sql = db.sql().push("SELECT COALESCE(MAX(rowid), 0) AS n FROM expert_feedback").clone();
    let max: Vec<Count> = db.load(what, &sql)?;
    let max = max.first().map_or(0, |c| c.n);
    if max < min_rows.max(1) {
        return Ok(None);
    }
    let step = (max / SAMPLES).max(1);
    let rowids: Vec<String> = (0..SAMPLES).map(|i| (1 + i * step).min(max).to_string()).collect();
    let mut sql = db.sql();
    sql.push("SELECT ef.feedback_type AS feedback_type, ef.expert_id AS expert_id FROM expert_feedback ef WHERE ");
    if sample == Sample::Correct {
        sql.push("ef.feedback_type = 'correct' AND ");
    }
    sql.push("ef.rowid IN (").push(&rowids.join(", ")).push(") ORDER BY ef.feedback_type, ef.expert_id");
    let sampled: Vec<Sampled> = db.load(what, &sql)?;
    let keys: Vec<Pivot> =
        sampled.into_iter().map(|s| Pivot { feedback_type: s.feedback_type, expert_id: s.expert_id }).collect();
    let half = keys.len() / 2;
    let Some(median) = keys.get(half) else { return Ok(None) };
    let (first, past) = (keys.partition_point(|k| k < median), keys.partition_point(|k| k <= median));
    let cut = if half - first <= past - half { first } else { past };
    Ok(keys.get(cut).filter(|_| cut > 0).cloned())
}

/// The default [`super::Resources::split_min_rows`]: below it a second thread costs more
/// than it saves.
pub const SPLIT_MIN_ROWS: i64 = 65_536;

/// A SQLite run's second connection on the same snapshot, and the table size from which a
/// section splits its scan with it ([`super::Resources::split_min_rows`]).
pub struct Reader<'r> {
    /// The connection.
    pub db: &'r mut Database,
    /// Split only a table of at least this many rows.
    pub min_rows: i64,
}

impl Reader<'_> {
    /// The same reader, borrowed again.
    pub(crate) fn reborrow(&mut self) -> Reader<'_> {
        Reader { db: &mut *self.db, min_rows: self.min_rows }
    }
}

/// The second connection and the pivot to split by, when the run has a second reader (the
/// plan gives one only to a section over the whole history: a window reads its range through
/// the timestamp index, faster on one connection) and the table holds at least the reader's
/// `min_rows` rows. `what` names the report in errors.
pub(crate) fn plan<'r>(
    db: &mut Database,
    reader: Option<Reader<'r>>,
    sample: Sample,
    what: &str,
) -> Result<Option<(&'r mut Database, Pivot)>> {
    let Some(reader) = reader else { return Ok(None) };
    Ok(split_point(db, reader.min_rows, sample, what)?.map(|pivot| (reader.db, pivot)))
}

/// Runs `f` for the rows below `pivot` on `db` and, at the same time, for the others on
/// `reader` in a second thread. Both connections must read the same snapshot.
pub fn both<T: Send>(
    db: &mut Database,
    reader: &mut Database,
    pivot: &Pivot,
    f: impl Fn(&mut Database, Part<'_>) -> Result<T> + Sync,
) -> Result<(T, T)> {
    std::thread::scope(|scope| {
        let upper = scope.spawn(|| f(reader, Part::From(pivot)));
        let lower = f(db, Part::Below(pivot));
        let upper = upper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ok((lower?, upper?))
    })
}
