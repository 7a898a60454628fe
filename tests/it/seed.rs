//! `seed` and `demo`: deterministic on both backends, the requested sizes, refusals, append.

use faqlink::db::Backend;

use crate::harness::{backends, faqlink, FeedbackRow, TestDb};

fn seed(db: &TestDb, extra: &[&str]) -> assert_cmd::assert::Assert {
    faqlink()
        .args(["--database-url", &db.url(), "seed", "--experts", "7", "--feedback", "1500", "--end", "2026-11-23"])
        .args(extra)
        .assert()
}

/// `report all` as JSON at a fixed "now", without the line naming the backend.
fn all_json(db: &TestDb) -> String {
    let out = faqlink()
        .env("FAQLINK_NOW", "2026-11-25T10:00:00Z")
        .args(["--database-url", &db.url(), "report", "all", "--format", "json"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    text.lines().filter(|l| !l.starts_with("\"backend\":")).collect::<Vec<_>>().join("\n")
}

fn count(db: &TestDb, table: &str) -> i64 {
    db.cli_csv(&format!("SELECT COUNT(*) AS n FROM {table}")).lines().nth(1).unwrap().parse().unwrap()
}

#[test]
fn same_arguments_same_rows_on_both_backends() {
    let dbs: Vec<TestDb> = backends().into_iter().map(TestDb::empty).collect();
    for db in &dbs {
        seed(db, &["--seed", "9", "--null-timestamp-share", "0.01"]).success();
        assert_eq!(count(db, "expert_feedback"), 1500);
        assert_eq!(count(db, "expert_profiles"), 7);
        assert_eq!(count(db, "\"user\""), 7);
    }
    let reports: Vec<String> = dbs.iter().map(all_json).collect();
    assert!(reports[0].contains("\"orphaned_links\""));
    if let [a, b] = reports.as_slice() {
        assert_eq!(a, b, "the same seed gave different data on SQLite and PostgreSQL");
        // Ids and timestamps too, not only the aggregates.
        let q =
            "SELECT CAST(id AS TEXT) AS id, CAST(expert_id AS TEXT) AS e, feedback_type AS t, generated_faq_id AS f \
                 FROM expert_feedback ORDER BY 1";
        assert_eq!(dbs[0].cli_csv(q), dbs[1].cli_csv(q));
        // Every column the seed writes, text and timestamps included (PostgreSQL's COPY is
        // binary, SQLite's are bound parameters: two encoders, one result).
        let columns = |db: &TestDb| {
            let (ts, b) = match db.backend() {
                Backend::Postgres => (
                    "to_char(feedback_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
                    (|c: &str| format!("CAST({c} AS INT)")) as fn(&str) -> String,
                ),
                Backend::Sqlite => ("feedback_timestamp", (|c: &str| c.to_string()) as fn(&str) -> String),
            };
            db.cli_csv(&format!(
                "SELECT CAST(id AS TEXT) AS id, CAST(query_id AS TEXT) AS q, CAST(category AS TEXT) AS c, \
                 query_text, original_answer, expert_answer, CAST(ROUND(confidence_score * 100) AS INTEGER) AS cs, \
                 time_spent_seconds, \
                 complexity_rating, {ts} AS ts, {} AS a, {} AS s, task_creation_error, {} AS i \
                 FROM expert_feedback ORDER BY 1",
                b("task_creation_attempted"),
                b("task_creation_success"),
                b("improvement_applied")
            ))
        };
        // Compared as parsed records: psql and sqlite3 quote CSV fields differently.
        let records = |text: String| -> Vec<csv::StringRecord> {
            csv::Reader::from_reader(text.as_bytes()).records().map(Result::unwrap).collect()
        };
        let (a, b) = (records(columns(&dbs[0])), records(columns(&dbs[1])));
        assert_eq!(a.len(), 1500);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y);
        }
    }
    if let Some(lite) = dbs.iter().find(|db| db.backend() == Backend::Sqlite) {
        // The command leaves the file in rollback-journal mode (readers need no -wal/-shm).
        assert_eq!(lite.cli_csv("PRAGMA journal_mode").lines().nth(1), Some("delete"));
    }
    // The data has every link state of docs/SCHEMA.md.
    let v: serde_json::Value = serde_json::from_str(&reports[0]).unwrap();
    let totals = &v["totals"];
    assert!(totals["orphaned_links"].as_i64().unwrap() > 0, "{totals}");
    assert!(totals["faq_published"].as_i64().unwrap() > totals["faqs_generated"].as_i64().unwrap());
    assert!(totals["workflow_attempted"].as_i64().unwrap() > totals["faq_published"].as_i64().unwrap());
    assert!(totals["correct_feedback"].as_i64().unwrap() > totals["workflow_attempted"].as_i64().unwrap());
    assert!(!v["duplicates"].as_array().unwrap().is_empty(), "no duplicate queries");
}

#[test]
fn a_different_seed_gives_different_data() {
    let a = TestDb::empty(Backend::Sqlite);
    let b = TestDb::empty(Backend::Sqlite);
    seed(&a, &["--seed", "1"]).success();
    seed(&b, &["--seed", "2"]).success();
    assert_ne!(all_json(&a), all_json(&b));
}

#[test]
fn refuses_a_database_with_feedback_unless_appending() {
    for backend in backends() {
        let db = TestDb::empty(backend);
        seed(&db, &[]).success();
        let out = seed(&db, &[]).code(1);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(stderr.contains("already holds 1500 feedback row(s)") && stderr.contains("--append"), "{stderr}");
        assert_eq!(count(&db, "expert_feedback"), 1500);
        seed(&db, &["--append"]).success();
        assert_eq!(count(&db, "expert_feedback"), 3000, "{backend:?}");
        assert_eq!(count(&db, "expert_profiles"), 14);
    }
}

#[test]
fn a_failed_seed_leaves_nothing() {
    let db = TestDb::migrated(Backend::Sqlite);
    // A trigger makes the insert fail after the experts were written.
    db.exec("CREATE TRIGGER no_feedback BEFORE INSERT ON expert_feedback BEGIN SELECT RAISE(ABORT, 'boom'); END;");
    seed(&db, &[]).code(1);
    assert_eq!(count(&db, "expert_profiles"), 0);
    assert_eq!(count(&db, "\"user\""), 0);
}

#[test]
fn demo_runs_in_an_empty_folder_and_reuses_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let first =
        faqlink().current_dir(dir.path()).env("FAQLINK_NOW", "2026-11-25T10:00:00Z").arg("demo").assert().success();
    let first_out = String::from_utf8(first.get_output().stdout.clone()).unwrap();
    let first_err = String::from_utf8_lossy(&first.get_output().stderr).to_string();
    assert!(dir.path().join("faqlink.db").exists());
    assert!(first_err.contains("seeded 12 experts, 3000 feedback rows"), "{first_err}");
    for title in [
        "FAQ generation by expert",
        "Feedback → FAQ conversion",
        "Orphaned and dangling",
        "Queries with more than one FAQ",
        "Weekly trend",
    ] {
        assert!(first_out.contains(title), "missing {title}");
    }
    let second =
        faqlink().current_dir(dir.path()).env("FAQLINK_NOW", "2026-11-25T10:00:00Z").arg("demo").assert().success();
    assert!(String::from_utf8_lossy(&second.get_output().stderr).contains("reusing the data"));
    assert_eq!(String::from_utf8(second.get_output().stdout.clone()).unwrap(), first_out);
    let db = TestDb::Sqlite { path: dir.path().join("faqlink.db"), dir };
    assert_eq!(count(&db, "expert_feedback"), 3000);
}

/// Index and constraint definitions of expert_feedback, as the catalog states them.
fn definitions(db: &TestDb) -> String {
    match db.backend() {
        Backend::Sqlite => db.cli_csv(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ('expert_feedback', 'faq_entries') \
             ORDER BY type, name",
        ),
        Backend::Postgres => db.cli_csv(
            "SELECT indexname AS n, indexdef AS d FROM pg_indexes WHERE tablename IN ('expert_feedback', 'faq_entries') \
             UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid IN ('expert_feedback'::regclass, 'faq_entries'::regclass) ORDER BY 1, 2",
        ),
    }
}

#[test]
fn a_bulk_seed_restores_every_index_and_constraint() {
    for backend in backends() {
        let db = TestDb::migrated(backend);
        let before = definitions(&db);
        assert!(before.contains("idx_expert_feedback_generated_faq_id"), "{before}");
        assert!(before.contains("ix_faq_entries_category"), "{before}");
        seed(&db, &[]).success();
        assert_eq!(definitions(&db), before, "{backend:?}");
        // And foreign keys are enforced again afterwards.
        let url = faqlink::db::DatabaseUrl::parse(Some(&db.url())).unwrap();
        let mut conn = faqlink::db::Database::open(&url, faqlink::db::Access::Write).unwrap();
        let orphan = FeedbackRow::new(
            "50000000-0000-4000-8000-000000000001",
            "50000000-0000-4000-8000-000000000002",
            "50000000-0000-4000-8000-000000000003",
        );
        let err = conn.batch("orphan insert", &orphan.sql());
        assert!(err.is_err(), "{backend:?}: a feedback row for a missing expert was accepted");
    }
}
