//! `faqlink report … --explain`: the plan is printed instead of run, no output file is
//! written, and the SQL it shows is the SQL that runs: each statement, its parameters put in
//! its text, run by the backend's own client (psql, sqlite3), gives the report's numbers.

use std::collections::BTreeMap;

use crate::harness::{faqlink, on_both, TestDb};
use faqlink::db::Backend;

const NOW: &str = "2026-11-23T12:00:00Z";

/// Runs `faqlink report ARGS --explain` and returns its standard output.
fn explain(db: &TestDb, args: &[&str]) -> String {
    let out = faqlink()
        .env("FAQLINK_NOW", NOW)
        .args(["--database-url", &db.url(), "report"])
        .args(args)
        .arg("--explain")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The statement labelled `label` in a plan, with its parameters written into its text.
fn statement(db: &TestDb, plan: &str, label: &str) -> String {
    let mut lines = plan.lines().skip_while(|l| l.trim() != format!("-- {label}")).skip(1);
    let mut text = lines.next().unwrap_or_else(|| panic!("no statement {label} in\n{plan}")).trim().to_string();
    let binds: Vec<String> = lines
        .map_while(|l| l.trim().strip_prefix("-- ").and_then(|b| b.split_once(" = ")).map(|(_, v)| v.to_string()))
        .collect();
    match db.backend() {
        // $10 before $1.
        Backend::Postgres => {
            for (i, v) in binds.iter().enumerate().rev() {
                text = text.replace(&format!("${}", i + 1), v);
            }
        }
        Backend::Sqlite => {
            for v in &binds {
                text = text.replacen('?', v, 1);
            }
        }
    }
    assert!(!text.contains('$') && !text.contains('?'), "a parameter left in {text}");
    text
}

/// CSV text (header, one row) as column → value.
fn record(csv: &str) -> BTreeMap<String, String> {
    let mut lines = csv.lines();
    let header = lines.next().unwrap().split(',').map(str::to_string);
    header.zip(lines.next().unwrap().split(',').map(str::to_string)).collect()
}

#[test]
fn the_sql_explain_shows_gives_the_reports_numbers_on_both_backends() {
    on_both(|db| {
        db.seed(3000);
        for window in [&["--last-week"][..], &[][..], &["--since", "2026-09-01", "--until", "2026-11-01"][..]] {
            let plan = explain(db, &[&["totals"][..], window].concat());
            assert!(plan.starts_with("plan: 1 job(s) on "), "{plan}");
            assert!(plan.contains("sections, in output order: totals"), "{plan}");
            let sql = statement(db, &plan, "totals");
            let by_client = record(&db.cli_csv(&sql));
            let report = faqlink()
                .env("FAQLINK_NOW", NOW)
                .args(["--database-url", &db.url(), "report", "totals", "--format", "csv"])
                .args(window)
                .output()
                .unwrap();
            assert!(report.status.success());
            let by_faqlink = record(&String::from_utf8(report.stdout).unwrap());
            let mut compared = 0;
            for (column, value) in &by_client {
                if let Some(v) = by_faqlink.get(column) {
                    assert_eq!(v, value, "{:?} {window:?}: {column}", db.backend());
                    compared += 1;
                }
            }
            assert!(compared >= 9, "{compared} columns compared: {by_client:?} / {by_faqlink:?}");
            assert_ne!(by_faqlink["feedback_total"], "0", "{window:?}: the seeded data are in the window");
        }
    });
}

#[test]
fn report_all_shows_its_path_and_writes_no_output() {
    on_both(|db| {
        db.seed(500);
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("r.html");
        let plan = explain(db, &["all", "--last-week", "--output", target.to_str().unwrap()]);
        assert!(!target.exists(), "--explain wrote {}", target.display());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let order =
            "sections, in output order: experts, totals, orphans, duplicates, weekly, latency, moved_summary, moved";
        assert!(plan.contains(order), "{plan}");
        // HTML shows each headline's change: the previous week's totals are a job.
        assert!(plan.contains("totals of the previous period of the same length"), "{plan}");
        match db.backend() {
            Backend::Postgres => {
                assert!(plan.contains("the window's rows read once, the sections from them"), "{plan}");
                assert!(plan.contains("WITH w AS MATERIALIZED"), "{plan}");
                // Latency and moved from the window pass (each FAQ looked up once, for the
                // dangling check and its creation time); moved's period before on a connection
                // opened while the pass runs.
                assert!(plan.contains("j AS MATERIALIZED"), "{plan}");
                assert!(plan.contains("GROUP BY x.week"), "{plan}");
                let connections = "connections: the run's own and 0 reader(s) on its snapshot, and one opened on it \
                                   while the run's connection works";
                assert!(plan.contains(connections), "{plan}");
                assert!(
                    plan.contains("on the connection opened while the run's works: moved's period before"),
                    "{plan}"
                );
            }
            Backend::Sqlite => assert_eq!(plan.matches(": one section -> ").count(), 7, "{plan}"),
        }
        let whole = explain(db, &["all"]);
        // Over the whole history `report all` keeps its five sections.
        assert!(whole.contains("sections, in output order: experts, totals, orphans, duplicates, weekly\n"), "{whole}");
        match db.backend() {
            Backend::Postgres => {
                assert!(whole.contains("connections: the run's own and 2 reader(s)"), "{whole}");
                assert!(whole.contains("experts, totals and weekly from one grouping"), "{whole}");
            }
            Backend::Sqlite => {
                assert!(whole.contains("connections: the run's own and 1 reader(s)"), "{whole}");
                assert_eq!(whole.matches("its scan split at a rowid pivot").count(), 3, "{whole}");
            }
        }
        // A plan that cannot run is refused as the run would be.
        let moved = faqlink().args(["--database-url", &db.url(), "report", "moved", "--explain"]).output().unwrap();
        assert_eq!(moved.status.code(), Some(2), "{}", String::from_utf8_lossy(&moved.stderr));
    });
}

/// The sum of column `name` over a CSV text's rows.
fn column_sum(csv: &str, name: &str) -> i64 {
    let mut lines = csv.lines();
    let i = lines.next().unwrap().split(',').position(|c| c == name).unwrap_or_else(|| panic!("no {name} in {csv}"));
    lines.map(|l| l.split(',').nth(i).unwrap().parse::<i64>().unwrap()).sum()
}

#[test]
fn the_latency_statement_explain_shows_runs_in_the_client_with_its_typed_parameters() {
    on_both(|db| {
        db.seed(3000);
        let plan = explain(db, &["latency", "--last-week"]);
        // PostgreSQL's week boundaries are an ARRAY of timestamptz parameters: written in as
        // typed literals (`'…'::timestamptz`), the statement runs as is.
        let label = match db.backend() {
            Backend::Postgres => "latency per week",
            Backend::Sqlite => "latency counts per bucket",
        };
        let by_client = db.cli_csv(&statement(db, &plan, label));
        let report = faqlink()
            .env("FAQLINK_NOW", NOW)
            .args(["--database-url", &db.url(), "report", "latency", "--last-week", "--format", "csv"])
            .output()
            .unwrap();
        let by_faqlink = String::from_utf8(report.stdout).unwrap();
        let linked = column_sum(&by_faqlink, "linked_faqs");
        assert!(linked > 0, "the seeded week has linked FAQs");
        assert_eq!(column_sum(&by_client, "linked_faqs"), linked, "{:?}", db.backend());
    });
}

/// The window pass looks each linked FAQ up by its key, whatever the planner would estimate:
/// on a table of FAQs far larger than a week's links it once hashed the whole table (a
/// sequential scan of 339,000 FAQs for 3,227 links at 1M rows). Here, with 3,000 rows, the
/// planner's own choice is also a scan of `faq_entries`: under the settings the run sends
/// before the pass (printed by `--explain`), it must not take it.
#[test]
fn the_window_pass_looks_each_faq_up_by_its_key() {
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    db.seed(3000);
    db.exec("ANALYZE");
    let plan = explain(&db, &["all", "--last-week"]);
    let settings = statement(&db, &plan, "the planner, for the pass");
    let pass = statement(&db, &plan, "the sections");
    let shown = db.cli_csv(&format!("{settings}; EXPLAIN {pass}"));
    assert!(shown.contains("Index Scan using faq_entries_pkey on faq_entries"), "{shown}");
    assert!(!shown.contains("Seq Scan on faq_entries"), "{shown}");
    let unset = db.cli_csv(&format!("EXPLAIN {pass}"));
    assert!(unset.contains("Seq Scan on faq_entries"), "without the settings the planner scans: {unset}");
    assert!(statement(&db, &plan, "the planner, after the pass").starts_with("RESET"), "{plan}");
}

/// The window pass's FAQ lookups can run in PostgreSQL's parallel workers: they read the
/// window's linked rows from the table, not from the pass's CTE of the window (a CTE's rows
/// can be read only by the process that made them). Parallel costs set to zero make the
/// planner use workers at this size; at 10M rows it does so by itself
/// (docs/PERFORMANCE.md).
#[test]
fn the_window_pass_lookups_can_run_in_parallel_workers() {
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    db.seed(3000);
    db.exec("ANALYZE");
    let args = ["all", "--last-week"];
    let plan = explain(&db, &args);
    let settings = statement(&db, &plan, "the planner, for the pass");
    let pass = statement(&db, &plan, "the sections");
    let shown = db.cli_csv(&format!(
        "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_index_scan_size = 0; \
         SET min_parallel_table_scan_size = 0; {settings}; EXPLAIN {pass}"
    ));
    // The probe of faq_entries sits under a Gather, beside a parallel scan of the window.
    let lines: Vec<&str> = shown.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '"']).len();
    let under = |at: usize| -> Vec<&str> {
        lines[at + 1..].iter().take_while(|l| indent(l) > indent(lines[at])).copied().collect()
    };
    let probing = (0..lines.len()).filter(|&i| lines[i].contains("Gather")).map(under).any(|below| {
        below.iter().any(|l| l.contains("faq_entries_pkey"))
            && below.iter().any(|l| l.contains("Parallel") && l.contains("expert_feedback"))
    });
    assert!(probing, "{args:?}: {shown}");
}
