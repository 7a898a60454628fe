//! Stored values the reports read, judged once: how a run reads `feedback_timestamp`
//! ([`timestamps`], at the start of every snapshot), which stored value made a report fail
//! ([`explain`], named by table, column and primary key), and `check`'s data pass
//! ([`data_pass`]: one scan of `expert_feedback` that counts every value a report would
//! reject or read differently).
//!
//! The timestamp grammar is [`crate::db::types::read_timestamp_text`] in Rust and
//! [`crate::db::types::sqlite_timestamp_key`] in SQL; both read every accepted form as the
//! same instant, and a unit test holds them equal on generated text.

use diesel::sql_types::{BigInt, Binary, Bool, Nullable};
use diesel::QueryableByName;

use crate::db::types::{self, earliest_instant, latest_instant, TimestampText};
use crate::db::{Backend, Database, Param, Sql, Timestamp, TimestampReading};
use crate::error::{BadValue, Error, Result};

/// How many row ids [`data_pass`] lists per kind of value.
pub(crate) const EXAMPLES: usize = 3;

#[derive(QueryableByName)]
struct Unusual {
    #[diesel(sql_type = Binary)]
    id: Vec<u8>,
    #[diesel(sql_type = Binary)]
    value: Vec<u8>,
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Nullable<Bool>)]
    out: Option<bool>,
}

/// A primary key or value as shown in messages: quoted, with control characters escaped
/// (and, for bytes that are not UTF-8, every byte outside printable ASCII as `\xNN`), so a
/// message stays one line and shows what is stored.
pub(crate) fn shown(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => format!("{text:?}"),
        Err(_) => format!("\"{}\"", bytes.escape_ascii()),
    }
}

/// Decides how this snapshot's statements read `feedback_timestamp` and sets it on `db` (and
/// the caller copies it to its other connections). SQLite: one lookup of the values that are
/// not canonical (the partial index `ix_faqlink_unusual_timestamps` holds exactly those rows;
/// without it, one scan); a value in no accepted form fails the run, named with its row.
/// PostgreSQL: whether any value lies outside the range (two seeks in the timestamp index).
pub(crate) fn timestamps(db: &mut Database) -> Result<TimestampReading> {
    // A database the reports cannot read at all (a table or column missing) is left to the
    // reports, whose own error names what they could not read: the question is asked in a
    // savepoint on PostgreSQL (a failed statement would abort the transaction), and its
    // failure means "as stored".
    if db.backend() == Backend::Postgres {
        db.batch("asking how to read the timestamps", "SAVEPOINT faqlink_timestamps")?;
    }
    let asked = ask(db);
    let reading = match asked {
        Err(e @ Error::Query { .. }) if !e.is_retryable() => {
            if db.backend() == Backend::Postgres {
                db.batch("asking how to read the timestamps", "ROLLBACK TO SAVEPOINT faqlink_timestamps")?;
            }
            TimestampReading::Stored
        }
        other => other?,
    };
    if db.backend() == Backend::Postgres {
        db.batch("asking how to read the timestamps", "RELEASE SAVEPOINT faqlink_timestamps")?;
    }
    db.timestamps = reading;
    Ok(reading)
}

fn ask(db: &mut Database) -> Result<TimestampReading> {
    let mut sql = db.sql();
    let reading = match db.backend() {
        Backend::Sqlite => {
            // Any value not canonical at all? (One lookup in the partial index.)
            let sql = unusual_timestamps_sql(db, false);
            let any: Vec<Unusual> = db.load("reading the timestamps", &sql)?;
            if any.is_empty() {
                TimestampReading::Stored
            } else {
                // Then the first one in no accepted form, if any (one pass over those rows).
                let sql = unusual_timestamps_sql(db, true);
                let unreadable: Vec<Unusual> = db.load("reading the timestamps", &sql)?;
                if let Some(r) = unreadable.into_iter().next() {
                    return Err(unreadable_timestamp("the report", &r.id, &r.value));
                }
                TimestampReading::Normalised
            }
        }
        Backend::Postgres => {
            sql.push("SELECT (SELECT MIN(feedback_timestamp) FROM expert_feedback) < ")
                .bind(Param::Ts(Timestamp(earliest_instant())))
                .push(" OR (SELECT MAX(feedback_timestamp) FROM expert_feedback) > ")
                .bind(Param::Ts(Timestamp(latest_instant())))
                .push(" AS out");
            let rows: Vec<Flag> = db.load("reading the timestamps", &sql)?;
            match rows.first().and_then(|r| r.out) {
                Some(true) => TimestampReading::Normalised,
                _ => TimestampReading::Stored,
            }
        }
    };
    Ok(reading)
}

/// SQLite: the first stored timestamp that is not canonical (with `unreadable`, the first in
/// no accepted form), with its row: the statements [`timestamps`] runs. The partial index
/// `ix_faqlink_unusual_timestamps` holds exactly the rows they read.
pub fn unusual_timestamps_sql(db: &Database, unreadable: bool) -> crate::db::Sql {
    let col = "ef.feedback_timestamp";
    let mut sql = db.sql();
    sql.push(
        "SELECT CAST(ef.id AS BLOB) AS id, CAST(ef.feedback_timestamp AS BLOB) AS value \
              FROM expert_feedback ef WHERE NOT ",
    )
    .push(&types::sqlite_timestamp_canonical(col));
    if unreadable {
        sql.push(" AND NOT ").push(&types::sqlite_timestamp_readable(col));
    }
    sql.push(" LIMIT 1");
    sql
}

fn unreadable_timestamp(what: &str, id: &[u8], value: &[u8]) -> Error {
    Error::BadValue(Box::new(BadValue {
        what: what.to_string(),
        table: "expert_feedback".into(),
        column: "feedback_timestamp".into(),
        key: format!("id {}", shown(id)),
        value: shown(value),
        problem: "is not a timestamp in any form faqlink reads (docs/METRICS.md)".into(),
    }))
}

/// A text column the reports read into text, with its table's primary key.
struct TextColumn {
    table: &'static str,
    key: &'static str,
    column: &'static str,
}

/// Every text column a report reads into text (the others are compared in SQL only).
const TEXT_COLUMNS: [TextColumn; 7] = [
    TextColumn { table: "expert_feedback", key: "id", column: "id" },
    TextColumn { table: "expert_feedback", key: "id", column: "expert_id" },
    TextColumn { table: "expert_feedback", key: "id", column: "query_id" },
    TextColumn { table: "expert_feedback", key: "id", column: "generated_faq_id" },
    TextColumn { table: "expert_profiles", key: "id", column: "id" },
    TextColumn { table: "expert_profiles", key: "id", column: "professional_registration_number" },
    TextColumn { table: "faq_entries", key: "id", column: "id" },
];

#[derive(QueryableByName)]
struct KeyValue {
    #[diesel(sql_type = Binary)]
    id: Vec<u8>,
    #[diesel(sql_type = Binary)]
    value: Vec<u8>,
}

/// SQLite: the text that is not pure ASCII by length (a byte count other than the character
/// count): a cheap first cut, exact only together with [`not_ascii`]'s second test.
fn not_ascii(column: &str) -> String {
    // length() skips continuation bytes after a lead byte; a lead byte without them (Latin-1
    // 0xE9 before ASCII) keeps the counts equal, so GLOB finds those (slower, but only run
    // when a report failed, or on the small tables).
    format!("(length({column}) <> length(CAST({column} AS BLOB)) OR {column} GLOB '*[^ -~]*')")
}

/// When a report failed on a value it could not decode, the first stored value that explains
/// it, as an error naming its table, column and row; `None` when none does (the original
/// error then stands). SQLite only: PostgreSQL checks text encoding on input.
pub(crate) fn explain(db: &mut Database, what: &str) -> Result<Option<Error>> {
    if db.backend() != Backend::Sqlite {
        return Ok(None);
    }
    for c in &TEXT_COLUMNS {
        let sql = non_ascii_values(db, c);
        let mut found = None;
        db.for_each("looking for the value that failed", &sql, |r: KeyValue| {
            if found.is_none() && std::str::from_utf8(&r.value).is_err() {
                found = Some(r);
            }
            Ok(())
        })?;
        if let Some(r) = found {
            return Ok(Some(Error::BadValue(Box::new(BadValue {
                what: what.to_string(),
                table: c.table.into(),
                column: c.column.into(),
                key: format!("{} {}", c.key, shown(&r.id)),
                value: shown(&r.value),
                problem: "is not valid UTF-8 text".into(),
            }))));
        }
    }
    Ok(None)
}

/// How much a kind of value matters to the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Severity {
    /// A report would fail or count it wrongly: `check` exits 1.
    Fails,
    /// Read right, but worth knowing (slower reads, links the reports list).
    Notice,
}

/// One kind of value found by [`data_pass`] in one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataCount {
    /// `table.column`.
    pub column: String,
    /// What is wrong with the values, and what the reports do with them.
    pub problem: &'static str,
    /// How many rows hold one.
    pub rows: u64,
    /// The primary keys of the first few such rows (in scan order), shown quoted.
    pub examples: Vec<String>,
    /// Whether a report would fail or miscount.
    pub severity: Severity,
}

const TS_OTHER: &str = "timestamps in another accepted form (an offset, a space, other fractional digits): \
                        read as their instant, through a slower expression";
const TS_RANGE: &str = "timestamps outside 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z: \
                        left out of every report";
const TS_BAD: &str = "values that are not a timestamp in any accepted form: every report fails";
const TYPE_BAD: &str = "values other than 'correct', 'incomplete', 'incorrect': counted in feedback_total only";
const BOOL_BAD: &str = "values other than 0, 1 and NULL (SQLite reads the text 'true' as false)";
const UTF8_BAD: &str = "text that is not valid UTF-8: every report that reads the column fails";
const DANGLING: &str = "links to an FAQ that does not exist (dangling): listed by `report orphans`";

#[derive(Default)]
struct Tally {
    counts: Vec<DataCount>,
}

impl Tally {
    fn add(&mut self, column: &str, problem: &'static str, severity: Severity, id: &[u8]) {
        let i = match self.counts.iter().position(|c| c.column == column && c.problem == problem) {
            Some(i) => i,
            None => {
                self.counts.push(DataCount {
                    column: column.to_string(),
                    problem,
                    rows: 0,
                    examples: Vec::new(),
                    severity,
                });
                self.counts.len() - 1
            }
        };
        let c = &mut self.counts[i];
        c.rows += 1;
        if c.examples.len() < EXAMPLES {
            c.examples.push(shown(id));
        }
    }
}

#[derive(QueryableByName)]
struct FeedbackFlags {
    #[diesel(sql_type = Binary)]
    id: Vec<u8>,
    #[diesel(sql_type = BigInt)]
    bad_type: i64,
    #[diesel(sql_type = BigInt)]
    bad_attempted: i64,
    #[diesel(sql_type = BigInt)]
    bad_success: i64,
    #[diesel(sql_type = Nullable<Binary>)]
    expert_id: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Binary>)]
    query_id: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Binary>)]
    generated_faq_id: Option<Vec<u8>>,
}

#[derive(QueryableByName)]
struct KeyOnly {
    #[diesel(sql_type = Binary)]
    id: Vec<u8>,
}

/// `check`'s data pass: per column the reports read, the values a report would reject or
/// read differently, with the first few row ids of each. On SQLite: the timestamps that are
/// not canonical (a lookup in the partial index; without it a scan), one scan of the other
/// columns of `expert_feedback` (from the covering reporting index; types and booleans
/// judged in SQL, UTF-8 here), the small tables, and the dangling links' anti-join. On
/// PostgreSQL, whose types rule out the rest: the timestamps outside the range and the
/// dangling links.
pub(crate) fn data_pass(db: &mut Database) -> Result<Vec<DataCount>> {
    let mut tally = Tally::default();
    match db.backend() {
        Backend::Sqlite => {
            sqlite_timestamps(db, &mut tally)?;
            sqlite_feedback_values(db, &mut tally)?;
            sqlite_other_text(db, &mut tally)?;
        }
        Backend::Postgres => postgres_timestamps(db, &mut tally)?,
    }
    dangling_links(db, &mut tally)?;
    Ok(tally.counts)
}

/// SQLite: the timestamps that are not canonical, found by one lookup in the partial index
/// ix_faqlink_unusual_timestamps (its WHERE is this one), judged by the reader.
fn sqlite_timestamps(db: &mut Database, tally: &mut Tally) -> Result<()> {
    let mut sql = db.sql();
    sql.push(
        "SELECT CAST(ef.id AS BLOB) AS id, CAST(ef.feedback_timestamp AS BLOB) AS value \
              FROM expert_feedback ef WHERE NOT ",
    )
    .push(&types::sqlite_timestamp_canonical("ef.feedback_timestamp"));
    db.for_each("checking the stored timestamps", &sql, |r: KeyValue| {
        let kind = std::str::from_utf8(&r.value).map_or(TimestampText::Unreadable, types::read_timestamp_text);
        let (problem, severity) = match kind {
            TimestampText::Canonical(_) | TimestampText::Other(_) => (TS_OTHER, Severity::Notice),
            TimestampText::OutOfRange => (TS_RANGE, Severity::Fails),
            TimestampText::Unreadable => (TS_BAD, Severity::Fails),
        };
        tally.add("expert_feedback.feedback_timestamp", problem, severity, &r.id);
        Ok(())
    })
}

/// SQLite: every other column of expert_feedback, in one scan of the columns the reports read
/// (the covering ix_faqlink_reporting holds them all): types and booleans judged in SQL, text
/// checked for UTF-8 here (SQLite has no test for it that does not miss a Latin-1 byte such
/// as 0xE9 followed by ASCII).
fn sqlite_feedback_values(db: &mut Database, tally: &mut Tally) -> Result<()> {
    let bad_type = "(ef.feedback_type NOT IN ('correct', 'incomplete', 'incorrect'))";
    let bad_bool = |c: &str| format!("({c} IS NOT NULL AND (typeof({c}) <> 'integer' OR {c} NOT IN (0, 1)))");
    let (att, suc) = (bad_bool("ef.task_creation_attempted"), bad_bool("ef.task_creation_success"));
    let mut sql = db.sql();
    sql.push(&format!(
        "SELECT CAST(ef.id AS BLOB) AS id, IFNULL({bad_type}, 1) AS bad_type, {att} AS bad_attempted, \
                {suc} AS bad_success, CAST(ef.expert_id AS BLOB) AS expert_id, \
                CAST(ef.query_id AS BLOB) AS query_id, CAST(ef.generated_faq_id AS BLOB) AS generated_faq_id \
         FROM expert_feedback ef"
    ));
    db.for_each("checking the stored values of expert_feedback", &sql, |r: FeedbackFlags| {
        for (bad, column, problem) in [
            (r.bad_type, "expert_feedback.feedback_type", TYPE_BAD),
            (r.bad_attempted, "expert_feedback.task_creation_attempted", BOOL_BAD),
            (r.bad_success, "expert_feedback.task_creation_success", BOOL_BAD),
        ] {
            if bad != 0 {
                tally.add(column, problem, Severity::Fails, &r.id);
            }
        }
        for (column, value) in [
            ("expert_feedback.id", Some(&r.id)),
            ("expert_feedback.expert_id", r.expert_id.as_ref()),
            ("expert_feedback.query_id", r.query_id.as_ref()),
            ("expert_feedback.generated_faq_id", r.generated_faq_id.as_ref()),
        ] {
            if value.is_some_and(|v| std::str::from_utf8(v).is_err()) {
                tally.add(column, UTF8_BAD, Severity::Fails, &r.id);
            }
        }
        Ok(())
    })
}

/// SQLite: the rows whose text column `c` holds a byte outside ASCII (the candidates for
/// invalid UTF-8), as (key, value) blobs.
fn non_ascii_values(db: &Database, c: &TextColumn) -> Sql {
    let mut sql = db.sql();
    sql.push(&format!(
        "SELECT CAST({key} AS BLOB) AS id, CAST({col} AS BLOB) AS value FROM {table} WHERE {cond}",
        key = c.key,
        col = c.column,
        table = c.table,
        cond = not_ascii(c.column)
    ));
    sql
}

/// SQLite: the text columns of the other tables the reports read, checked for UTF-8.
fn sqlite_other_text(db: &mut Database, tally: &mut Tally) -> Result<()> {
    for c in TEXT_COLUMNS.iter().filter(|c| c.table != "expert_feedback") {
        let sql = non_ascii_values(db, c);
        let column = format!("{}.{}", c.table, c.column);
        db.for_each("checking the stored text", &sql, |r: KeyValue| {
            if std::str::from_utf8(&r.value).is_err() {
                tally.add(&column, UTF8_BAD, Severity::Fails, &r.id);
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// PostgreSQL: the timestamps outside the representable range (its types hold the rest).
fn postgres_timestamps(db: &mut Database, tally: &mut Tally) -> Result<()> {
    let mut sql = db.sql();
    sql.push("SELECT CAST(CAST(ef.id AS TEXT) AS BYTEA) AS id FROM expert_feedback ef WHERE ef.feedback_timestamp < ")
        .bind(Param::Ts(Timestamp(earliest_instant())))
        .push(" OR ef.feedback_timestamp > ")
        .bind(Param::Ts(Timestamp(latest_instant())));
    db.for_each("checking the stored timestamps", &sql, |r: KeyOnly| {
        tally.add("expert_feedback.feedback_timestamp", TS_RANGE, Severity::Fails, &r.id);
        Ok(())
    })
}

/// Both backends: the links that name no FAQ.
fn dangling_links(db: &mut Database, tally: &mut Tally) -> Result<()> {
    let mut sql = db.sql();
    sql.push(match db.backend() {
        Backend::Sqlite => "SELECT CAST(ef.id AS BLOB) AS id",
        Backend::Postgres => "SELECT CAST(CAST(ef.id AS TEXT) AS BYTEA) AS id",
    })
    .push(" FROM expert_feedback ef WHERE 1 = 1");
    super::push_dangling(&mut sql, &super::Window::all(chrono_tz::UTC));
    db.for_each("checking the FAQ links", &sql, |r: KeyOnly| {
        tally.add("expert_feedback.generated_faq_id", DANGLING, Severity::Notice, &r.id);
        Ok(())
    })
}
