//! Values that used to pass parsing and fail (or mislead) at runtime: an over-long statement
//! timeout, window bounds and seed histories outside the range both backends represent, and
//! `seed --append` where there is nothing it may append to.

use crate::harness::{backends, faqlink, listing, ExpertRow, FeedbackRow, TestDb};

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
