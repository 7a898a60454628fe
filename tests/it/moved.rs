//! `report moved`: on generated datasets and random bounded windows, faqlink's rows equal an
//! independent SQL computation (`reports/moved.*.sql`: other integer forms of the same
//! terms, numeric on PostgreSQL, 64-bit integers on SQLite) on both backends, and the
//! backends equal each other. That the rows add up exactly, and the Simpson's-paradox case,
//! are unit tests of `reports::moved` (exact rationals); here the CLI's headline is checked
//! against its rows too.

use chrono::{DateTime, Duration, Utc};
use faqlink::db::Backend;
use faqlink::reports::{ReportKind, Window};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::data::{self, ts_text};
use crate::differential::fixed_now;
use crate::harness::{backends, faqlink, Collect, TestDb};

fn reference(db: &TestDb, window: &Window) -> Vec<Vec<String>> {
    let before = window.previous().unwrap();
    let path = match db.backend() {
        Backend::Postgres => "reports/moved.postgres.sql",
        Backend::Sqlite => "reports/moved.sqlite.sql",
    };
    let sql = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let q = |t: Option<DateTime<Utc>>| format!("'{}'", ts_text(&t.unwrap()));
    let sql = match db.backend() {
        Backend::Postgres => sql
            .replace(":'before_since'", &q(before.since))
            .replace(":'since'", &q(window.since))
            .replace(":'until'", &q(window.until)),
        Backend::Sqlite => sql
            .replace(":before_since", &q(before.since))
            .replace(":since", &q(window.since))
            .replace(":until", &q(window.until)),
    };
    let text = db.cli_csv(&sql);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
}

fn ours(db: &TestDb, window: &Window) -> (Vec<String>, Vec<Vec<String>>) {
    let mut conn = db.open_read_only();
    let mut sections = Collect::run_at(&mut conn, &[ReportKind::Moved], window, fixed_now()).rows();
    let text = |cells: &Vec<faqlink::reports::Cell>| {
        cells.iter().map(|c| faqlink::output::plain(c, '.').unwrap_or_default()).collect::<Vec<_>>()
    };
    let rows = sections.pop().unwrap().iter().map(text).collect();
    let summary = text(&sections.pop().unwrap()[0]);
    (summary, rows)
}

/// Expert rows sorted by id (numeric magnitudes may tie differently in the last digit of a
/// PostgreSQL division), the total row last.
fn by_expert(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let total = rows.pop();
    rows.sort();
    rows.extend(total);
    rows
}

#[test]
fn moved_equals_reference_sql_on_both_backends() {
    let dbs: Vec<TestDb> = backends().into_iter().map(TestDb::migrated).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(20);
    let (lo, hi) = data::span();
    let (mut compared, mut new_or_gone, mut defined) = (0, 0, 0);
    for seed in 0..25 {
        let ds = data::generate(seed);
        for db in &dbs {
            data::clear(db);
            data::load(db, &ds);
        }
        for _ in 0..2 {
            let days = rng.gen_range(1..50);
            let since = lo + Duration::microseconds(rng.gen_range(0..(hi - lo).num_microseconds().unwrap()));
            let window = Window { since: Some(since), until: Some(since + Duration::days(days)), tz: chrono_tz::UTC };
            let mut results = Vec::new();
            for db in &dbs {
                let (summary, rows) = ours(db, &window);
                let mut want = reference(db, &window);
                let mut got = rows.clone();
                if db.backend() == Backend::Sqlite {
                    // The SQLite reference leaves the total row's sums of terms out.
                    if let (Some(w), Some(g)) = (want.last_mut(), got.last_mut()) {
                        assert_eq!(w[6], "");
                        g[6].clear();
                        g[7].clear();
                        w[7].clear();
                    }
                }
                assert_eq!(by_expert(got), by_expert(want), "{:?}, dataset {seed}, window {window:?}", db.backend());
                // The headline is the total row.
                let total = rows.last().unwrap();
                assert_eq!([&summary[8], &summary[9], &summary[10]], [&total[8], &total[6], &total[7]]);
                compared += 1;
                defined += usize::from(!total[8].is_empty());
                new_or_gone += rows.iter().filter(|r| r[4].is_empty() != r[5].is_empty()).count();
                results.push((summary, rows));
            }
            if let [a, b] = results.as_slice() {
                assert_eq!(a, b, "SQLite and PostgreSQL differ (dataset {seed}, window {window:?})");
            }
        }
    }
    assert!(compared >= 50 * dbs.len() / 2 && defined > 10 && new_or_gone > 0, "{compared} {defined} {new_or_gone}");
}

#[test]
fn moved_needs_a_bounded_window_and_names_its_sections_in_csv() {
    let db = TestDb::migrated(Backend::Sqlite);
    db.seed(3_000);
    let run = |args: &[&str]| {
        faqlink()
            .env("FAQLINK_NOW", "2026-11-25T10:00:00Z")
            .args(["--database-url", &db.url(), "report", "moved"])
            .args(args)
            .output()
            .unwrap()
    };
    let unbounded = run(&["--since", "2026-11-01"]);
    assert_eq!(unbounded.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unbounded.stderr).contains("bounded on both sides"));
    let csv = run(&["--last-week", "--format", "csv"]);
    assert!(csv.status.success());
    let text = String::from_utf8(csv.stdout).unwrap();
    assert!(text.starts_with("# moved_summary\r\n") && text.contains("\r\n# moved\r\n"), "{text}");
    let json: serde_json::Value = serde_json::from_slice(&run(&["--last-week", "--format", "json"]).stdout).unwrap();
    for key in ["rate_before_pct", "rate_after_pct", "change_pp", "mix_pp", "rate_pp"] {
        assert!(json["moved_summary"][key].is_number(), "{key}: {json}");
    }
    assert!(json["moved"].as_array().unwrap().len() > 2);
}
