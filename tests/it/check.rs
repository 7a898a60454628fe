//! `check` on faqlink's own databases and on a production-shaped database built from plain
//! SQL (tests/fixtures/production.postgres.sql, written from docs/SCHEMA.md, no Diesel table):
//! it passes, changes nothing, and fails clearly when a required piece is missing.

use faqlink::db::Backend;

use crate::harness::{faqlink, skip_pg, TestDb};

/// Runs a SQL file with psql (ON_ERROR_STOP).
pub fn psql_file(db: &TestDb, file: &str) {
    let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &db.url(), "-f", &path])
        .output()
        .expect("psql");
    assert!(out.status.success(), "{file}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A production-shaped PostgreSQL database with the fixture data.
pub fn production() -> Option<TestDb> {
    if skip_pg() {
        eprintln!("FAQLINK_TEST_SKIP_PG=1: skipping a production-fixture test");
        return None;
    }
    let db = TestDb::postgres_empty();
    psql_file(&db, "tests/fixtures/production.postgres.sql");
    psql_file(&db, "tests/fixtures/production_data.postgres.sql");
    Some(db)
}

/// Everything that could change: the schema and every row, plus the write counters.
fn fingerprint(db: &TestDb) -> String {
    let out = std::process::Command::new("pg_dump").args(["--no-owner", "-d", &db.url()]).output().expect("pg_dump");
    assert!(out.status.success());
    // pg_dump 15.14+ adds a random \restrict token per dump; the rest must be identical.
    String::from_utf8(out.stdout).unwrap().lines().filter(|l| !l.contains("restrict ")).collect::<Vec<_>>().join("\n")
}

fn tuples_written(db: &TestDb) -> String {
    db.cli_csv("SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) AS w FROM pg_stat_user_tables")
}

#[test]
fn check_passes_on_a_production_database_and_writes_nothing() {
    let Some(db) = production() else { return };
    let before = fingerprint(&db);
    let written = tuples_written(&db);
    let out = faqlink().args(["--database-url", &db.url(), "check"]).assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout
            .contains("external: no __diesel_schema_migrations table, Alembic revision 20251124_add_generated_faq_id"),
        "{stdout}"
    );
    assert!(stdout.contains("usage of idx_expert_feedback_generated_faq_id"), "{stdout}");
    assert!(stdout.contains("all required checks passed"), "{stdout}");
    // The optional indexes are recommended with the statements to run and what they buy.
    for statement in [
        "CREATE INDEX CONCURRENTLY ix_faqlink_reporting ON expert_feedback (feedback_timestamp) INCLUDE",
        "CREATE INDEX CONCURRENTLY ix_faqlink_experts ON expert_feedback (expert_id) INCLUDE (generated_faq_id) \
         WHERE feedback_type = 'correct';",
        "CREATE INDEX CONCURRENTLY ix_faqlink_orphaned ON expert_feedback (feedback_timestamp, id)",
    ] {
        assert!(stdout.contains(statement), "{statement}\n{stdout}");
    }
    assert!(stdout.contains("measured at 10M rows: 1.6 s -> 0.5 s"), "{stdout}");
    // Reports and migrate status read it too, and nothing changes.
    faqlink().args(["--database-url", &db.url(), "report", "all", "--format", "json"]).assert().success();
    faqlink()
        .args(["--database-url", &db.url(), "migrate", "status"])
        .assert()
        .success()
        .stdout(predicates::str::contains("managed externally (Alembic revision 20251124_add_generated_faq_id)"));
    assert!(fingerprint(&db) == before, "a read command changed the production database");
    assert_eq!(tuples_written(&db), written);
    assert_eq!(db.cli_csv("SELECT to_regclass('__diesel_schema_migrations') IS NULL AS absent"), "absent\nt\n");
}

#[test]
fn write_commands_refuse_a_production_database() {
    let Some(db) = production() else { return };
    for args in [vec!["migrate"], vec!["seed", "--feedback", "10"], vec!["demo"], vec!["migrate", "revert"]] {
        let out = faqlink().args(["--database-url", &db.url()]).args(&args).assert().code(1);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(
            stderr.contains("managed by Alembic") || stderr.contains("not managed by faqlink"),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    assert_eq!(db.cli_csv("SELECT COUNT(*) AS n FROM expert_feedback"), "n\n20\n");
}

#[test]
fn production_fixture_reports_the_pinned_figures() {
    let Some(db) = production() else { return };
    let csv = |args: &[&str]| {
        let out = faqlink()
            .args(["--database-url", &db.url(), "report"])
            .args(args)
            .args(["--format", "csv"])
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap().replace("\r\n", "\n")
    };
    assert_eq!(
        csv(&["experts"]),
        "expert_id,professional_registration_number,total_feedback,faqs_generated,faq_rate_pct\n\
         3f2a6c1e-8b4d-4e7a-9c21-5d0b7e1f4a10,ODCEC-MI-012345,5,3,60.00\n\
         a9d04b7c-1e55-4f3b-8a6d-2c9e0f7b3d21,,4,2,50.00\n\
         0c71e8f2-6a3d-4b19-b5e4-7f2d9a1c8e32,'=ODCEC-RM-000777,4,1,25.00\n"
    );
    assert!(csv(&["totals"]).ends_with("\n20,13,3,4,10,7,6,6,1,0,46.15\n"));
    assert!(csv(&["totals", "--week", "2026-W46"]).ends_with("\n6,4,1,1,3,2,1,1,1,0,25.00\n"));
    let weekly = csv(&["weekly", "--tz", "Europe/Rome"]);
    let fixed: Vec<String> =
        weekly.lines().skip(1).map(|l| l.split(',').take(7).collect::<Vec<_>>().join(",")).collect();
    assert_eq!(
        fixed,
        [
            "2026-11-02,2026-W45,5,4,3,75.00,0",
            "2026-11-09,2026-W46,7,4,1,25.00,1",
            "2026-11-16,2026-W47,0,0,0,,0",
            "2026-11-23,2026-W48,7,4,2,50.00,0"
        ]
    );
}

#[test]
fn check_fails_clearly_when_a_required_piece_is_missing() {
    let cases: [(&str, &str); 3] = [
        ("DROP INDEX idx_expert_feedback_generated_faq_id", "index on expert_feedback.generated_faq_id"),
        ("ALTER TABLE expert_feedback DROP CONSTRAINT fk_expert_feedback_generated_faq_id", "FK generated_faq_id"),
        ("ALTER TABLE expert_feedback DROP COLUMN generated_faq_id", "column expert_feedback.generated_faq_id"),
    ];
    for (sql, what) in cases {
        let Some(db) = production() else { return };
        db.exec(sql);
        let out = faqlink().args(["--database-url", &db.url(), "check"]).assert().code(1);
        let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(stdout.lines().any(|l| l.contains(what) && l.contains("FAIL")), "{sql}: {stdout}");
        assert!(
            stderr.starts_with("faqlink: error: check failed: 1 required check(s) failed") && stderr.contains(what),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1);
    }
}

#[test]
fn check_on_sqlite_passes_and_fails_without_the_index() {
    let db = TestDb::migrated(Backend::Sqlite);
    let before = std::fs::read(db.path()).unwrap();
    faqlink().args(["--database-url", &db.url(), "check"]).assert().success().stdout(
        predicates::str::contains("SQLite foreign-key enforcement")
            .and(predicates::str::contains("all required checks passed")),
    );
    assert_eq!(std::fs::read(db.path()).unwrap(), before, "check changed the SQLite file");
    db.exec("DROP INDEX idx_expert_feedback_generated_faq_id");
    faqlink().args(["--database-url", &db.url(), "check"]).assert().code(1);
    // A database without any table: check fails and names what to run.
    let empty = TestDb::sqlite_empty();
    std::fs::write(empty.path(), b"").unwrap();
    faqlink()
        .args(["--database-url", &empty.url(), "check"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("faqlink migrate"));
}

use predicates::prelude::PredicateBooleanExt;

#[test]
fn the_data_pass_counts_what_reports_would_reject_or_misread() {
    use crate::harness::{ExpertRow, FeedbackRow};
    let db = TestDb::migrated(Backend::Sqlite);
    let expert = ExpertRow::numbered(1);
    expert.insert(&db);
    for n in 1..=8 {
        FeedbackRow {
            timestamp: Some(format!("2026-11-{:02}T09:00:00.000000Z", 10 + n)),
            attempted: Some(true),
            success: Some(true),
            ..FeedbackRow::numbered(n, &expert.id)
        }
        .insert(&db);
    }
    let check = |args: &[&str]| {
        let out = faqlink().args(["--database-url", &db.url(), "check"]).args(args).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).to_string())
    };
    let (code, clean) = check(&[]);
    assert_eq!(code, Some(0), "{clean}");
    assert!(clean.lines().any(|l| l.contains("stored values") && l.contains("ok")), "{clean}");
    // Offsets and spaces are read right (a warning, exit 0), with the first ids.
    db.exec(
        "UPDATE expert_feedback SET feedback_timestamp = '2026-11-11 09:00:00' WHERE id LIKE '%1';
         UPDATE expert_feedback SET feedback_timestamp = '2026-11-12T10:00:00+01:00' WHERE id LIKE '%2';",
    );
    let (code, forms) = check(&[]);
    assert_eq!(code, Some(0), "{forms}");
    let line = forms.lines().find(|l| l.contains("values of expert_feedback.feedback_timestamp")).expect(&forms);
    assert!(line.contains("warn") && line.contains("2 row(s)") && line.contains("000000000001"), "{line}");
    // 'true' as text counts as false under SQLite's rules: a miscount, exit 1.
    db.exec(
        "UPDATE expert_feedback SET task_creation_success = 'true' WHERE id LIKE '%3';
         UPDATE expert_feedback SET task_creation_attempted = 2 WHERE id LIKE '%4';
         PRAGMA ignore_check_constraints = ON;
         UPDATE expert_feedback SET feedback_type = 'Correct' WHERE id LIKE '%5';
         INSERT INTO faq_entries (id, question, answer) VALUES ('faq-1', 'q?', 'a.');
         UPDATE expert_feedback SET generated_faq_id = 'faq-1' WHERE id LIKE '%6';
         PRAGMA foreign_keys = OFF;
         UPDATE expert_feedback SET generated_faq_id = 'faq-gone' WHERE id LIKE '%7';",
    );
    let (code, bad) = check(&[]);
    assert_eq!(code, Some(1), "{bad}");
    for (column, status, id) in [
        ("values of expert_feedback.task_creation_success", "FAIL", "000000000003"),
        ("values of expert_feedback.task_creation_attempted", "FAIL", "000000000004"),
        ("values of expert_feedback.feedback_type", "FAIL", "000000000005"),
        ("values of expert_feedback.generated_faq_id", "warn", "000000000007"),
    ] {
        let line = bad.lines().find(|l| l.contains(column)).unwrap_or_else(|| panic!("{column}\n{bad}"));
        assert!(line.contains(status) && line.contains("1 row(s)") && line.contains(id), "{line}");
    }
    let (code, schema) = check(&["--schema-only"]);
    assert_eq!(code, Some(0), "{schema}");
    assert!(!schema.contains("values of"), "{schema}");
}

/// On PostgreSQL the data pass looks for what its types leave possible: links to FAQs that do
/// not exist (a warning, exit 0, with the first ids) and years out of range (exit 1).
#[test]
fn the_data_pass_on_postgresql_counts_dangling_links_and_years_out_of_range() {
    use crate::harness::{ExpertRow, FeedbackRow};
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    let expert = ExpertRow::numbered(1);
    expert.insert(&db);
    db.exec("INSERT INTO faq_entries (id, question, answer) VALUES ('faq-1', 'q?', 'a.');");
    for n in 1..=8 {
        FeedbackRow {
            timestamp: Some(format!("2026-11-{:02}T09:00:00.000000Z", 10 + n)),
            attempted: Some(true),
            success: Some(true),
            faq: (n == 5).then(|| "faq-1".to_string()),
            ..FeedbackRow::numbered(n, &expert.id)
        }
        .insert(&db);
    }
    let check = || {
        let out = faqlink().args(["--database-url", &db.url(), "check"]).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).to_string())
    };
    let (code, clean) = check();
    assert_eq!(code, Some(0), "{clean}");
    assert!(clean.lines().any(|l| l.contains("stored values") && l.contains("ok")), "{clean}");
    // Two links to FAQs that were never there (the foreign key bypassed, as a restore can).
    db.exec(
        "SET session_replication_role = replica;
         UPDATE expert_feedback SET generated_faq_id = 'faq-gone' WHERE id::text LIKE '%6' OR id::text LIKE '%7';",
    );
    let (code, dangling) = check();
    assert_eq!(code, Some(0), "a warning: {dangling}");
    let line = dangling.lines().find(|l| l.contains("values of expert_feedback.generated_faq_id")).expect(&dangling);
    assert!(line.contains("warn") && line.contains("dangling") && line.contains("2 row(s)"), "{line}");
    assert!(line.contains("000000000006") && line.contains("000000000007"), "{line}");
    assert!(!line.contains("000000000005"), "the link to faq-1 holds: {line}");
    // A year before 1 (0000-12-31T23:00:00Z) is left out of every report: exit 1.
    db.exec("UPDATE expert_feedback SET feedback_timestamp = '0001-01-01T00:00:00+01:00' WHERE id::text LIKE '%3';");
    let (code, out_of_range) = check();
    assert_eq!(code, Some(1), "{out_of_range}");
    let line =
        out_of_range.lines().find(|l| l.contains("values of expert_feedback.feedback_timestamp")).expect(&out_of_range);
    assert!(line.contains("FAIL") && line.contains("1 row(s)") && line.contains("000000000003"), "{line}");
    assert!(out_of_range.contains("values of expert_feedback.generated_faq_id"), "{out_of_range}");
}

#[test]
fn the_timestamp_question_is_one_lookup_in_the_partial_index() {
    let db = TestDb::migrated(Backend::Sqlite);
    let conn = db.open_read_only();
    for unreadable in [false, true] {
        let sql = faqlink::reports::values::unusual_timestamps_sql(&conn, unreadable);
        let plan = db.cli_csv(&format!("EXPLAIN QUERY PLAN {}", sql.text()));
        assert!(plan.contains("ix_faqlink_unusual_timestamps"), "{plan}");
    }
}

#[test]
fn check_names_the_foreign_key_a_hand_made_sqlite_file_holds() {
    for (link, named) in [
        ("generated_faq_id VARCHAR(100) REFERENCES faq_entries (id) ON DELETE SET NULL", "an unnamed foreign key"),
        (
            "generated_faq_id VARCHAR(100) CONSTRAINT fk_by_hand REFERENCES faq_entries (id) ON DELETE SET NULL",
            "fk_by_hand",
        ),
    ] {
        let db = TestDb::sqlite_empty();
        db.exec(&format!(
            "CREATE TABLE faq_entries (id VARCHAR(100) PRIMARY KEY);
             CREATE TABLE expert_profiles (id TEXT PRIMARY KEY, professional_registration_number VARCHAR(50));
             CREATE TABLE expert_feedback (id TEXT PRIMARY KEY, query_id TEXT, expert_id TEXT, feedback_type TEXT,
                 feedback_timestamp TEXT, task_creation_attempted BOOLEAN, task_creation_success BOOLEAN, {link});
             CREATE INDEX idx_expert_feedback_generated_faq_id ON expert_feedback (generated_faq_id);"
        ));
        let out = faqlink().args(["--database-url", &db.url(), "check"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().find(|l| l.contains("FK generated_faq_id")).expect(&stdout);
        assert!(line.contains(named) && line.contains("ok"), "{line}");
        assert!(!stdout.contains("fk_expert_feedback_generated_faq_id"), "{stdout}");
    }
}
