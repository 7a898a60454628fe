//! Migrations on both backends: the schema they build is production's, links behave as
//! ON DELETE SET NULL says, revert/redo keep the other data, and status writes nothing.

use faqlink::commands::check::{findings, Status};
use faqlink::db::{migrations, Backend};

use crate::harness::{backends, faqlink, on_both, TestDb};

/// Every row of the four tables except the link column, as text, sorted.
fn other_data(db: &TestDb) -> String {
    db.cli_csv(
        "SELECT CAST(id AS TEXT) AS a, email AS b, '' AS c, '' AS d FROM \"user\" \
         UNION ALL SELECT CAST(id AS TEXT), CAST(user_id AS TEXT), COALESCE(professional_registration_number, 'NULL'), '' FROM expert_profiles \
         UNION ALL SELECT id, question, answer, category FROM faq_entries \
         UNION ALL SELECT CAST(id AS TEXT), CAST(query_id AS TEXT) || CAST(expert_id AS TEXT) || CAST(feedback_type AS TEXT), \
                          COALESCE(CAST(feedback_timestamp AS TEXT), 'NULL'), \
                          COALESCE(CAST(task_creation_success AS TEXT), 'NULL') || query_text FROM expert_feedback \
         ORDER BY 1, 2, 3, 4",
    )
}

fn seeded(backend: Backend) -> TestDb {
    let db = TestDb::empty(backend);
    faqlink()
        .args(["--database-url", &db.url(), "seed", "--experts", "4", "--feedback", "300", "--end", "2026-11-23"])
        .assert()
        .success();
    db
}

#[test]
fn fresh_migrations_build_what_production_has() {
    on_both(|db| {
        let found = findings(&mut db.open_read_only()).unwrap();
        let failed: Vec<_> = found.iter().filter(|f| f.status != Status::Ok && f.status != Status::Info).collect();
        assert!(failed.is_empty(), "{:?}: {failed:?}", db.backend());
        let text = format!("{found:?}");
        assert!(text.contains("fk_expert_feedback_generated_faq_id, ON DELETE SET NULL"), "{text}");
        assert!(text.contains("idx_expert_feedback_generated_faq_id"), "{text}");
        // faqlink's own databases carry every recommended index, from the faqlink-only migrations.
        assert!(text.contains("detail: \"ix_faqlink_reporting\""), "{text}");
        if db.backend() == Backend::Postgres {
            assert!(text.contains("detail: \"ix_faqlink_experts\""), "{text}");
            assert!(text.contains("detail: \"ix_faqlink_orphaned\""), "{text}");
        }
        assert!(!text.contains("optional, recommended"), "{text}");
        if db.backend() == Backend::Postgres {
            // The exact production column types.
            let types = db.cli_csv(
                "SELECT column_name, data_type, udt_name, character_maximum_length, is_nullable \
                 FROM information_schema.columns WHERE table_name = 'expert_feedback' \
                 AND column_name IN ('id', 'feedback_type', 'feedback_timestamp', 'generated_faq_id') ORDER BY 1",
            );
            assert_eq!(
                types,
                "column_name,data_type,udt_name,character_maximum_length,is_nullable\n\
                 feedback_timestamp,timestamp with time zone,timestamptz,,YES\n\
                 feedback_type,USER-DEFINED,feedback_type,,NO\n\
                 generated_faq_id,character varying,varchar,100,YES\n\
                 id,uuid,uuid,,NO\n"
            );
        }
    });
}

#[test]
fn deleting_an_faq_clears_its_links_and_keeps_the_feedback() {
    for backend in backends() {
        let db = seeded(backend);
        let before = db.cli_csv("SELECT COUNT(*) AS n FROM expert_feedback");
        let linked = db.cli_csv(
            "SELECT generated_faq_id AS f FROM expert_feedback WHERE generated_faq_id IS NOT NULL ORDER BY 1 LIMIT 1",
        );
        let faq = linked.lines().nth(1).expect("the seed links some FAQs").to_string();
        // Through faqlink's own connection, which enforces foreign keys on SQLite too.
        let mut conn = db.open();
        conn.batch("delete", &format!("DELETE FROM faq_entries WHERE id = '{faq}'")).unwrap();
        assert_eq!(db.cli_csv("SELECT COUNT(*) AS n FROM expert_feedback"), before, "{backend:?}");
        assert_eq!(
            db.cli_csv(&format!("SELECT COUNT(*) AS n FROM expert_feedback WHERE generated_faq_id = '{faq}'")),
            "n\n0\n",
            "{backend:?}: ON DELETE SET NULL did not fire"
        );
    }
}

#[test]
fn revert_and_redo_keep_every_other_row() {
    for backend in backends() {
        let db = seeded(backend);
        let before = other_data(&db);
        let links = db.cli_csv("SELECT COUNT(generated_faq_id) AS n FROM expert_feedback");
        let url = db.url();
        // The three newest migrations are faqlink's own indexes; the one before adds the link.
        let revert = faqlink().args(["--database-url", &url, "migrate", "revert", "--steps", "4"]).assert().success();
        let stderr = String::from_utf8_lossy(&revert.get_output().stderr).to_string();
        let n = links.lines().nth(1).unwrap();
        assert!(stderr.contains(&format!("({n} link(s))")) && stderr.contains("warning:"), "{stderr}");
        assert!(!db.cli_csv("SELECT * FROM expert_feedback LIMIT 1").contains("generated_faq_id"));
        assert_eq!(other_data(&db), before, "{backend:?}: revert changed other data");
        faqlink().args(["--database-url", &url, "migrate"]).assert().success();
        assert_eq!(other_data(&db), before, "{backend:?}: migrate changed other data");
        faqlink().args(["--database-url", &url, "migrate", "redo"]).assert().success();
        assert_eq!(other_data(&db), before, "{backend:?}: redo changed other data");
        // Reverting five steps (role too) and re-applying keeps the users.
        faqlink().args(["--database-url", &url, "migrate", "revert", "--steps", "5"]).assert().success();
        faqlink().args(["--database-url", &url, "migrate"]).assert().success();
        assert_eq!(other_data(&db), before, "{backend:?}: revert --steps 5 changed other data");
        let found = findings(&mut db.open_read_only()).unwrap();
        assert!(found.iter().all(|f| f.status != Status::Fail), "{found:?}");
        // And everything can go and come back.
        faqlink().args(["--database-url", &url, "migrate", "revert", "--all"]).assert().success();
        faqlink()
            .args(["--database-url", &url, "migrate", "status"])
            .assert()
            .success()
            .stdout(predicates::str::contains("0 applied, 8 pending"));
        faqlink().args(["--database-url", &url, "migrate"]).assert().success();
    }
}

#[test]
fn both_migration_folders_list_the_same_versions() {
    let names = |b| migrations::embedded(b).into_iter().map(|(v, n)| format!("{v} {n}")).collect::<Vec<_>>();
    assert_eq!(names(Backend::Sqlite), names(Backend::Postgres));
    assert_eq!(names(Backend::Sqlite).len(), 8);
    for dir in ["migrations/postgres", "migrations/sqlite"] {
        for entry in std::fs::read_dir(format!("{}/{dir}", env!("CARGO_MANIFEST_DIR"))).unwrap() {
            let p = entry.unwrap().path();
            for f in ["up.sql", "down.sql"] {
                let text = std::fs::read_to_string(p.join(f)).unwrap();
                assert!(!text.trim().is_empty(), "{} has an empty {f}", p.display());
            }
        }
    }
}

#[test]
fn the_link_migration_down_drops_only_its_own_pieces() {
    let down = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/postgres/2025-11-24-000001_add_generated_faq_id/down.sql"
    ))
    .unwrap();
    let statements: Vec<&str> = down.split(';').map(str::trim).filter(|s| !s.is_empty()).collect();
    assert_eq!(
        statements,
        [
            "DROP INDEX idx_expert_feedback_generated_faq_id",
            "ALTER TABLE expert_feedback DROP CONSTRAINT fk_expert_feedback_generated_faq_id",
            "ALTER TABLE expert_feedback DROP COLUMN generated_faq_id"
        ]
    );
}

#[test]
fn migrate_status_writes_nothing() {
    let db = TestDb::migrated(Backend::Sqlite);
    let before = std::fs::read(db.path()).unwrap();
    faqlink()
        .args(["--database-url", &db.url(), "migrate", "status"])
        .assert()
        .success()
        .stdout(predicates::str::contains("8 applied, 0 pending"));
    assert_eq!(std::fs::read(db.path()).unwrap(), before);
    // An empty database gets no Diesel table from `status`.
    for backend in backends() {
        let empty = TestDb::empty(backend);
        if backend == Backend::Sqlite {
            faqlink().args(["--database-url", &empty.url(), "migrate", "status"]).assert().code(1);
            assert!(!empty.path().exists(), "status created the SQLite file");
        } else {
            faqlink().args(["--database-url", &empty.url(), "migrate", "status"]).assert().success();
            assert_eq!(
                empty.cli_csv("SELECT to_regclass('__diesel_schema_migrations') IS NULL AS absent"),
                "absent\nt\n"
            );
        }
    }
}

#[test]
fn a_failing_migration_leaves_schema_and_bookkeeping_as_they_were() {
    for backend in backends() {
        let db = TestDb::migrated(backend);
        faqlink().args(["--database-url", &db.url(), "migrate", "revert", "--steps", "4"]).assert().success();
        // Make the re-apply fail half-way: the index name is taken, after the column was added.
        db.exec("CREATE INDEX idx_expert_feedback_generated_faq_id ON faq_entries (question)");
        faqlink().args(["--database-url", &db.url(), "migrate"]).assert().code(1);
        let columns = match backend {
            Backend::Sqlite => db.cli_csv("SELECT COUNT(*) AS n FROM pragma_table_info('expert_feedback') WHERE name = 'generated_faq_id'"),
            Backend::Postgres => db.cli_csv(
                "SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_name = 'expert_feedback' AND column_name = 'generated_faq_id'",
            ),
        };
        assert_eq!(columns, "n\n0\n", "{backend:?}: the half-applied migration was not rolled back");
        faqlink()
            .args(["--database-url", &db.url(), "migrate", "status"])
            .assert()
            .success()
            .stdout(predicates::str::contains("4 applied, 4 pending"));
    }
}
