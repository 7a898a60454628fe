//! `report latency`: on generated datasets with hand-picked latencies (negative, zero, exactly
//! the SLA and a microsecond past it, ties, one value in a week, NULL feedback timestamps,
//! linked rows of other types, FAQs shared by two feedback rows), faqlink's rows equal the
//! reference SQL (`reports/latency.*.sql`: PostgreSQL's own `percentile_cont`, and SQLite
//! window functions) bit for bit on both backends, and the backends equal each other; the
//! whole-window figures (for `--expect`) too.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use faqlink::db::Backend;
use faqlink::reports::{self, Cell, Options, ReportKind, Window};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::data::{self, ts_text};
use crate::differential::{fixed_now, random_window};
use crate::harness::{backends, sql_text, Collect, ExpertRow, FeedbackRow, TestDb};

/// Loads a random dataset built for latencies; returns how many linked rows it has.
fn load(db: &TestDb, seed: u64, sla: i64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (lo, hi) = data::span();
    let specials = data::special_instants();
    let mut sql = String::new();
    let expert = ExpertRow::numbered(1);
    sql.push_str(&expert.sql());
    let n = rng.gen_range(0..150);
    let mut faqs: Vec<String> = Vec::new();
    let mut last = 0i64;
    for i in 0..n {
        let ts = match rng.gen_range(0..20) {
            0 => None,
            1 | 2 => Some(specials[rng.gen_range(0..specials.len())]),
            _ => Some(lo + Duration::microseconds(rng.gen_range(0..(hi - lo).num_microseconds().unwrap()))),
        };
        let micros: i64 = match rng.gen_range(0..12) {
            0 => -rng.gen_range(1..600_000_000),
            1 => 0,
            2 => sla * 1_000_000,
            3 => sla * 1_000_000 + 1,
            4 => last,
            5 => rng.gen_range(0..1_000),
            _ => (10f64.powf(rng.gen_range(3.0..12.0))) as i64,
        };
        last = micros;
        let base = ts.unwrap_or(lo);
        let faq = if !faqs.is_empty() && rng.gen_bool(0.1) {
            faqs[rng.gen_range(0..faqs.len())].clone()
        } else {
            let id = format!("faq-{seed}-{i}");
            let created = base + Duration::microseconds(micros);
            sql.push_str(&format!(
                "INSERT INTO faq_entries (id, question, answer, created_at) VALUES ({}, 'q?', 'a.', {});\n",
                sql_text(&id),
                sql_text(&ts_text(&created))
            ));
            faqs.push(id.clone());
            id
        };
        let kind = ["correct", "correct", "correct", "correct", "incorrect"][rng.gen_range(0..5)];
        let linked = rng.gen_bool(0.85);
        sql.push_str(
            &FeedbackRow {
                kind: kind.into(),
                timestamp: ts.map(|t| ts_text(&t)),
                success: Some(linked),
                faq: linked.then_some(faq),
                ..FeedbackRow::numbered(i, &expert.id)
            }
            .sql(),
        );
    }
    db.exec(&sql);
}

fn reference(db: &TestDb, window: &Window, sla: i64) -> Vec<Vec<String>> {
    let path = match db.backend() {
        Backend::Postgres => "reports/latency.postgres.sql",
        Backend::Sqlite => "reports/latency.sqlite.sql",
    };
    let sql = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let bound = |t: Option<DateTime<Utc>>| t.map_or("''".to_string(), |t| format!("'{}'", ts_text(&t)));
    let sql = match db.backend() {
        Backend::Postgres => sql
            .replace(":'since'", &bound(window.since))
            .replace(":'until'", &bound(window.until))
            .replace(":'tz'", &format!("'{}'", window.tz.name()))
            .replace(":sla_seconds", &sla.to_string()),
        Backend::Sqlite => sql
            .replace(":since", &bound(window.since))
            .replace(":until", &bound(window.until))
            .replace(":sla_seconds", &sla.to_string()),
    };
    let text = db.cli_csv(&sql);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
}

/// A row as comparable text: percentiles as the exact double they denote.
fn normal(row: &[String]) -> Vec<String> {
    row.iter()
        .enumerate()
        .map(|(i, v)| match (i, v.parse::<f64>()) {
            (2..=4, Ok(x)) => format!("{:e}", x),
            _ => v.clone(),
        })
        .collect()
}

fn faqlink_rows(db: &TestDb, window: &Window, sla: i64) -> (Vec<Vec<String>>, Option<reports::latency::LatencyRow>) {
    let mut conn = db.open_read_only();
    let mut sink = Collect::default();
    let options = Options { sla_seconds: sla, latency_overall: true, ..Options::default() };
    let (outcome, _) =
        reports::run_with_options(&mut conn, &[ReportKind::Latency], window, None, fixed_now(), &options, &mut sink)
            .unwrap();
    let rows = sink.rows().remove(0);
    let text = rows
        .iter()
        .map(|cells| cells.iter().map(|c| faqlink::output::plain(c, '.').unwrap_or_default()).collect::<Vec<_>>())
        .collect();
    (text, outcome.latency_overall)
}

#[test]
fn latency_equals_percentile_cont_on_both_backends() {
    let dbs: Vec<TestDb> = backends().into_iter().map(TestDb::migrated).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(24);
    let (mut compared, mut negatives, mut missing, mut interpolated) = (0, 0, 0, 0);
    for seed in 0..20 {
        let sla = [172_800, 3600, 1][seed as usize % 3];
        for db in &dbs {
            data::clear(db);
            load(db, seed, sla);
        }
        let zones: [Tz; 2] = [chrono_tz::UTC, chrono_tz::Europe::Rome];
        for window in [Window::all(chrono_tz::UTC), random_window(&mut rng, chrono_tz::UTC)] {
            let mut results = Vec::new();
            for db in &dbs {
                let (ours, overall) = faqlink_rows(db, &window, sla);
                let want = reference(db, &window, sla);
                assert_eq!(
                    ours.iter().map(|r| normal(r)).collect::<Vec<_>>(),
                    want.iter().map(|r| normal(r)).collect::<Vec<_>>(),
                    "{:?}, dataset {seed}, window {window:?}, sla {sla}",
                    db.backend()
                );
                compared += 1;
                negatives += ours.iter().filter(|r| r[6] != "0").count();
                missing += ours.iter().filter(|r| r[7] != "0").count();
                interpolated += ours.iter().filter(|r| r[2].contains('.')).count();
                // The window as a whole adds up the weeks' counts.
                let overall = overall.expect("asked for");
                let linked: i64 = ours.iter().map(|r| r[1].parse::<i64>().unwrap()).sum();
                assert_eq!(overall.linked_faqs, linked);
                results.push((ours, overall));
            }
            if let [(a, x), (b, y)] = results.as_slice() {
                assert_eq!(a, b, "SQLite and PostgreSQL differ (dataset {seed}, window {window:?})");
                assert_eq!(x, y, "the whole window differs (dataset {seed}, window {window:?})");
            }
        }
        // Local weeks: PostgreSQL's reference takes the zone.
        for db in dbs.iter().filter(|d| d.backend() == Backend::Postgres) {
            let window = Window::all(zones[1]);
            let (ours, _) = faqlink_rows(db, &window, sla);
            assert_eq!(
                ours.iter().map(|r| normal(r)).collect::<Vec<_>>(),
                reference(db, &window, sla).iter().map(|r| normal(r)).collect::<Vec<_>>(),
                "Europe/Rome, dataset {seed}"
            );
        }
    }
    assert!(compared >= 40 * dbs.len(), "compared {compared}");
    assert!(negatives > 0 && missing > 0 && interpolated > 0, "{negatives} {missing} {interpolated}");
}

#[test]
fn cli_prints_seconds_in_csv_and_units_in_the_table() {
    let db = TestDb::migrated(Backend::Sqlite);
    let expert = ExpertRow::numbered(1);
    let mut sql = expert.sql();
    sql.push_str(
        "INSERT INTO faq_entries (id, question, answer, created_at) VALUES ('f1', 'q', 'a', '2026-11-18T14:00:00.000000Z');\n",
    );
    sql.push_str(
        &FeedbackRow {
            timestamp: Some("2026-11-17T10:00:00.000000Z".into()),
            success: Some(true),
            faq: Some("f1".into()),
            ..FeedbackRow::numbered(1, &expert.id)
        }
        .sql(),
    );
    db.exec(&sql);
    let run = |args: &[&str]| {
        let out = crate::harness::faqlink()
            .env("FAQLINK_NOW", "2026-11-25T10:00:00Z")
            .args(["--database-url", &db.url(), "report", "latency"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let csv = run(&["--format", "csv", "--sla", "1d"]);
    assert!(csv.contains("2026-W47,1,100800,100800,100800,0.00,0,0"), "{csv}");
    let table = run(&[]);
    assert!(table.contains("1d 4h") && table.contains("100.00"), "{table}");
    let json: serde_json::Value = serde_json::from_str(&run(&["--format", "json"])).unwrap();
    assert_eq!(json["latency"][0]["p90_seconds"], 100800.0);
    let bad = crate::harness::faqlink()
        .args(["--database-url", &db.url(), "report", "latency", "--sla", "48"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--sla"));
    let _ = Cell::Seconds(None);
}

#[test]
fn seeded_latencies_are_realistic() {
    let db = TestDb::migrated(Backend::Sqlite);
    db.seed(6_000);
    let (rows, overall) = faqlink_rows(&db, &Window::all(chrono_tz::UTC), 172_800);
    let overall = overall.unwrap();
    // Not the instant of the feedback any more: a median near 20 hours, a tail of days.
    let [p50, p90, _] = overall.percentiles.map(Option::unwrap);
    assert!((14.0 * 3600.0..28.0 * 3600.0).contains(&p50), "p50 {p50}");
    assert!(p90 > 40.0 * 3600.0, "p90 {p90}");
    let share = overall.within_sla_pct().unwrap().0;
    assert!((7_500..9_200).contains(&share), "within SLA {share}");
    assert!(overall.negative_latency > 0 && overall.negative_latency * 100 < overall.linked_faqs, "{overall:?}");
    assert!(rows.len() >= 12);
    // Nothing is created after the end of the seeded history.
    let late = db.cli_csv("SELECT COUNT(*) AS n FROM faq_entries WHERE created_at >= '2026-11-23T00:00:00.000000Z'");
    assert_eq!(late.lines().nth(1), Some("0"), "{late}");
}

/// PostgreSQL's latency expression (a double below 2³¹ s, `numeric` above) equals the exact
/// `numeric` difference in microseconds: for timestamps anywhere in 0001..9999, latencies of
/// microseconds to millennia, both signs, and a band of ±10⁴ s around the 2³¹ s boundary
/// where the two paths meet.
#[test]
fn the_fast_latency_expression_equals_the_exact_one() {
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    let l = reports::latency::pg_latency_us("x.a", "x.b");
    let sql = format!(
        "SELECT count(*) AS n, count(*) FILTER (WHERE {l} IS DISTINCT FROM \
                  CAST((EXTRACT(EPOCH FROM x.b) - EXTRACT(EPOCH FROM x.a)) * 1000000 AS BIGINT)) AS differ, \
                count(*) FILTER (WHERE abs(date_part('epoch', x.b - x.a)) >= 2147483648) AS exact_path \
         FROM (SELECT g.a, g.a + g.d AS b FROM (SELECT setseed(0.24)) s, LATERAL ( \
               SELECT timestamptz '0001-01-02 00:00:00+00' \
                        + CAST(random() * 315000000000 AS BIGINT) * interval '1 second' \
                        + CAST(random() * 999999 AS INTEGER) * interval '1 microsecond' AS a, \
                      (CASE WHEN random() < 0.5 THEN 1 ELSE -1 END) * (CASE \
                        WHEN i % 4 = 0 THEN CAST(random() * 1e12 AS BIGINT) \
                        WHEN i % 4 = 1 THEN CAST(random() * 1e17 AS BIGINT) \
                        ELSE 2147483648000000 + CAST((random() - 0.5) * 2e10 AS BIGINT) END) \
                        * interval '1 microsecond' AS d \
               FROM generate_series(1, 200000) i) g \
               WHERE g.a + g.d BETWEEN '0001-01-01' AND '9999-12-31') x"
    );
    let out = db.cli_csv(&sql);
    let row: Vec<i64> = out.lines().nth(1).unwrap().split(',').map(|v| v.parse().unwrap()).collect();
    let [n, differ, exact_path] = row[..] else { panic!("{out}") };
    assert!(n > 150_000, "{out}");
    assert_eq!(differ, 0, "{out}");
    assert!(exact_path > 20_000 && exact_path < n - 20_000, "both paths taken: {out}");
}
