//! `faqlink check`: does the database have what the reports need? Reads only: works on a
//! production database created by Alembic (no Diesel migrations table) and changes nothing.

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

use crate::cli::CheckArgs;
use crate::commands::Global;
use crate::db::migrations::{self, Management};
use crate::db::{catalog, Access, Backend, Database};
use crate::error::{Error, Result};
use crate::output::escape::Visible;
use crate::reports::values::{self, Severity};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Present and right.
    Ok,
    /// Required and missing or wrong: `check` exits 1.
    Fail,
    /// Works, but worth a look.
    Warn,
    /// For information.
    Info,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Fail => "FAIL",
            Status::Warn => "warn",
            Status::Info => "info",
        }
    }
}

/// One line of the check table.
#[derive(Debug, Clone)]
pub struct Finding {
    /// What was checked.
    pub what: String,
    /// The outcome.
    pub status: Status,
    /// What was found, and for a failure what to do.
    pub detail: String,
}

fn finding(what: impl Into<String>, status: Status, detail: impl Into<String>) -> Finding {
    Finding { what: what.into(), status, detail: detail.into() }
}

/// A column the reports read, and the types that are acceptable for it per backend.
struct Required {
    table: &'static str,
    column: &'static str,
    /// PostgreSQL `udt_name` values accepted.
    pg: &'static [&'static str],
    /// Words one of which the SQLite declared type must contain.
    sqlite: &'static [&'static str],
    /// Which migration adds it (for the fix hint).
    migration: Migration,
}

/// A migration by both of its names: faqlink's, as `faqlink migrate status` prints it, and
/// the production (Alembic) revision that made the same change.
#[derive(Debug, Clone, Copy)]
struct Migration {
    faqlink: &'static str,
    alembic: &'static str,
}

impl std::fmt::Display for Migration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (`faqlink migrate`; in production Alembic revision {})", self.faqlink, self.alembic)
    }
}

const FAQ_MIGRATION: Migration =
    Migration { faqlink: "2025-08-05-000000_add_faq_tables", alembic: "add_faq_tables_20250805" };
const FEEDBACK_MIGRATION: Migration =
    Migration { faqlink: "2025-11-21-000000_expert_feedback", alembic: "20251121_expert_feedback" };
const LINK_MIGRATION: Migration =
    Migration { faqlink: "2025-11-24-000001_add_generated_faq_id", alembic: "20251124_add_generated_faq_id" };

const REQUIRED: &[Required] = &[
    Required {
        table: "faq_entries",
        column: "id",
        pg: &["varchar", "text"],
        sqlite: &["CHAR", "TEXT"],
        migration: FAQ_MIGRATION,
    },
    Required {
        table: "expert_profiles",
        column: "id",
        pg: &["uuid"],
        sqlite: &["TEXT", "CHAR", "UUID"],
        migration: FEEDBACK_MIGRATION,
    },
    Required {
        table: "expert_profiles",
        column: "professional_registration_number",
        pg: &["varchar", "text"],
        sqlite: &["CHAR", "TEXT"],
        migration: FEEDBACK_MIGRATION,
    },
    Required {
        table: "expert_feedback",
        column: "id",
        pg: &["uuid"],
        sqlite: &["TEXT", "CHAR", "UUID"],
        migration: FEEDBACK_MIGRATION,
    },
    Required {
        table: "expert_feedback",
        column: "query_id",
        pg: &["uuid"],
        sqlite: &["TEXT", "CHAR", "UUID"],
        migration: FEEDBACK_MIGRATION,
    },
    Required {
        table: "expert_feedback",
        column: "expert_id",
        pg: &["uuid"],
        sqlite: &["TEXT", "CHAR", "UUID"],
        migration: FEEDBACK_MIGRATION,
    },
    Required {
        table: "expert_feedback",
        column: "feedback_type",
        pg: &["feedback_type"],
        sqlite: &["TEXT", "CHAR"],
        migration: FEEDBACK_MIGRATION,
    },
    Required {
        table: "expert_feedback",
        column: "feedback_timestamp",
        pg: &["timestamptz"],
        sqlite: &["TEXT", "TIMESTAMP", "DATETIME"],
        migration: FEEDBACK_MIGRATION,
    },
    Required {
        table: "expert_feedback",
        column: "task_creation_attempted",
        pg: &["bool"],
        sqlite: &["BOOL"],
        migration: FEEDBACK_MIGRATION,
    },
    Required {
        table: "expert_feedback",
        column: "task_creation_success",
        pg: &["bool"],
        sqlite: &["BOOL"],
        migration: FEEDBACK_MIGRATION,
    },
    Required {
        table: "expert_feedback",
        column: "generated_faq_id",
        pg: &["varchar"],
        sqlite: &["CHAR", "TEXT"],
        migration: LINK_MIGRATION,
    },
];

/// The tables the reports read.
const TABLES: [&str; 3] = ["faq_entries", "expert_profiles", "expert_feedback"];

/// Runs every check (read-only) and returns the findings; with `data`, the data pass too.
pub fn findings(db: &mut Database) -> Result<Vec<Finding>> {
    findings_with(db, true)
}

/// [`findings`], with the data pass when `data` is set (after the schema checks, and only
/// when the tables and columns the reports read are all there).
pub(crate) fn findings_with(db: &mut Database, data: bool) -> Result<Vec<Finding>> {
    db.read_snapshot(|db| {
        let mut out = vec![management_finding(db)?];
        let columns = catalog::report_columns(db)?;
        out.extend(table_findings(&columns));
        out.extend(column_findings(&columns, db.backend()));
        let has_link = columns.iter().any(|c| c.table_name == "expert_feedback" && c.column_name == "generated_faq_id");
        if has_link {
            out.push(foreign_key_finding(db)?);
            out.push(index_finding(db)?);
            out.extend(recommended_index_findings(db)?);
        }
        match db.backend() {
            Backend::Sqlite => out.push(sqlite_enforcement(db)?),
            Backend::Postgres => out.extend(index_usage(db)?),
        }
        let readable =
            REQUIRED.iter().all(|r| columns.iter().any(|c| c.table_name == r.table && c.column_name == r.column));
        if data && readable {
            out.extend(data_findings(db)?);
        }
        Ok(out)
    })
}

/// One finding per table the reports read: present or missing.
fn table_findings(columns: &[catalog::ColumnInfo]) -> Vec<Finding> {
    TABLES
        .iter()
        .map(|table| match columns.iter().any(|c| c.table_name == *table) {
            true => finding(format!("table {table}"), Status::Ok, "present"),
            false => finding(
                format!("table {table}"),
                Status::Fail,
                "missing: run `faqlink migrate` on a faqlink database, or the production migrations (alembic upgrade head)",
            ),
        })
        .collect()
}

/// One finding per column the reports read, in the tables present: missing, or its type
/// (the expected types named as this backend spells them).
fn column_findings(columns: &[catalog::ColumnInfo], backend: Backend) -> Vec<Finding> {
    let mut out = Vec::new();
    for req in REQUIRED.iter().filter(|r| columns.iter().any(|c| c.table_name == r.table)) {
        let what = format!("column {}.{}", req.table, req.column);
        let Some(c) = columns.iter().find(|c| c.table_name == req.table && c.column_name == req.column) else {
            out.push(finding(what, Status::Fail, format!("missing: apply migration {}", req.migration)));
            continue;
        };
        let shown = match c.max_length {
            Some(n) => format!("{}({n})", c.type_name),
            None => c.type_name.clone(),
        };
        let (ok, expected) = match backend {
            Backend::Postgres => (req.pg.contains(&c.type_name.as_str()), req.pg),
            Backend::Sqlite => {
                let t = c.type_name.to_ascii_uppercase();
                (req.sqlite.iter().any(|w| t.contains(w)), req.sqlite)
            }
        };
        out.push(match ok {
            true => finding(what, Status::Ok, shown),
            false => finding(what, Status::Fail, format!("type {shown}, expected {}", expected.join(" or "))),
        });
    }
    out
}

/// The data pass ([`values::data_pass`]): one finding per kind of value found, or one `ok`.
fn data_findings(db: &mut Database) -> Result<Vec<Finding>> {
    let counts = values::data_pass(db)?;
    if counts.is_empty() {
        return Ok(vec![finding(
            "stored values",
            Status::Ok,
            "every value the reports read is read as stored (timestamps, feedback types, booleans, text, FAQ links)",
        )]);
    }
    Ok(counts
        .into_iter()
        .map(|c| {
            let status = match c.severity {
                Severity::Fails => Status::Fail,
                Severity::Notice => Status::Warn,
            };
            let more = if c.rows as usize > c.examples.len() { ", …" } else { "" };
            finding(
                format!("values of {}", c.column),
                status,
                format!("{} row(s): {}; first ids: {}{more}", c.rows, c.problem, c.examples.join(", ")),
            )
        })
        .collect())
}

fn management_finding(db: &mut Database) -> Result<Finding> {
    Ok(match migrations::management(db)? {
        Management::Embedded => {
            let states = migrations::status(db)?;
            let pending: Vec<_> = states.iter().filter(|s| !s.applied).map(|s| s.name.as_str()).collect();
            if pending.is_empty() {
                finding(
                    "schema management",
                    Status::Ok,
                    format!("faqlink embedded migrations, {} applied", states.len()),
                )
            } else {
                finding(
                    "schema management",
                    Status::Warn,
                    format!("faqlink embedded migrations, pending: {} (run `faqlink migrate`)", pending.join(", ")),
                )
            }
        }
        Management::External { alembic_revision } => finding(
            "schema management",
            Status::Info,
            format!(
                "external: no {} table{}; faqlink only reads it",
                migrations::DIESEL_TABLE,
                alembic_revision.map_or(String::new(), |r| format!(", Alembic revision {r}"))
            ),
        ),
        Management::Empty => finding(
            "schema management",
            Status::Fail,
            "empty database: run `faqlink migrate` (or `faqlink demo` for sample data)",
        ),
    })
}

fn foreign_key_finding(db: &mut Database) -> Result<Finding> {
    let fks = catalog::generated_faq_id_foreign_keys(db)?;
    let what = "FK generated_faq_id → faq_entries(id)";
    Ok(match fks.iter().find(|f| f.ref_table == "faq_entries") {
        Some(fk) if fk.on_delete == "SET NULL" => finding(what, Status::Ok, format!("{}, ON DELETE SET NULL", fk.name)),
        Some(fk) => finding(
            what,
            Status::Fail,
            format!(
                "{} is ON DELETE {}: deleting an FAQ must clear the link; recreate it with ON DELETE SET NULL",
                fk.name, fk.on_delete
            ),
        ),
        None => finding(
            what,
            Status::Fail,
            format!("missing: deleted FAQs would leave dangling links; apply migration {LINK_MIGRATION}"),
        ),
    })
}

fn index_finding(db: &mut Database) -> Result<Finding> {
    let found = catalog::feedback_indexes_leading_with(db, &["generated_faq_id"])?;
    let what = "index on expert_feedback.generated_faq_id";
    let wanted = "idx_expert_feedback_generated_faq_id";
    Ok(if found.iter().any(|name| name == wanted) {
        finding(what, Status::Ok, wanted)
    } else if let Some(other) = found.first() {
        finding(what, Status::Warn, format!("{other} (production names it {wanted})"))
    } else {
        finding(
            what,
            Status::Fail,
            format!(
                "missing: CREATE INDEX {wanted} ON expert_feedback (generated_faq_id); (migration {LINK_MIGRATION})"
            ),
        )
    })
}

/// One finding per recommended index: `ok` with the index found, or `info` with the statement.
fn recommended_index_findings(db: &mut Database) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    for r in catalog::recommended_indexes(db.backend()) {
        let found = catalog::feedback_indexes_leading_with(db, r.columns)?;
        out.push(match found.first() {
            Some(name) => finding(r.what, Status::Ok, name.clone()),
            None => finding(
                r.what,
                Status::Info,
                format!("optional, recommended on large tables: {}; {}", r.statement, r.effect),
            ),
        });
    }
    Ok(out)
}

fn sqlite_enforcement(db: &mut Database) -> Result<Finding> {
    let what = "SQLite foreign-key enforcement";
    Ok(if catalog::sqlite_foreign_keys_on(db)? {
        finding(what, Status::Ok, "on (faqlink sets PRAGMA foreign_keys = ON on every connection)")
    } else {
        finding(
            what,
            Status::Fail,
            "off: ON DELETE SET NULL would never fire; this SQLite build ignores PRAGMA foreign_keys",
        )
    })
}

fn index_usage(db: &mut Database) -> Result<Option<Finding>> {
    let usage = catalog::index_usage(db, "idx_expert_feedback_generated_faq_id")?;
    Ok(usage.map(|u| {
        finding(
            "usage of idx_expert_feedback_generated_faq_id",
            Status::Info,
            format!(
                "{} scans, {} tuples read, {} fetched, {} kB",
                u.idx_scan,
                u.idx_tup_read,
                u.idx_tup_fetch,
                u.size_bytes / 1024
            ),
        )
    }))
}

/// Renders the findings as a plain table.
pub fn render(findings: &[Finding]) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty()
        .set_header(["check", "status", "detail"]);
    if let Some(col) = table.column_mut(1) {
        col.set_cell_alignment(CellAlignment::Center);
    }
    for f in findings {
        // Names and definitions come from the database's catalog: shown escaped, as cells are.
        let (what, detail) = (Visible::text(&f.what), Visible::text(&f.detail));
        table.add_row([what.as_str(), f.status.label(), detail.as_str()]);
    }
    table.to_string()
}

/// Runs `faqlink check`.
pub fn run(args: &CheckArgs, global: &Global) -> Result<()> {
    let mut db = Database::open(&global.url, Access::ReadOnly)?;
    let found = findings_with(&mut db, !args.schema_only)?;
    println!("{}\n{}", db.url, render(&found));
    let failed: Vec<String> = found.iter().filter(|f| f.status == Status::Fail).map(|f| f.what.clone()).collect();
    if failed.is_empty() {
        println!("all required checks passed");
        Ok(())
    } else {
        Err(Error::CheckFailed { failed })
    }
}
