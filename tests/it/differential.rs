//! Differential tests: on generated datasets, every report's rows equal the hand-written
//! reference SQL in `reports/` run by the database's own command-line client, on SQLite and
//! PostgreSQL, and the two backends equal each other.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use faqlink::config::{local_midnight, ReportKind, Window};
use faqlink::db::{Backend, Database};
use faqlink::reports::{self, Cell, Section, Sink};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::data;
use crate::harness::{backends, TestDb};

/// A report's rows as text: timestamps canonical, NULL empty, numbers as written.
pub type Rows = Vec<Vec<String>>;

fn normalise(field: &str) -> String {
    match DateTime::parse_from_rfc3339(field) {
        Ok(t) => data::ts_text(&t.with_timezone(&Utc)),
        Err(_) => field.to_string(),
    }
}

fn text(cells: Vec<Cell>, width: usize) -> Vec<String> {
    cells.iter().take(width).map(|c| normalise(&faqlink::output::plain(c, '.').unwrap_or_default())).collect()
}

/// Collects the rows of one report run, section by section.
#[derive(Default)]
pub struct Collect(pub Vec<Vec<Vec<Cell>>>);

impl Sink for Collect {
    fn begin(&mut self, _: &Section) -> faqlink::Result<()> {
        self.0.push(Vec::new());
        Ok(())
    }
    fn row(&mut self, cells: &[Cell]) -> faqlink::Result<()> {
        self.0.last_mut().expect("a section began").push(cells.to_vec());
        Ok(())
    }
    fn end(&mut self) -> faqlink::Result<()> {
        Ok(())
    }
    fn finish(&mut self) -> faqlink::Result<()> {
        Ok(())
    }
}

/// faqlink's rows for `report`, through the same path the command takes (one read-only
/// snapshot, rows streamed into a sink), cut to the columns the reference SQL has.
pub fn faqlink_rows(db: &mut Database, report: &str, window: &Window) -> Rows {
    let (kind, width) = match report {
        "experts" => (ReportKind::Experts, 5),
        "totals" => (ReportKind::Totals, 11),
        "orphans" => (ReportKind::Orphans, 6),
        "duplicates" => (ReportKind::Duplicates, 4),
        "weekly" => (ReportKind::Weekly, 7),
        other => panic!("unknown report {other}"),
    };
    let mut sink = Collect::default();
    reports::run(db, &[kind], window, &mut sink).unwrap();
    sink.0.into_iter().flatten().map(|cells| text(cells, width)).collect()
}

/// The reference SQL of `report` with the window substituted.
pub fn reference_sql(backend: Backend, report: &str, window: &Window) -> String {
    let file = match backend {
        Backend::Postgres => format!("reports/{report}.postgres.sql"),
        Backend::Sqlite => format!("reports/{report}.sqlite.sql"),
    };
    let sql = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_string() + &file).unwrap();
    let bound = |t: Option<DateTime<Utc>>| t.map_or("''".to_string(), |t| format!("'{}'", data::ts_text(&t)));
    match backend {
        Backend::Postgres => sql
            .replace(":'since'", &bound(window.since))
            .replace(":'until'", &bound(window.until))
            .replace(":'tz'", &format!("'{}'", window.tz.name())),
        Backend::Sqlite => sql.replace(":since", &bound(window.since)).replace(":until", &bound(window.until)),
    }
}

/// The reference rows, run by psql / sqlite3.
pub fn reference_rows(db: &TestDb, report: &str, window: &Window) -> Rows {
    let csv_text = db.cli_csv(&reference_sql(db.backend(), report, window));
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv_text.as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(normalise).collect()).collect()
}

pub const REPORTS: [&str; 5] = ["experts", "totals", "orphans", "duplicates", "weekly"];

fn random_window(rng: &mut ChaCha8Rng, tz: Tz) -> Window {
    let (lo, hi) = data::span();
    let specials = data::special_instants();
    let pick = |rng: &mut ChaCha8Rng| -> DateTime<Utc> {
        match rng.gen_range(0..4) {
            0 => specials[rng.gen_range(0..specials.len())],
            1 => local_midnight((lo + Duration::days(rng.gen_range(0..91))).date_naive(), tz),
            _ => lo + Duration::microseconds(rng.gen_range(0..(hi - lo).num_microseconds().unwrap())),
        }
    };
    let (a, b) = (pick(rng), pick(rng));
    let (since, until) = (a.min(b), a.max(b) + Duration::microseconds(1));
    match rng.gen_range(0..4) {
        0 => Window { since: Some(since), until: None, tz },
        1 => Window { since: None, until: Some(until), tz },
        _ => Window { since: Some(since), until: Some(until), tz },
    }
}

#[test]
fn reports_equal_reference_sql_and_backends_agree() {
    let dbs: Vec<TestDb> = backends().into_iter().map(TestDb::migrated).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let datasets = 40;
    let mut compared = 0;
    // (any orphaned links, any dangling links) in the window: `report all` skips what totals
    // found empty, so every combination must occur.
    let mut shapes = std::collections::BTreeSet::new();
    for seed in 0..datasets {
        let ds = data::generate(seed);
        for db in &dbs {
            data::clear(db);
            data::load(db, &ds);
        }
        let windows = [Window::all(chrono_tz::UTC), random_window(&mut rng, chrono_tz::UTC)];
        for window in &windows {
            let mut per_backend: Vec<(Backend, Vec<Rows>)> = Vec::new();
            for db in &dbs {
                let mut conn = db.open_read_only();
                let ours: Vec<Rows> = REPORTS.iter().map(|r| faqlink_rows(&mut conn, r, window)).collect();
                for (report, rows) in REPORTS.iter().zip(&ours) {
                    let reference = reference_rows(db, report, window);
                    assert_eq!(
                        rows,
                        &reference,
                        "{report} on {:?} differs from reports/{report}.*.sql (dataset {seed}, window {window:?})",
                        db.backend()
                    );
                    compared += 1;
                }
                // `report all` shares work between its sections (orphans reuses what totals
                // counted): each of its sections equals that report run on its own.
                let mut sections = |kinds: &[ReportKind]| {
                    let mut sink = Collect::default();
                    reports::run(&mut conn, kinds, window, &mut sink).unwrap();
                    sink.0
                };
                let alone: Vec<Vec<Vec<Cell>>> = ReportKind::ALL.iter().flat_map(|k| sections(&[*k])).collect();
                assert_eq!(
                    sections(&ReportKind::ALL),
                    alone,
                    "report all on {:?} differs from the reports run alone (dataset {seed}, window {window:?})",
                    db.backend()
                );
                let totals = &ours[1][0];
                shapes.insert((totals[8] != "0", totals[9] != "0"));
                per_backend.push((db.backend(), ours));
            }
            if let [(_, a), (_, b)] = per_backend.as_slice() {
                assert_eq!(a, b, "SQLite and PostgreSQL differ (dataset {seed}, window {window:?})");
            }
        }
    }
    assert!(compared >= 5 * 2 * datasets as usize, "compared {compared}");
    assert_eq!(shapes.len(), 4, "orphaned/dangling combinations seen: {shapes:?}");
}

#[test]
fn weekly_in_other_zones_matches_postgres_reference_on_both_backends() {
    if crate::harness::skip_pg() {
        eprintln!("FAQLINK_TEST_SKIP_PG=1: skipping (the zone-aware reference runs on PostgreSQL)");
        return;
    }
    let pg = TestDb::migrated(Backend::Postgres);
    let lite = TestDb::migrated(Backend::Sqlite);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    // Whole-hour offsets with DST (hour buckets), half-hour and quarter-hour offsets (finer buckets).
    let zones: [Tz; 4] =
        [chrono_tz::Europe::Rome, chrono_tz::America::New_York, chrono_tz::Asia::Kolkata, chrono_tz::Asia::Kathmandu];
    for seed in 100..124 {
        let ds = data::generate(seed);
        for db in [&pg, &lite] {
            data::clear(db);
            data::load(db, &ds);
        }
        let zone = zones[seed as usize % zones.len()];
        for window in [Window::all(zone), random_window(&mut rng, zone)] {
            let reference = reference_rows(&pg, "weekly", &window);
            for db in [&pg, &lite] {
                let ours = faqlink_rows(&mut db.open_read_only(), "weekly", &window);
                assert_eq!(ours, reference, "weekly {:?} in {zone}, dataset {seed}, {window:?}", db.backend());
                // `report all` computes weekly in its shared pass on PostgreSQL (weeks by
                // width_bucket over the zone's boundaries): the same rows.
                let mut all = Collect::default();
                reports::run(&mut db.open_read_only(), &ReportKind::ALL, &window, &mut all).unwrap();
                let weekly = all.0.pop().expect("weekly is the last section of all");
                let weekly: Rows = weekly.into_iter().map(|cells| text(cells, 7)).collect();
                assert_eq!(
                    weekly,
                    reference,
                    "weekly in all, {:?} in {zone}, dataset {seed}, {window:?}",
                    db.backend()
                );
            }
        }
    }
}
