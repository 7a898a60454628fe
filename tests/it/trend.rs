//! `--trend-weeks N`: the weekly section covers the N ISO weeks that end with the window's
//! last week, every other section keeps the window, and each output says so.

use crate::harness::{faqlink, skip_pg, TestDb};
use faqlink::db::Backend;
use serde_json::Value;

const NOW: &str = "2026-11-25T10:00:00Z";

fn json(db: &TestDb, args: &[&str]) -> Value {
    let out = faqlink().env("FAQLINK_NOW", NOW).arg("--database-url").arg(db.url()).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn seeded(backend: Backend) -> TestDb {
    let db = TestDb::migrated(backend);
    faqlink()
        .args(["--database-url", &db.url(), "seed", "--experts", "8", "--feedback", "1500", "--weeks", "10"])
        .args(["--end", "2026-11-26", "--seed", "7"])
        .assert()
        .success();
    db
}

fn check(backend: Backend) {
    let db = seeded(backend);
    let base = ["report", "all", "--last-week", "--tz", "Europe/Rome", "--format", "json"];
    let with_trend = json(&db, &[&base[..], &["--trend-weeks", "6"]].concat());
    let plain = json(&db, &base);
    // The weekly section is the report over the six weeks ending with 2026-W47 ...
    let six_weeks = json(
        &db,
        &[
            "report",
            "weekly",
            "--since",
            "2026-10-12",
            "--until",
            "2026-11-23",
            "--tz",
            "Europe/Rome",
            "--format",
            "json",
        ],
    );
    assert_eq!(with_trend["weekly"], six_weeks["weekly"]);
    assert_eq!(with_trend["weekly"].as_array().unwrap().len(), 6);
    assert_eq!(with_trend["weekly"][5]["iso_week"], "2026-W47");
    // ... and the other sections are last week's, as without the option.
    for section in ["experts", "totals", "orphans", "duplicates", "previous_period", "window"] {
        assert_eq!(with_trend[section], plain[section], "{section}");
    }
    assert_eq!(plain["weekly"].as_array().unwrap().len(), 1);
    // The envelope names the weekly section's own window; without the option there is none.
    assert_eq!(with_trend["weekly_window"]["since"], "2026-10-11T22:00:00Z");
    assert_eq!(with_trend["weekly_window"]["until"], plain["window"]["until"]);
    assert!(plain.get("weekly_window").is_none());
}

#[test]
fn the_weekly_section_gets_its_own_weeks_and_the_rest_keeps_the_window() {
    check(Backend::Sqlite);
    if skip_pg() {
        eprintln!("FAQLINK_TEST_SKIP_PG=1: skipping the PostgreSQL half");
        return;
    }
    // PostgreSQL computes report all's experts, totals and weekly in one shared pass; with a
    // weekly window of its own the weekly section is computed apart.
    check(Backend::Postgres);
}

#[test]
fn the_table_and_markdown_state_the_weekly_window() {
    let db = seeded(Backend::Sqlite);
    for format in ["table", "markdown"] {
        let out = faqlink()
            .env("FAQLINK_NOW", NOW)
            .args(["--database-url", &db.url(), "report", "all", "--last-week", "--trend-weeks", "12"])
            .args(["--tz", "Europe/Rome", "--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("2026-W47 · 2026-11-16 to 2026-11-22 (whole days) · Europe/Rome"), "{text}");
        assert!(text.contains("Weekly trend: 2026-08-31 to 2026-11-22 (whole days) · Europe/Rome"), "{text}");
    }
}

#[test]
fn trend_weeks_needs_the_weekly_section_and_a_window_with_an_end() {
    let db = seeded(Backend::Sqlite);
    for (args, says) in [
        (&["report", "totals", "--last-week", "--trend-weeks", "4"][..], "applies to `report weekly`"),
        (&["report", "all", "--since", "2026-11-01", "--trend-weeks", "4"][..], "needs a window with an end"),
        (&["report", "all", "--trend-weeks", "4"][..], "needs a window with an end"),
        (&["report", "weekly", "--last-week", "--trend-weeks", "0"][..], "--trend-weeks"),
        (&["report", "weekly", "--last-week", "--trend-weeks", "521"][..], "--trend-weeks"),
    ] {
        let out = faqlink().env("FAQLINK_NOW", NOW).arg("--database-url").arg(db.url()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says) && stderr.lines().count() == 1, "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}

/// In a 12-week trend over younger data, the weeks before the first feedback are "no data
/// yet", the week it starts in is "partial", and the rest are complete; none is complete
/// before the data.
#[test]
fn weeks_before_the_first_feedback_are_no_data_yet_and_its_first_week_partial() {
    // The history starts 10 weeks before 2026-11-26, a Thursday: 2026-09-17, in 2026-W38.
    let db = seeded(Backend::Sqlite);
    let all = json(&db, &["report", "all", "--last-week", "--trend-weeks", "12", "--format", "json"]);
    let weeks = all["weekly"].as_array().unwrap();
    let flags: Vec<(&str, bool, &str)> = weeks
        .iter()
        .map(|w| (w["iso_week"].as_str().unwrap(), w["complete"].as_bool().unwrap(), w["status"].as_str().unwrap()))
        .collect();
    assert_eq!(flags.len(), 12);
    assert_eq!(flags[0], ("2026-W36", false, "no data yet"), "no feedback yet");
    assert_eq!(flags[1], ("2026-W37", false, "no data yet"), "no feedback yet");
    assert_eq!(weeks[0]["feedback_total"], 0);
    assert_eq!(flags[2], ("2026-W38", false, "partial"), "the data starts on its Thursday");
    assert!(weeks[2]["feedback_total"].as_i64().unwrap() > 0);
    assert!(flags[3..].iter().all(|(_, complete, status)| *complete && *status == "complete"), "{flags:?}");
    // No change is set against the partial week.
    assert!(weeks[3]["feedback_total_change"].is_null());
    assert!(weeks[4]["feedback_total_change"].is_i64());
}

/// The weeks of a 12-week trend before the first feedback (W36, W37) are "no data yet" in
/// every format, not "partial" like the week the data starts in (W38), and each legend
/// names the two apart.
#[test]
fn weeks_before_the_first_feedback_say_no_data_yet_in_every_format() {
    let db = seeded(Backend::Sqlite);
    let base = ["report", "weekly", "--last-week", "--trend-weeks", "12", "--tz", "Europe/Rome"];
    let run = |format: &str| {
        let out = faqlink()
            .env("FAQLINK_NOW", NOW)
            .args(["--database-url", &db.url()])
            .args(base)
            .args(["--format", format])
            .output()
            .unwrap();
        assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let expected = |week: usize| match week {
        0 | 1 => "no data yet",
        2 => "partial",
        _ => "complete",
    };
    // JSON and CSV: a `status` column after `complete`.
    let all = json(&db, &[&base[..], &["--format", "json"]].concat());
    let weeks = all["weekly"].as_array().unwrap();
    assert_eq!(weeks.len(), 12);
    for (i, w) in weeks.iter().enumerate() {
        assert_eq!(w["status"], expected(i), "{}", w["iso_week"]);
        assert_eq!(w["complete"], expected(i) == "complete");
    }
    let csv = run("csv");
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().ends_with(",complete,status"));
    for (i, line) in lines.enumerate() {
        assert!(line.ends_with(&format!(",{}", expected(i))), "{line}");
    }
    // The table: W36° W37° W38*, and a footnote for each mark.
    let table = run("table");
    assert!(table.contains("2026-W36°") && table.contains("2026-W37°") && table.contains("2026-W38*"), "{table}");
    assert!(!table.contains("2026-W36*") && !table.contains("2026-W39*"), "{table}");
    assert!(table.contains("° no data yet: the week ends before the first feedback"), "{table}");
    assert!(table.contains("* partial week (not over, or cut by the window or the data)"), "{table}");
    // Markdown and HTML: the words in the status column, and the chart's legend.
    let markdown = run("markdown");
    assert_eq!(markdown.matches("| no data yet |").count(), 2, "{markdown}");
    let html = run("html");
    assert_eq!(html.matches("<tr class=\"nodata\">").count(), 2);
    assert_eq!(html.matches("<tr class=\"partial\">").count(), 1);
    assert_eq!(html.matches("no data yet</span>").count(), 2);
    assert!(html.contains("Weeks marked “no data yet” end before the first feedback"));
    assert!(!html.contains("not wholly in the window"), "the old legend's reason");
}

#[test]
fn an_early_window_is_refused_for_its_real_reason_and_labels_keep_four_digits() {
    let db = TestDb::migrated(Backend::Sqlite);
    // 0001-W02: a trend of 2 weeks fits (0001-01-01 is a Monday), 3 do not.
    let out = faqlink()
        .args(["--database-url", &db.url(), "report", "weekly", "--week", "0001-W02", "--trend-weeks", "3"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("before 0001-01-01") && stderr.contains("at most 2 week"), "{stderr}");
    assert!(!stderr.contains("needs a window with an end"), "{stderr}");
    let csv = |args: &[&str]| {
        let out = faqlink()
            .env("FAQLINK_NOW", NOW)
            .args(["--database-url", &db.url(), "report", "weekly", "--format", "csv"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let two = csv(&["--week", "0001-W02", "--trend-weeks", "2"]);
    assert!(two.contains("0001-01-01,0001-W01,") && two.contains("0001-01-08,0001-W02,"), "{two}");
    let w999 = csv(&["--week", "0999-W10"]);
    assert!(w999.contains(",0999-W10,"), "{w999}");
}
