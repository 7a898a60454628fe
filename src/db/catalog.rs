//! Catalog queries: what tables, columns, foreign keys and indexes a database has, on either
//! backend (`information_schema`/`pg_catalog` on PostgreSQL, `sqlite_master` and the pragma
//! table functions on SQLite). Every statement here reads; `check`, `seed` and the migration
//! bookkeeping ask through these functions instead of writing catalog SQL of their own.

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::QueryableByName;

use super::{Backend, Count, Database, Param};
use crate::error::Result;

/// One column of the tables faqlink reads.
#[derive(QueryableByName, Debug, Clone)]
pub(crate) struct ColumnInfo {
    /// Its table.
    #[diesel(sql_type = Text)]
    pub table_name: String,
    /// Its name.
    #[diesel(sql_type = Text)]
    pub column_name: String,
    /// PostgreSQL's `udt_name`, or SQLite's declared type.
    #[diesel(sql_type = Text)]
    pub type_name: String,
    /// `character_maximum_length` (PostgreSQL only).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub max_length: Option<i64>,
}

/// The columns of `faq_entries`, `expert_profiles` and `expert_feedback`.
pub(crate) fn report_columns(db: &mut Database) -> Result<Vec<ColumnInfo>> {
    let mut sql = db.sql();
    match db.backend() {
        Backend::Postgres => sql.push(
            "SELECT CAST(table_name AS TEXT) AS table_name, CAST(column_name AS TEXT) AS column_name, \
                    CAST(udt_name AS TEXT) AS type_name, CAST(character_maximum_length AS BIGINT) AS max_length \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name IN ('faq_entries', 'expert_profiles', 'expert_feedback')",
        ),
        Backend::Sqlite => sql.push(
            "SELECT m.name AS table_name, c.name AS column_name, c.type AS type_name, \
                    CAST(NULL AS INTEGER) AS max_length \
             FROM sqlite_master m JOIN pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND m.name IN ('faq_entries', 'expert_profiles', 'expert_feedback')",
        ),
    };
    db.load("reading the column catalog", &sql)
}

/// A foreign key on `expert_feedback.generated_faq_id`.
#[derive(QueryableByName, Debug, Clone)]
pub(crate) struct ForeignKey {
    /// The constraint's name (on SQLite as written in the table's statement, or a description
    /// of an unnamed constraint).
    #[diesel(sql_type = Text)]
    pub name: String,
    /// The table it references.
    #[diesel(sql_type = Text)]
    pub ref_table: String,
    /// `SET NULL`, `CASCADE`, `RESTRICT`, `SET DEFAULT` or `NO ACTION`.
    #[diesel(sql_type = Text)]
    pub on_delete: String,
}

/// The single-column foreign keys on `expert_feedback.generated_faq_id`.
pub(crate) fn generated_faq_id_foreign_keys(db: &mut Database) -> Result<Vec<ForeignKey>> {
    let mut sql = db.sql();
    match db.backend() {
        Backend::Postgres => sql.push(
            "SELECT CAST(c.conname AS TEXT) AS name, CAST(rt.relname AS TEXT) AS ref_table, \
                    CASE c.confdeltype WHEN 'n' THEN 'SET NULL' WHEN 'c' THEN 'CASCADE' WHEN 'r' THEN 'RESTRICT' \
                                       WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END AS on_delete \
             FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             JOIN pg_class rt ON rt.oid = c.confrelid \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = c.conkey[1] \
             WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = 'expert_feedback' \
               AND a.attname = 'generated_faq_id' AND cardinality(c.conkey) = 1",
        ),
        Backend::Sqlite => sql.push(
            "SELECT COALESCE((SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'expert_feedback'), '') \
                    AS name, \"table\" AS ref_table, on_delete \
             FROM pragma_foreign_key_list('expert_feedback') WHERE \"from\" = 'generated_faq_id'",
        ),
    };
    let mut fks: Vec<ForeignKey> = db.load("reading foreign keys", &sql)?;
    if db.backend() == Backend::Sqlite {
        // SQLite keeps no constraint names: the name is read from the table's own statement.
        for fk in &mut fks {
            fk.name = sqlite_constraint_name(&fk.name, "generated_faq_id", &fk.ref_table)
                .unwrap_or_else(|| format!("an unnamed foreign key (generated_faq_id REFERENCES {})", fk.ref_table));
        }
    }
    Ok(fks)
}

/// The name of the constraint on `column` referencing `ref_table` in a SQLite `CREATE TABLE`
/// statement, as written (`CONSTRAINT name` before the column's `REFERENCES`, or before a
/// table constraint `FOREIGN KEY (column) REFERENCES`); `None` when it has none.
pub(crate) fn sqlite_constraint_name(create: &str, column: &str, ref_table: &str) -> Option<String> {
    // Words, with brackets and commas as words of their own; quotes dropped.
    let spaced = create.replace('(', " ( ").replace(')', " ) ").replace(',', " , ");
    let words: Vec<String> =
        spaced.split_whitespace().map(|w| w.trim_matches(|c| matches!(c, '"' | '`' | '[' | ']')).to_string()).collect();
    let is = |i: usize, w: &str| words.get(i).is_some_and(|x| x.eq_ignore_ascii_case(w));
    for i in 0..words.len() {
        if !(is(i, "REFERENCES") && is(i + 1, ref_table)) {
            continue;
        }
        // Back to the start of this column or constraint definition (a comma at depth 1).
        let mut depth = 0i32;
        let mut start = 0;
        for j in (0..i).rev() {
            match words[j].as_str() {
                ")" => depth += 1,
                "(" if depth == 0 => {
                    start = j + 1;
                    break;
                }
                "(" => depth -= 1,
                "," if depth == 0 => {
                    start = j + 1;
                    break;
                }
                _ => {}
            }
        }
        let part = &words[start..i];
        let about_column = part.first().is_some_and(|w| w.eq_ignore_ascii_case(column))
            || part.windows(2).any(|w| w[0].eq_ignore_ascii_case("KEY") && w[1] == "(")
                && part.iter().any(|w| w.eq_ignore_ascii_case(column));
        if !about_column {
            continue;
        }
        return part.iter().position(|w| w.eq_ignore_ascii_case("CONSTRAINT")).and_then(|k| part.get(k + 1)).cloned();
    }
    None
}

/// An optional index faqlink recommends (and its own databases carry, from the faqlink-only
/// migrations after the production chain): never required, reported as `info` when missing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Recommended {
    /// What the finding is called.
    pub what: &'static str,
    /// The columns an existing index must start with to count (key columns, then INCLUDE).
    pub columns: &'static [&'static str],
    /// The statement that creates it on a live database.
    pub statement: &'static str,
    /// What it buys, as measured (docs/PERFORMANCE.md has the tables).
    pub effect: &'static str,
}

const REPORTING_POSTGRES: Recommended = Recommended {
    what: "covering reporting index",
    columns: REPORTING_COLUMNS_POSTGRES,
    statement: "CREATE INDEX CONCURRENTLY ix_faqlink_reporting ON expert_feedback (feedback_timestamp) \
                INCLUDE (feedback_type, expert_id, generated_faq_id, task_creation_attempted, task_creation_success, id, query_id);",
    effect: "windowed reports read one index range and every section reads the index only \
             (measured at 10M rows: `report experts --last-week` 0.03 s; `report totals` 4.7 s -> 3.4 s)",
};

const EXPERTS_POSTGRES: Recommended = Recommended {
    what: "per-expert index",
    columns: &["expert_id", "generated_faq_id"],
    statement: "CREATE INDEX CONCURRENTLY ix_faqlink_experts ON expert_feedback (expert_id) \
                INCLUDE (generated_faq_id) WHERE feedback_type = 'correct';",
    effect: "`report experts` over the whole history reads only the `correct` rows, from a small index \
             (measured at 10M rows: 1.6 s -> 0.5 s)",
};

const ORPHANED_POSTGRES: Recommended = Recommended {
    what: "orphaned-links index",
    columns: &["feedback_timestamp", "id", "expert_id"],
    statement: "CREATE INDEX CONCURRENTLY ix_faqlink_orphaned ON expert_feedback (feedback_timestamp, id) \
                INCLUDE (expert_id) WHERE feedback_type = 'correct' AND task_creation_success IS TRUE \
                AND generated_faq_id IS NULL;",
    effect: "`report orphans` finds orphaned links without reading every row \
             (measured at 10M rows: 3.9 s -> 2.0 s)",
};

/// SQLite has no INCLUDE (the extra columns are trailing key columns) and is keyed on
/// (feedback_type, expert_id), which its planner needs to avoid a table lookup per row.
const REPORTING_SQLITE: Recommended = Recommended {
    what: "covering reporting index",
    columns: &[
        "feedback_type",
        "expert_id",
        "generated_faq_id",
        "task_creation_attempted",
        "task_creation_success",
        "feedback_timestamp",
        "id",
        "query_id",
    ],
    statement: "CREATE INDEX ix_faqlink_reporting ON expert_feedback (feedback_type, expert_id, generated_faq_id, \
                task_creation_attempted, task_creation_success, feedback_timestamp, id, query_id);",
    effect: "every section reads the index only (measured at 10M rows: `report experts` 18.4 s -> 0.7 s)",
};

/// The indexes `faqlink check` recommends on `backend`, in the order it reports them.
pub(crate) fn recommended_indexes(backend: Backend) -> &'static [Recommended] {
    match backend {
        Backend::Postgres => &[REPORTING_POSTGRES, EXPERTS_POSTGRES, ORPHANED_POSTGRES],
        Backend::Sqlite => &[REPORTING_SQLITE],
    }
}

#[cfg(test)]
mod tests {
    use super::sqlite_constraint_name;

    #[test]
    fn sqlite_constraint_names_are_read_from_the_statement() {
        let name = |sql: &str| sqlite_constraint_name(sql, "generated_faq_id", "faq_entries");
        assert_eq!(
            name(
                "CREATE TABLE expert_feedback (id TEXT, generated_faq_id VARCHAR(100) NULL \
                  CONSTRAINT fk_expert_feedback_generated_faq_id REFERENCES faq_entries (id) ON DELETE SET NULL)"
            )
            .as_deref(),
            Some("fk_expert_feedback_generated_faq_id")
        );
        assert_eq!(
            name("CREATE TABLE expert_feedback (id TEXT, expert_id TEXT CONSTRAINT fk_e REFERENCES expert_profiles (id), \
                  generated_faq_id VARCHAR(100) REFERENCES faq_entries(id) ON DELETE SET NULL)"),
            None
        );
        assert_eq!(
            name(
                "CREATE TABLE expert_feedback (id TEXT, generated_faq_id TEXT, CONSTRAINT \"fk_custom\" FOREIGN KEY \
                  (generated_faq_id) REFERENCES \"faq_entries\" (id) ON DELETE SET NULL)"
            )
            .as_deref(),
            Some("fk_custom")
        );
    }
}

#[derive(QueryableByName, Debug)]
struct IndexColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    pos: i64,
    #[diesel(sql_type = Text)]
    col: String,
}

/// The columns of faqlink's covering `ix_faqlink_reporting` on PostgreSQL, key then INCLUDE
/// (migrations/postgres/2025-11-25-000000_faqlink_reporting_index).
pub(crate) const REPORTING_COLUMNS_POSTGRES: &[&str] = &[
    "feedback_timestamp",
    "feedback_type",
    "expert_id",
    "generated_faq_id",
    "task_creation_attempted",
    "task_creation_success",
    "id",
    "query_id",
];

/// Whether `expert_feedback` has an index holding the columns of faqlink's covering reporting
/// index ([`REPORTING_COLUMNS_POSTGRES`], under any name): a report can then read every row's
/// reporting columns from the index alone. PostgreSQL only (false on SQLite).
pub(crate) fn has_covering_reporting_index(db: &mut Database) -> Result<bool> {
    if db.backend() != Backend::Postgres {
        return Ok(false);
    }
    Ok(!feedback_indexes_leading_with(db, REPORTING_COLUMNS_POSTGRES)?.is_empty())
}

/// Names of the indexes on `expert_feedback` whose columns (key columns, then INCLUDE) begin
/// with `leading`, in name order.
pub(crate) fn feedback_indexes_leading_with(db: &mut Database, leading: &[&str]) -> Result<Vec<String>> {
    let mut sql = db.sql();
    match db.backend() {
        Backend::Postgres => sql.push(
            "SELECT CAST(i.relname AS TEXT) AS name, CAST(k.ord - 1 AS BIGINT) AS pos, CAST(a.attname AS TEXT) AS col \
             FROM pg_index x \
             JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class t ON t.oid = x.indrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             CROSS JOIN LATERAL unnest(CAST(x.indkey AS int2[])) WITH ORDINALITY AS k(attnum, ord) \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
             WHERE n.nspname = current_schema() AND t.relname = 'expert_feedback'",
        ),
        Backend::Sqlite => sql.push(
            "SELECT il.name AS name, CAST(ii.seqno AS BIGINT) AS pos, ii.name AS col \
             FROM pragma_index_list('expert_feedback') il JOIN pragma_index_info(il.name) ii",
        ),
    };
    let mut columns: Vec<IndexColumn> = db.load("reading indexes", &sql)?;
    columns.sort_by(|a, b| a.name.cmp(&b.name).then(a.pos.cmp(&b.pos)));
    let mut names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    names.dedup();
    names.retain(|name| {
        let keys: Vec<&str> = columns.iter().filter(|c| &c.name == name).map(|c| c.col.as_str()).collect();
        keys.starts_with(leading)
    });
    Ok(names)
}

/// Whether this SQLite connection enforces foreign keys (`PRAGMA foreign_keys`).
pub(crate) fn sqlite_foreign_keys_on(db: &mut Database) -> Result<bool> {
    let mut sql = db.sql();
    sql.push("SELECT foreign_keys AS n FROM pragma_foreign_keys");
    let on: Vec<Count> = db.load("reading PRAGMA foreign_keys", &sql)?;
    Ok(on.first().is_some_and(|r| r.n == 1))
}

/// PostgreSQL's statistics for one index.
#[derive(QueryableByName, Debug, Clone, Copy)]
pub(crate) struct IndexUsage {
    /// Scans started on it.
    #[diesel(sql_type = BigInt)]
    pub idx_scan: i64,
    /// Index entries read.
    #[diesel(sql_type = BigInt)]
    pub idx_tup_read: i64,
    /// Table rows fetched through it.
    #[diesel(sql_type = BigInt)]
    pub idx_tup_fetch: i64,
    /// Its size on disk.
    #[diesel(sql_type = BigInt)]
    pub size_bytes: i64,
}

/// `pg_stat_user_indexes` for the index `name` of the current schema (PostgreSQL only).
pub(crate) fn index_usage(db: &mut Database, name: &str) -> Result<Option<IndexUsage>> {
    let mut sql = db.sql();
    sql.push(
        "SELECT s.idx_scan AS idx_scan, s.idx_tup_read AS idx_tup_read, s.idx_tup_fetch AS idx_tup_fetch, \
                pg_relation_size(s.indexrelid) AS size_bytes \
         FROM pg_stat_user_indexes s WHERE s.schemaname = current_schema() AND s.indexrelname = ",
    )
    .bind(Param::Text(name.to_string()));
    let usage: Vec<IndexUsage> = db.load("reading pg_stat_user_indexes", &sql)?;
    Ok(usage.into_iter().next())
}

/// An index or constraint of a table, with the statement text that recreates it.
#[derive(QueryableByName, Debug, Clone)]
pub(crate) struct Definition {
    /// Its name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// `CREATE INDEX …` for an index; the constraint's definition for `ADD CONSTRAINT`.
    #[diesel(sql_type = Text)]
    pub def: String,
    /// `i` index, `p` primary key, `f` foreign key.
    #[diesel(sql_type = Text)]
    pub kind: String,
}

/// The secondary indexes of `table` and, on PostgreSQL, its primary and foreign keys.
/// `table` is one of faqlink's own table names (a constant, never user input).
pub(crate) fn definitions(db: &mut Database, table: &'static str) -> Result<Vec<Definition>> {
    let mut sql = db.sql();
    match db.backend() {
        Backend::Postgres => sql.push(&format!(
            "SELECT CAST(conname AS TEXT) AS name, pg_get_constraintdef(oid) AS def, CAST(contype AS TEXT) AS kind \
             FROM pg_constraint WHERE conrelid = '{table}'::regclass AND contype IN ('p', 'f') \
             UNION ALL \
             SELECT CAST(indexname AS TEXT), indexdef, 'i' FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename = '{table}' \
               AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = '{table}'::regclass)"
        )),
        Backend::Sqlite => sql.push(&format!(
            "SELECT name, sql AS def, 'i' AS kind FROM sqlite_master \
             WHERE type = 'index' AND tbl_name = '{table}' AND sql IS NOT NULL"
        )),
    };
    db.load("reading index definitions", &sql)
}

/// Which of `tables` exist, read in one statement (one snapshot): several separate lookups
/// could straddle another process's commit and see half of its schema.
pub(crate) fn tables_present(db: &mut Database, tables: &[&str]) -> Result<std::collections::BTreeSet<String>> {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let mut sql = db.sql();
    match db.backend() {
        Backend::Postgres => sql.push(
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name IN (",
        ),
        Backend::Sqlite => sql.push("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ("),
    };
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Param::Text(table.to_string()));
    }
    sql.push(")");
    let rows: Vec<Name> = db.load("looking up tables", &sql)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// Whether `table` exists (in the current schema on PostgreSQL).
pub(crate) fn table_exists(db: &mut Database, table: &str) -> Result<bool> {
    let mut sql = db.sql();
    match db.backend() {
        Backend::Postgres => sql.push(
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = ",
        ),
        Backend::Sqlite => sql.push("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = "),
    };
    sql.bind(Param::Text(table.to_string()));
    let rows: Vec<Count> = db.load("looking up a table", &sql)?;
    Ok(rows.first().is_some_and(|r| r.n > 0))
}

/// Whether the PostgreSQL server is in recovery (a hot standby).
pub(crate) fn in_recovery(db: &mut Database) -> Result<bool> {
    #[derive(diesel::QueryableByName)]
    struct Recovery {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        r: bool,
    }
    let sql = db.sql().push("SELECT pg_is_in_recovery() AS r").clone();
    let rows: Vec<Recovery> = db.load("asking whether the server is a standby", &sql)?;
    Ok(rows.first().is_some_and(|x| x.r))
}

/// The version of the SQLite library linked into this binary (asked of an in-memory
/// database).
pub(crate) fn sqlite_library_version() -> Result<String> {
    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct VersionRow {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let fail = |reason: String| crate::error::Error::Query {
        what: "SELECT sqlite_version()".into(),
        url: ":memory:".into(),
        reason,
        class: crate::error::QueryClass::Other,
    };
    let mut conn = diesel::SqliteConnection::establish(":memory:").map_err(|e| fail(e.to_string()))?;
    let row: VersionRow = diesel::sql_query("SELECT sqlite_version() AS version")
        .get_result(&mut conn)
        .map_err(|e| fail(e.to_string()))?;
    Ok(row.version)
}
