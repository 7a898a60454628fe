//! Values that used to pass parsing and fail (or mislead) at runtime: an over-long statement
//! timeout, window bounds and seed histories outside the range both backends represent, and
//! `seed --append` where there is nothing it may append to.

use crate::harness::{backends, faqlink, listing, ExpertRow, FeedbackRow, TestDb};
use faqlink::db::Backend;

/// `feedback_total` of `report totals` with `window` (read from the CSV's header and the line
/// after it, whatever else the output carries).
fn total(db: &TestDb, window: &[&str]) -> String {
    let out = faqlink()
        .args(["--database-url", &db.url(), "report", "totals", "--format", "csv"])
        .args(window)
        .output()
        .unwrap();
    assert!(out.status.success(), "{window:?}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let header = lines.iter().position(|l| l.split(',').any(|f| f == "feedback_total")).expect("a header");
    let column = lines[header].split(',').position(|f| f == "feedback_total").unwrap();
    lines[header + 1].split(',').nth(column).unwrap().to_string()
}

#[test]
fn a_statement_timeout_beyond_postgres_limit_is_a_usage_error_before_any_io() {
    // Port 1 refuses connections: exit 2 (not 1) proves nothing was tried.
    for secs in ["2147484", "4294967295"] {
        let out = faqlink()
            .args(["--database-url", "postgres://u@127.0.0.1:1/db", "report", "totals", "--statement-timeout", secs])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{secs}: {stderr}");
        assert!(stderr.contains("--statement-timeout") && stderr.contains("2147483"), "{stderr}");
    }
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    faqlink()
        .args(["--database-url", &db.url(), "report", "totals", "--statement-timeout", "2147483"])
        .assert()
        .success();
}

#[test]
fn window_bounds_agree_on_both_backends_at_the_edges_and_are_refused_beyond() {
    let mut seen = Vec::new();
    for backend in backends() {
        let db = TestDb::migrated(backend);
        let expert = ExpertRow::numbered(1);
        expert.insert(&db);
        for (n, ts) in [
            (1, "0001-01-01T00:00:00.000000Z"),
            (2, "0001-01-01T00:00:00.000001Z"),
            (3, "2026-11-23T09:15:00.000000Z"),
            (4, "9999-12-31T23:59:59.999998Z"),
            (5, "9999-12-31T23:59:59.999999Z"),
        ] {
            FeedbackRow { timestamp: Some(ts.into()), ..FeedbackRow::numbered(n, &expert.id) }.insert(&db);
        }
        let cases: [(&[&str], &str); 9] = [
            (&[], "5"),
            (&["--since", "0001-01-01T00:00:00Z"], "5"),
            (&["--since", "0001-01-01"], "5"),
            (&["--since", "0001-01-01T01:00:00+01:00"], "5"),
            (&["--since", "0001-01-01T00:00:00.000001Z"], "4"),
            (&["--until", "0001-01-01T00:00:00.000001Z"], "1"),
            (&["--since", "9999-12-31T23:59:59.999999Z"], "1"),
            (&["--until", "9999-12-31T23:59:59.999999Z"], "4"),
            (&["--since", "9999-12-31T23:59:59.999998Z", "--until", "9999-12-31T23:59:59.999999Z"], "1"),
        ];
        let figures: Vec<String> = cases.iter().map(|(w, _)| total(&db, w)).collect();
        let expected: Vec<String> = cases.iter().map(|(_, n)| n.to_string()).collect();
        assert_eq!(figures, expected, "{backend:?}");
        seen.push(figures);
        // Beyond the edges: exit 2 on both, never a count.
        for window in [
            &["--since", "9999-12-31T23:59:59-23:59"][..],
            &["--until", "9999-12-31T23:59:59-00:01"],
            &["--since", "0001-01-01T00:00:00+00:01"],
            &["--since", "0001-01-01", "--tz", "Europe/Rome"],
            &["--week", "9999-W52"],
            &["--since", "2026-01-01", "--until", "9999-12-31T23:00:00-01:00"],
        ] {
            let out = faqlink().args(["--database-url", &db.url(), "report", "totals"]).args(window).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{backend:?} {window:?}: {stderr}");
            assert!(stderr.contains("outside the range"), "{window:?}: {stderr}");
            assert!(out.stdout.is_empty());
        }
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "the backends disagree: {seen:?}");
}

#[test]
fn seeds_that_reports_could_not_read_back_are_refused_up_front() {
    for end in ["0000-01-01", "9999-12-31T23:59:59-23:59", "0001-01-07"] {
        let cwd = tempfile::tempdir().unwrap();
        let out = faqlink()
            .current_dir(cwd.path())
            .args(["--database-url", "x.db", "seed", "--feedback", "10", "--weeks", "1", "--end", end])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{end}: {stderr}");
        assert!(stderr.contains("--end") && stderr.contains("range"), "{stderr}");
        assert!(listing(cwd.path()).is_empty(), "{end}: created {:?}", listing(cwd.path()));
    }
    // At the very edges the seed is accepted and every report reads it back, equally.
    let mut seen = Vec::new();
    for backend in backends() {
        let mut figures = Vec::new();
        for end in ["0001-01-08", "9999-12-31T23:59:59.999999Z"] {
            let db = TestDb::empty(backend);
            faqlink()
                .args(["--database-url", &db.url(), "seed", "--feedback", "200", "--weeks", "1", "--end", end])
                .assert()
                .success();
            for kind in ["experts", "totals", "orphans", "duplicates", "weekly"] {
                let out =
                    faqlink().args(["--database-url", &db.url(), "report", kind, "--format", "csv"]).output().unwrap();
                assert!(out.status.success(), "{backend:?} {end} {kind}: {}", String::from_utf8_lossy(&out.stderr));
                figures.push(String::from_utf8(out.stdout).unwrap());
            }
        }
        seen.push(figures);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "the backends disagree");
}

#[test]
fn seed_append_refuses_a_missing_sqlite_file() {
    let cwd = tempfile::tempdir().unwrap();
    for url in ["new.db", "sqlite://new.db"] {
        let out = faqlink()
            .current_dir(cwd.path())
            .args(["--database-url", url, "seed", "--append", "--feedback", "10"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("new.db does not exist") && stderr.contains("--append"), "{stderr}");
        assert!(listing(cwd.path()).is_empty(), "created {:?}", listing(cwd.path()));
    }
}

#[test]
fn seed_on_a_read_only_postgres_says_so_without_mentioning_migrations() {
    let Some(db) = TestDb::pg_empty_or_skip() else { return };
    db.seed(100);
    db.make_read_only();
    for args in [&["seed", "--append", "--feedback", "10"][..], &["seed", "--append", "--verbose"], &["demo"]] {
        let out = faqlink().args(["--database-url", &db.url()]).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("is read-only"), "{args:?}: {stderr}");
        assert!(!stderr.to_lowercase().contains("migration"), "{args:?}: {stderr}");
    }
}

/// The CSV standard output of `report <args>` (exit 0), with CRLF as LF.
fn csv_of(db: &TestDb, args: &[&str]) -> String {
    let out = faqlink()
        .env("FAQLINK_NOW", "2026-11-25T10:00:00Z")
        .args(["--database-url", &db.url(), "report"])
        .args(args)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n")
}

/// An orphaned link (a `correct` row, published, its FAQ deleted) stamped `ts`.
fn orphan(n: usize, expert: &str, ts: &str) -> FeedbackRow {
    FeedbackRow {
        timestamp: Some(ts.into()),
        attempted: Some(true),
        success: Some(true),
        ..FeedbackRow::numbered(n, expert)
    }
}

#[test]
fn a_row_stamped_with_an_offset_is_read_as_its_instant_by_every_window() {
    // Issue 22, repro 1: 2026-11-23T01:00:00+05:30 is 2026-11-22T19:30:00Z.
    let db = TestDb::migrated(Backend::Sqlite);
    let expert = ExpertRow::numbered(1);
    expert.insert(&db);
    orphan(1, &expert.id, "2026-11-23T01:00:00+05:30").insert(&db);
    orphan(2, &expert.id, "2026-11-23T06:00:00.000000Z").insert(&db);
    orphan(3, &expert.id, "2026-11-22 23:59:59.5").insert(&db);
    let ids = |csv: &str| -> Vec<String> {
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap()[24..].to_string() + " " + l.split(',').nth(3).unwrap())
            .collect()
    };
    let nov23 = csv_of(&db, &["orphans", "--since", "2026-11-23", "--until", "2026-11-24"]);
    assert_eq!(ids(&nov23), ["000000000002 2026-11-23T06:00:00Z"], "{nov23}");
    let nov22 = csv_of(&db, &["orphans", "--since", "2026-11-22", "--until", "2026-11-23"]);
    assert_eq!(ids(&nov22), ["000000000001 2026-11-22T19:30:00Z", "000000000003 2026-11-22T23:59:59.500Z"], "{nov22}");
    // The same in a zone: 19:30Z is 20:30 in Rome, 2026-11-22 there too.
    let rome = csv_of(
        &db,
        &["orphans", "--since", "2026-11-22T20:30:00+01:00", "--until", "2026-11-22T20:30:00.000001+01:00"],
    );
    assert_eq!(ids(&rome), ["000000000001 2026-11-22T19:30:00Z"], "{rome}");
}

#[test]
fn one_week_gives_one_number_whatever_form_the_timestamps_take() {
    // Issue 22, repro 2: totals --week, weekly's line and weekly --week gave 374, 375 and 321
    // on a file rewritten as `YYYY-MM-DD HH:MM:SS.ffffff` (no zone), against 375.
    let db = TestDb::migrated(Backend::Sqlite);
    faqlink()
        .args([
            "--database-url",
            &db.url(),
            "seed",
            "--feedback",
            "3000",
            "--weeks",
            "6",
            "--end",
            "2026-11-26",
            "--seed",
            "5",
        ])
        .assert()
        .success();
    let figures = |db: &TestDb| -> [String; 3] {
        let field = |csv: String, header: &str, line: &str| -> String {
            let lines: Vec<&str> = csv.lines().collect();
            let col = lines[0].split(',').position(|f| f == header).unwrap();
            lines.iter().skip(1).find(|l| l.contains(line)).unwrap().split(',').nth(col).unwrap().to_string()
        };
        [
            field(csv_of(db, &["totals", "--week", "2026-W47"]), "feedback_total", ""),
            field(csv_of(db, &["weekly"]), "feedback_total", "2026-W47"),
            field(csv_of(db, &["weekly", "--week", "2026-W47"]), "feedback_total", "2026-W47"),
        ]
    };
    let original = figures(&db);
    assert!(original.iter().all(|f| f == &original[0] && f != "0"), "{original:?}");
    for rewrite in [
        "replace(replace(feedback_timestamp, 'T', ' '), 'Z', '')",
        "replace(feedback_timestamp, 'Z', '+00:00')",
        "substr(feedback_timestamp, 1, 19) || 'Z'",
    ] {
        let copy = TestDb::sqlite_empty();
        std::fs::copy(db.path(), copy.path()).unwrap();
        copy.exec(&format!("UPDATE expert_feedback SET feedback_timestamp = {rewrite}"));
        let got = figures(&copy);
        // Cutting the fraction moves no row across a week boundary at whole seconds.
        assert_eq!(got, original, "{rewrite}");
    }
}

#[test]
fn timestamps_outside_the_range_are_left_out_of_every_report_and_named_by_check() {
    let mut seen = Vec::new();
    for backend in backends() {
        let db = TestDb::migrated(backend);
        let expert = ExpertRow::numbered(1);
        expert.insert(&db);
        for n in 1..=4 {
            orphan(n, &expert.id, &format!("2026-11-{:02}T09:00:00.000000Z", 16 + n)).insert(&db);
        }
        let before: Vec<String> =
            ["experts", "totals", "orphans", "duplicates", "weekly"].iter().map(|r| csv_of(&db, &[r])).collect();
        // Year 0 (PostgreSQL spells it 1 BC) and year 10000 once converted to UTC.
        let year0 = match backend {
            Backend::Sqlite => "0000-06-01T00:00:00Z",
            Backend::Postgres => "0001-06-01 00:00:00+00 BC",
        };
        orphan(5, &expert.id, year0).insert(&db);
        orphan(6, &expert.id, "9999-12-31T23:59:59.999999-05:00").insert(&db);
        let mut after = Vec::new();
        for (report, was) in ["experts", "totals", "orphans", "duplicates", "weekly"].iter().zip(&before) {
            let now = csv_of(&db, &[report]);
            assert_eq!(&now, was, "{backend:?} {report}: an outlier changed the report");
            after.push(now);
        }
        for window in [&["--since", "2026-11-18"][..], &["--until", "2026-11-18"]] {
            let weekly = csv_of(&db, &[&["weekly"][..], window].concat());
            assert!(weekly.lines().count() <= 3, "{backend:?} {window:?}: {weekly}");
            for line in weekly.lines().skip(1) {
                let label = line.split(',').nth(1).unwrap();
                assert!(label.len() == 8 && label.as_bytes()[4] == b'-', "{label}");
            }
            let orphans = csv_of(&db, &[&["orphans"][..], window].concat());
            assert!(!orphans.contains("000000000005") && !orphans.contains("000000000006"), "{orphans}");
        }
        let out = faqlink().args(["--database-url", &db.url(), "check"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{backend:?}: {stdout}");
        let line = stdout.lines().find(|l| l.contains("values of expert_feedback.feedback_timestamp")).expect(&stdout);
        assert!(
            line.contains("FAIL") && line.contains("2 row(s)") && line.contains("left out of every report"),
            "{line}"
        );
        assert!(line.contains("10000000-0000-4000-8000-000000000005"), "{line}");
        assert!(line.contains("10000000-0000-4000-8000-000000000006"), "{line}");
        seen.push(after);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "the backends disagree");
}

#[test]
fn a_bad_value_is_named_with_its_row_by_every_report_and_listed_by_check() {
    let expert = ExpertRow { registration: Some("ODCEC-MI-1".into()), ..ExpertRow::numbered(1) };
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "UPDATE expert_profiles SET professional_registration_number = CAST(X'FF41' AS TEXT)",
            "expert_profiles.professional_registration_number of the row with id \"00000000-0000-4000-8000-000000000001\"",
            &["experts", "orphans", "all"],
        ),
        (
            "UPDATE expert_feedback SET feedback_timestamp = 'garbage' WHERE id LIKE '%2'",
            "expert_feedback.feedback_timestamp of the row with id \"10000000-0000-4000-8000-000000000002\" holds \"garbage\"",
            &["experts", "totals", "orphans", "duplicates", "weekly", "all"],
        ),
        (
            "UPDATE expert_feedback SET feedback_timestamp = '2026-11-23' WHERE id LIKE '%2'",
            "expert_feedback.feedback_timestamp of the row with id \"10000000-0000-4000-8000-000000000002\" holds \"2026-11-23\"",
            &["experts", "totals", "orphans", "duplicates", "weekly", "all"],
        ),
        (
            "UPDATE expert_feedback SET query_id = CAST(X'C328' AS TEXT) WHERE id LIKE '%2'",
            // No report reads this one (no duplicate query): check still lists it.
            "expert_feedback.query_id of the row with id \"10000000-0000-4000-8000-000000000002\"",
            &[],
        ),
    ];
    for (damage, named, reports) in cases {
        let db = TestDb::migrated(Backend::Sqlite);
        expert.insert(&db);
        orphan(1, &expert.id, "2026-11-17T09:00:00.000000Z").insert(&db);
        FeedbackRow {
            query_id: "20000000-0000-4000-8000-000000000001".into(),
            ..orphan(2, &expert.id, "2026-11-18T09:00:00.000000Z")
        }
        .insert(&db);
        db.exec(damage);
        for report in reports {
            for window in [&[][..], &["--week", "2026-W47"]] {
                let out = faqlink()
                    .args(["--database-url", &db.url(), "report", report, "--format", "csv"])
                    .args(window)
                    .output()
                    .unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert_eq!(out.status.code(), Some(1), "{damage}: {report} {window:?}: {stderr}");
                assert!(
                    stderr.contains(named) && stderr.contains("run `faqlink check`"),
                    "{damage}: {report}: {stderr}"
                );
                assert_eq!(stderr.lines().count(), 1, "{stderr}");
                assert!(out.stdout.is_empty());
            }
        }
        let out = faqlink().args(["--database-url", &db.url(), "check"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{damage}: {stdout}");
        let column = named.split(' ').next().unwrap();
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(&format!("values of {column}")) && l.contains("FAIL") && l.contains("1 row(s)")),
            "{damage}: {stdout}"
        );
        // --schema-only skips the data pass.
        faqlink().args(["--database-url", &db.url(), "check", "--schema-only"]).assert().success();
    }
}
