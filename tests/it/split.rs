//! SQLite's `report experts` split over two threads: the second connection reads the very
//! same snapshot (or is not used), and the split report equals the serial one and the
//! reference SQL, at the sampled split point and at every other.

use faqlink::config::Window;
use faqlink::db::{Backend, Database, Uuid};
use faqlink::reports::experts::{self, ExpertRow};

use crate::data;
use crate::differential::{faqlink_rows, reference_rows};
use crate::harness::{faqlink, TestDb};

fn count_profiles(db: &mut Database) -> i64 {
    let sql = db.sql().push("SELECT COUNT(*) AS n FROM expert_profiles").clone();
    let rows: Vec<faqlink::db::Count> = db.load("counting", &sql).unwrap();
    rows[0].n
}

fn add_profile(db: &TestDb, n: u32) {
    db.exec(&format!(
        "INSERT INTO \"user\" (id, email) VALUES ({n}, 'u{n}@example.it'); \
         INSERT INTO expert_profiles (id, user_id) VALUES ('00000000-0000-0000-0000-{n:012}', {n});"
    ));
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

#[test]
fn the_split_report_equals_the_serial_one_at_every_split_point() {
    let db = TestDb::migrated(Backend::Sqlite);
    let window = Window::all(chrono_tz::UTC);
    let mut sampled = 0;
    for seed in 0..30 {
        let ds = data::generate(seed);
        data::clear(&db);
        data::load(&db, &ds);
        let mut conn = db.open_read_only();
        conn.read_snapshot_with_reader(true, |conn, reader| {
            let reader = reader.expect("a second reader");
            let serial = experts::rows(conn, None, &window)?;
            let mut pivots: Vec<Uuid> = ds.experts.iter().map(|(id, _)| Uuid(id.clone())).collect();
            pivots.push(Uuid("00000000-0000-0000-0000-000000000000".into()));
            pivots.push(Uuid("ffffffff-ffff-ffff-ffff-ffffffffffff".into()));
            if let Some(p) = experts::split_point(conn, 0)? {
                assert!(ds.experts.iter().any(|(id, _)| *id == p.0), "the split point is an expert");
                sampled += 1;
                pivots.push(p);
            }
            for pivot in &pivots {
                let mut split: Vec<ExpertRow> = experts::rows_split_at(conn, reader, &window, pivot)?;
                experts::sort(&mut split);
                assert_eq!(split, serial, "dataset {seed}, split at {pivot}");
            }
            // The same rows through the report path with its reader (serial below the size
            // threshold), and as the reference SQL gives them.
            assert_eq!(experts::rows(conn, Some(reader), &window)?, serial);
            Ok(())
        })
        .unwrap();
        assert_eq!(faqlink_rows(&mut conn, "experts", &window), reference_rows(&db, "experts", &window));
    }
    assert!(sampled >= 10, "a split point was found on only {sampled} datasets");
}

#[test]
fn a_large_sqlite_file_is_split_and_matches_the_reference() {
    let db = TestDb::sqlite_empty();
    let rows = (experts::SPLIT_MIN_ROWS + 1000).to_string();
    faqlink()
        .args(["--database-url", &db.url(), "seed", "--experts", "40", "--feedback", &rows, "--end", "2026-11-23"])
        .assert()
        .success();
    let mut conn = db.open_read_only();
    let pivot = conn.read_snapshot(|c| experts::split_point(c, experts::SPLIT_MIN_ROWS)).unwrap();
    assert!(pivot.is_some(), "a table over the threshold gets a split point");

    let window = Window::all(chrono_tz::UTC);
    let out = faqlink().args(["--database-url", &db.url(), "report", "experts", "--format", "csv"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut csv = csv::Reader::from_reader(out.stdout.as_slice());
    let ours: Vec<Vec<String>> = csv.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    let reference = reference_rows(&db, "experts", &window);
    assert_eq!(ours.len(), 40);
    assert_eq!(ours, reference);
    // The counts cover every correct row once.
    let correct = db.cli_csv("SELECT COUNT(*) AS n FROM expert_feedback WHERE feedback_type = 'correct'");
    let total: i64 = ours.iter().map(|r| r[2].parse::<i64>().unwrap()).sum();
    assert_eq!(format!("n\n{total}\n"), correct);
}
