//! `--expect`, `--warn`, `--expect-file`, `--fail-on warn`, `--results`: exit codes and which
//! wins, the stderr lines, the JSON array, the JUnit file, and usage errors before any I/O.
//! The grammar's every error path is a unit test of `faqlink::expect`.

use faqlink::db::Backend;

use crate::harness::{faqlink, TestDb};

fn run(db: &TestDb, args: &[&str]) -> std::process::Output {
    faqlink()
        .env("FAQLINK_NOW", "2026-11-25T10:00:00Z")
        .args(["--database-url", &db.url(), "report"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn exit_codes_lines_json_and_junit() {
    for backend in crate::harness::backends() {
        let db = TestDb::migrated(backend);
        db.seed(4_000);
        let dir = tempfile::tempdir().unwrap();
        let junit = dir.path().join("junit.xml");
        let base = ["all", "--last-week", "--format", "json"];
        // A FAIL exits 4, prints its line, and the output and the JUnit file are written.
        let out = run(
            &db,
            &[
                &base[..],
                &["--expect", "conversion_rate_pct >= 99", "--expect", "within_sla_pct >= 1"],
                &["--warn", "wow_pp(conversion_rate_pct) >= 50", "--results", junit.to_str().unwrap()],
            ]
            .concat(),
        );
        assert_eq!(out.status.code(), Some(4), "{backend:?}: {}", String::from_utf8_lossy(&out.stderr));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("FAIL conversion_rate_pct >= 99 (observed "), "{err}");
        assert!(err.contains("PASS within_sla_pct >= 1 (observed "), "{err}");
        assert!(err.contains("WARN wow_pp(conversion_rate_pct) >= 50 (observed "), "{err}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let e = json["expectations"].as_array().unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(e[0]["status"], "fail");
        assert_eq!(e[0]["level"], "expect");
        assert_eq!(e[0]["observed"], json["totals"]["conversion_rate_pct"]);
        assert_eq!(e[2]["level"], "warn");
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert_eq!(xml.matches("<testcase ").count(), 3);
        assert_eq!(xml.matches("<failure ").count(), 1);
        // Warnings alone exit 0, unless --fail-on warn.
        let warn = [&base[..], &["--warn", "conversion_rate_pct >= 99"]].concat();
        assert_eq!(run(&db, &warn).status.code(), Some(0));
        assert_eq!(run(&db, &[&warn[..], &["--fail-on", "warn"]].concat()).status.code(), Some(4));
        // 4 wins over 3 (orphans with --fail-on-any); 3 alone when every expectation passes.
        let orphans = [&base[..], &["--fail-on-any"]].concat();
        assert_eq!(run(&db, &[&orphans[..], &["--expect", "feedback_total < 0"]].concat()).status.code(), Some(4));
        assert_eq!(run(&db, &[&orphans[..], &["--expect", "feedback_total > 0"]].concat()).status.code(), Some(3));
        // A guard not met is a SKIP and passes.
        let skip =
            run(&db, &[&base[..], &["--expect", "feedback_total < 0 when feedback_total > 1000000000"]].concat());
        assert_eq!(skip.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&skip.stderr).contains("SKIP feedback_total < 0 when"));
        // An expectation file: comments and blank lines.
        let file = dir.path().join("expectations.txt");
        std::fs::write(&file, "# weekly alerts\n\norphaned_links >= 0   # never negative\nfeedback_total > 0\n")
            .unwrap();
        let ok = run(&db, &[&base[..], &["--expect-file", file.to_str().unwrap()]].concat());
        assert_eq!(ok.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&ok.stderr).matches("PASS").count(), 2);
    }
}

#[test]
fn bad_expectations_exit_2_before_any_io() {
    // The database does not exist: a usage error comes first, nothing is created.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.db");
    let junit = dir.path().join("j.xml");
    let url = db.to_str().unwrap();
    let bad = |args: &[&str], want: &str| {
        let out = faqlink().args(["--database-url", url, "report"]).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    };
    bad(&["all", "--expect", "conversion_rate_pc >= 50"], "did you mean `conversion_rate_pct`");
    bad(
        &["all", "--warn", "orphaned_links = 0", "--results", junit.to_str().unwrap()],
        "--warn 'orphaned_links = 0': column 16",
    );
    bad(&["latency", "--expect", "conversion_rate_pct >= 50"], "reads the totals");
    bad(&["totals", "--expect", "min(experts.faq_rate_pct) > 1"], "reads the experts");
    bad(&["all", "--expect", "wow_pp(conversion_rate_pct) > 1"], "previous period");
    bad(&["all", "--results", junit.to_str().unwrap()], "--results and --fail-on apply to");
    let file = dir.path().join("e.txt");
    std::fs::write(&file, "feedback_total > 0\nfeedback_totals > 0\n").unwrap();
    bad(&["all", "--expect-file", file.to_str().unwrap()], "line 2");
    bad(&["all", "--expect-file", dir.path().join("missing.txt").to_str().unwrap()], "--expect-file");
    assert!(!db.exists() && !junit.exists());
    let _ = Backend::Sqlite;
}

#[test]
fn documents_carry_the_results() {
    let db = TestDb::migrated(Backend::Sqlite);
    db.seed(2_000);
    let dir = tempfile::tempdir().unwrap();
    let args = ["--expect", "conversion_rate_pct >= 99", "--warn", "feedback_total > 0"];
    let file = |name: &str, format: &str| {
        let path = dir.path().join(name);
        let out =
            run(&db, &[&["all", "--last-week", "--format", format, "-o", path.to_str().unwrap()], &args[..]].concat());
        assert_eq!(out.status.code(), Some(4));
        path
    };
    let prom = std::fs::read_to_string(file("r.prom", "openmetrics")).unwrap();
    assert!(
        prom.contains("faqlink_expectation_passed{expectation=\"conversion_rate_pct >= 99\",level=\"expect\"} 0"),
        "{prom}"
    );
    assert!(prom.contains("faqlink_expectation_passed{expectation=\"feedback_total > 0\",level=\"warn\"} 1"), "{prom}");
    let html = std::fs::read_to_string(file("r.html", "html")).unwrap();
    assert!(html.contains("class=\"expectations\" data-status=\"fail\""), "the box is red");
    assert!(html.find("class=\"expectations\"").unwrap() < html.find("Headline numbers").unwrap(), "at the top");
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(file("r.xlsx", "xlsx")).unwrap();
    let sheet = wb.worksheet_range("Expectations").unwrap();
    assert_eq!(sheet.get_value((1, 2)).map(|v| v.to_string()), Some("fail".into()));
    assert_eq!(sheet.get_value((2, 1)).map(|v| v.to_string()), Some("warn".into()));
}
