//! SQLite reports split over two threads: the second connection reads the very same
//! snapshot (or is not used), and the split reports equal the serial ones and the reference
//! SQL.

use faqlink::db::{Backend, Database, Uuid};
use faqlink::reports::split::{self, Pivot, Sample, SPLIT_MIN_ROWS};
use faqlink::reports::{self, experts};
use faqlink::reports::{Options, ReportKind, Resources, Window};

use crate::data;
use crate::differential::{faqlink_rows_with, fixed_now, reference_rows, REPORTS};
use crate::harness::{faqlink, Collect, ExpertRow, TestDb};

fn count_profiles(db: &mut Database) -> i64 {
    let sql = db.sql().push("SELECT COUNT(*) AS n FROM expert_profiles").clone();
    let rows: Vec<faqlink::db::Count> = db.load("counting", &sql).unwrap();
    rows[0].n
}

fn add_profile(db: &TestDb, n: usize) {
    ExpertRow { id: format!("00000000-0000-0000-0000-{n:012}"), ..ExpertRow::numbered(n) }.insert(db);
}

#[test]
fn a_second_reader_joins_only_an_unchanged_snapshot() {
    let db = TestDb::migrated(Backend::Sqlite);
    add_profile(&db, 1);

    // Nothing committed in between: both connections read one snapshot, and a write
    // committed afterwards is invisible to both.
    let mut main = db.open_read_only();
    let mut reader = db.open_read_only();
    let before = reader.data_version().unwrap();
    main.batch("begin", "BEGIN DEFERRED").unwrap();
    assert!(main.join_snapshot(&mut reader, before).unwrap());
    add_profile(&db, 2);
    assert_eq!(count_profiles(&mut main), 1);
    assert_eq!(count_profiles(&mut reader), 1);
    main.batch("end", "ROLLBACK").unwrap();
    reader.batch("end", "ROLLBACK").unwrap();
    assert_eq!(count_profiles(&mut main), 2, "a new transaction sees the write");

    // A write committed after the reader's data version was read, before the snapshots
    // began: the two cannot be proven equal, and the reader is left without a transaction.
    let mut main = db.open_read_only();
    let mut reader = db.open_read_only();
    let before = reader.data_version().unwrap();
    add_profile(&db, 3);
    main.batch("begin", "BEGIN DEFERRED").unwrap();
    assert!(!main.join_snapshot(&mut reader, before).unwrap());
    main.batch("end", "ROLLBACK").unwrap();
    reader.batch("a transaction of its own", "BEGIN DEFERRED; ROLLBACK").unwrap();

    // Through read_snapshot_with_reader: a reader on SQLite when asked, never on request-less
    // runs; the reader sees what the main connection sees.
    let mut main = db.open_read_only();
    main.read_snapshot_with_reader(true, |main, reader| {
        let reader = reader.expect("an idle SQLite file gives a second reader");
        assert_eq!(count_profiles(main), 3);
        assert_eq!(count_profiles(reader), 3);
        Ok(())
    })
    .unwrap();
    main.read_snapshot_with_reader(false, |_, reader| {
        assert!(reader.is_none());
        Ok(())
    })
    .unwrap();
}

/// Every report of every dataset on SQLite, with splitting forced (`split_min_rows = 0`),
/// equals the report on one connection and the reference SQL; in two zones, since weekly
/// buckets depend on the zone.
#[test]
fn split_reports_equal_the_serial_ones_and_the_reference_sql() {
    let db = TestDb::migrated(Backend::Sqlite);
    let mut split_datasets = 0;
    for seed in 0..30 {
        let ds = data::generate(seed);
        data::clear(&db);
        data::load(&db, &ds);
        let (serial, split) = (Resources::SERIAL, Resources { split_min_rows: 0, ..Resources::default() });
        let mut conn = db.open_read_only();
        if conn.read_snapshot(|c| split::split_point(c, 0, Sample::All, "a test")).unwrap().is_some() {
            split_datasets += 1;
        }
        for tz in [chrono_tz::UTC, chrono_tz::Asia::Kathmandu] {
            let window = Window::all(tz);
            for report in REPORTS {
                let ours = faqlink_rows_with(&mut conn, report, &window, fixed_now(), split);
                let alone = faqlink_rows_with(&mut conn, report, &window, fixed_now(), serial);
                assert_eq!(ours, alone, "{report}, dataset {seed}, {tz}");
                if tz == chrono_tz::UTC {
                    assert_eq!(ours, reference_rows(&db, report, &window), "{report}, dataset {seed}");
                }
            }
            let mut all = |resources: Resources| {
                let mut sink = Collect::default();
                let options = Options { resources, ..Options::default() };
                reports::run_with_options(&mut conn, &ReportKind::ALL, &window, None, fixed_now(), &options, &mut sink)
                    .unwrap();
                sink.rows()
            };
            assert_eq!(all(split), all(serial), "report all, dataset {seed}, {tz}");
        }
    }
    assert!(split_datasets >= 10, "a split point was found on only {split_datasets} datasets");
}

/// The experts report split at every expert (and before and after all of them) equals the
/// report on one connection.
#[test]
fn the_experts_report_split_at_any_expert_is_the_whole_report() {
    let db = TestDb::migrated(Backend::Sqlite);
    let window = Window::all(chrono_tz::UTC);
    for seed in 0..30 {
        let ds = data::generate(seed);
        data::clear(&db);
        data::load(&db, &ds);
        let mut conn = db.open_read_only();
        conn.read_snapshot_with_reader(true, |conn, reader| {
            let reader = reader.expect("a second reader");
            let serial = experts::rows(conn, None, &window)?;
            let mut ids: Vec<String> = ds.experts.iter().map(|(id, _)| id.clone()).collect();
            ids.push("00000000-0000-0000-0000-000000000000".into());
            ids.push("ffffffff-ffff-ffff-ffff-ffffffffffff".into());
            for id in ids {
                let pivot = Pivot { feedback_type: "correct".into(), expert_id: Uuid(id) };
                let (mut rows, upper) =
                    split::both(conn, reader, &pivot, |db, part| experts::query(db, &window, Some(part)))?;
                rows.extend(upper);
                experts::sort(&mut rows);
                assert_eq!(rows, serial, "dataset {seed}, split at {pivot:?}");
            }
            Ok(())
        })
        .unwrap();
    }
}

#[test]
fn a_large_sqlite_file_is_split_and_matches_the_reference() {
    let db = TestDb::sqlite_empty();
    let rows = (SPLIT_MIN_ROWS + 1000).to_string();
    faqlink()
        .args(["--database-url", &db.url(), "seed", "--experts", "40", "--feedback", &rows, "--end", "2026-11-23"])
        .assert()
        .success();
    let mut conn = db.open_read_only();
    for sample in [Sample::Correct, Sample::All] {
        let pivot = conn.read_snapshot(|c| split::split_point(c, SPLIT_MIN_ROWS, sample, "a test")).unwrap();
        assert!(pivot.is_some(), "a table over the threshold gets a split point ({sample:?})");
    }

    let window = Window::all(chrono_tz::UTC);
    for report in ["experts", "totals", "weekly"] {
        let out = faqlink().args(["--database-url", &db.url(), "report", report, "--format", "csv"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut csv = csv::Reader::from_reader(out.stdout.as_slice());
        let ours: Vec<Vec<String>> = csv.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
        let reference = reference_rows(&db, report, &window);
        let width = reference.first().map_or(0, Vec::len);
        let ours: Vec<Vec<String>> = ours.into_iter().map(|r| r.into_iter().take(width).collect()).collect();
        assert_eq!(ours, reference, "{report}");
        if report == "experts" {
            assert_eq!(ours.len(), 40);
            // The counts cover every correct row once.
            let correct = db.cli_csv("SELECT COUNT(*) AS n FROM expert_feedback WHERE feedback_type = 'correct'");
            let total: i64 = ours.iter().map(|r| r[2].parse::<i64>().unwrap()).sum();
            assert_eq!(format!("n\n{total}\n"), correct);
        }
    }
}
