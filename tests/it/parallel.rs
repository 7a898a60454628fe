//! PostgreSQL runs that compute sections at once on connections of their own
//! (`faqlink::reports::parallel`), or `report all` over a bounded window in one pass
//! (`faqlink::reports::window_pass`): the connections read the run's very snapshot, and the
//! output equals the serial run and each section run alone, on generated datasets, in four
//! zones, over whole and bounded windows (NULL timestamps, orphaned and dangling links).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use faqlink::db::{Backend, Count, Database};
use faqlink::reports::period::local_midnight;
use faqlink::reports::{self, plan, Cell, Options, ReportKind, Resources, Window};

use crate::data;
use crate::differential::{random_now, random_window, reference_rows_at};
use crate::harness::{Collect, ExpertRow, TestDb};

/// The zones of the tests: UTC, a European one with daylight saving, a half-hour one that
/// changed its offset, and one that is 5:45 ahead.
const ZONES: [Tz; 4] =
    [chrono_tz::UTC, chrono_tz::Europe::Rome, chrono_tz::America::St_Johns, chrono_tz::Asia::Kathmandu];

fn count_profiles(db: &mut Database) -> i64 {
    let sql = db.sql().push("SELECT COUNT(*) AS n FROM expert_profiles").clone();
    let rows: Vec<Count> = db.load("counting", &sql).unwrap();
    rows[0].n
}

fn add_profile(db: &TestDb, n: usize) {
    ExpertRow { id: format!("00000000-0000-0000-0000-{n:012}"), ..ExpertRow::numbered(n) }.insert(db);
}

#[test]
fn readers_adopt_the_exported_snapshot() {
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    add_profile(&db, 1);
    let mut main = db.open_read_only();
    main.read_snapshot_with_readers(2, |main, readers| {
        assert_eq!(readers.len(), 2, "an idle server gives every reader asked for");
        assert_eq!(count_profiles(main), 1);
        // Committed after the snapshot was taken: invisible to the run's connection and to
        // both readers, which adopted the snapshot after the commit.
        add_profile(&db, 2);
        for reader in readers.iter_mut() {
            assert_eq!(count_profiles(reader), 1);
        }
        assert_eq!(count_profiles(main), 1);
        Ok(())
    })
    .unwrap();
    assert_eq!(count_profiles(&mut main), 2, "a new transaction sees the write");
    // No reader asked for: none given.
    main.read_snapshot_with_readers(0, |_, readers| {
        assert!(readers.is_empty());
        Ok(())
    })
    .unwrap();
}

/// Runs `kinds` with `parallel` into a new collector: the sections' rows, and how many
/// sections ran on their own connection (`usize::MAX`: one pass over the window).
fn run(
    db: &TestDb,
    resources: Resources,
    kinds: &[ReportKind],
    window: &Window,
    weekly_window: Option<&Window>,
    now: DateTime<Utc>,
) -> (Vec<Vec<Vec<Cell>>>, usize) {
    let mut conn = db.open_read_only();
    let mut sink = Collect::default();
    let options = Options { resources, ..Options::default() };
    let (outcome, _) =
        reports::run_with_options(&mut conn, kinds, window, weekly_window, now, &options, &mut sink).unwrap();
    (sink.rows(), if outcome.one_pass { usize::MAX } else { outcome.parallel_sections })
}

#[test]
fn parallel_sections_equal_the_serial_run_and_the_sections_alone() {
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    let combinations: [&[ReportKind]; 5] = [
        &ReportKind::ALL,
        &[ReportKind::Orphans, ReportKind::Duplicates],
        &[ReportKind::Totals, ReportKind::Orphans],
        &[ReportKind::Experts, ReportKind::Duplicates, ReportKind::Weekly],
        &[ReportKind::Duplicates, ReportKind::Totals],
    ];
    let (mut runs, mut dangling_runs, mut orphan_rows, mut one_pass, mut bundled) = (0, 0, 0, 0, 0);
    for seed in 0..12 {
        let ds = data::generate(seed);
        data::clear(&db);
        data::load(&db, &ds);
        let tz = ZONES[seed as usize % ZONES.len()];
        let now = random_now(&mut rng);
        // A week of the zone (Monday to Monday or any day to the same day a week later), as
        // `--week`/`--last-week` give: `report all` reads it in one pass.
        let (lo, _) = data::span();
        let first = (lo + chrono::Duration::days(rng.gen_range(0..91))).with_timezone(&tz).date_naive();
        let week = Window {
            since: Some(local_midnight(first, tz)),
            until: Some(local_midnight(first + chrono::Duration::days(7), tz)),
            tz,
        };
        let windows = [Window::all(tz), random_window(&mut rng, tz), week];
        for window in &windows {
            // `--trend-weeks`: the weekly section over a window of its own.
            let trend = window.trend(3).ok();
            // `report all` with latency and moved (a window bounded on both sides): the window
            // pass yields them too, moved's period before on a reader or, serially, after it.
            let bundle = ReportKind::bundle(window);
            let with_bundle = (window.previous().is_some()).then_some(bundle.as_slice());
            for kinds in combinations.into_iter().chain(with_bundle) {
                for weekly_window in [None, trend.as_ref()] {
                    if kinds.len() > ReportKind::ALL.len() && weekly_window.is_some() {
                        continue;
                    }
                    let (serial, none) = run(&db, Resources::SERIAL, kinds, window, weekly_window, now);
                    let (parallel, used) = run(&db, Resources::default(), kinds, window, weekly_window, now);
                    let background = kinds.iter().filter(|k| matches!(k, ReportKind::Orphans | ReportKind::Duplicates));
                    let options = reports::Options::default();
                    let request =
                        plan::Request { kinds, window, weekly_window, options: &options, previous_totals: false };
                    if plan::plan(Backend::Postgres, request).unwrap().window_pass().is_some() {
                        assert_eq!((none, used), (usize::MAX, usize::MAX), "{kinds:?}, {window:?}");
                        one_pass += 1;
                        bundled += usize::from(kinds.len() > ReportKind::ALL.len());
                    } else {
                        assert_eq!(none, 0);
                        assert_eq!(used, background.count().min(kinds.len() - 1), "{kinds:?}");
                    }
                    assert_eq!(
                        parallel, serial,
                        "{kinds:?}, dataset {seed}, window {window:?}, weekly {weekly_window:?}"
                    );
                    // Each section equals the report run alone (and on its own connection).
                    let alone: Vec<Vec<Vec<Cell>>> = kinds
                        .iter()
                        .flat_map(|k| {
                            let w = if *k == ReportKind::Weekly { weekly_window.unwrap_or(window) } else { window };
                            run(&db, Resources::SERIAL, &[*k], w, None, now).0
                        })
                        .collect();
                    assert_eq!(parallel, alone, "{kinds:?} alone, dataset {seed}, window {window:?}");
                    runs += 1;
                }
            }
            // The orphans section against the reference SQL, through the parallel path.
            let (rows, _) =
                run(&db, Resources::default(), &[ReportKind::Totals, ReportKind::Orphans], window, None, now);
            let reference = reference_rows_at(&db, "orphans", window, now);
            assert_eq!(rows[1].len(), reference.len(), "orphans rows, dataset {seed}, window {window:?}");
            orphan_rows += rows[1].len();
            let dangling = rows[1].iter().filter(|r| r[4] == Cell::Text(Some("dangling".into()))).count();
            if dangling > 0 {
                dangling_runs += 1;
            }
        }
    }
    assert!(runs > 150, "{runs} runs compared");
    assert!(one_pass > 5, "one pass over the window in {one_pass} runs");
    assert!(bundled > 5, "latency and moved from the window pass in {bundled} runs");
    assert!(dangling_runs > 3 && orphan_rows > 50, "dangling in {dangling_runs} runs, {orphan_rows} orphan rows");
}

#[test]
fn sections_run_at_once_on_postgres_only_when_one_stays_on_the_run_connection() {
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    data::load(&db, &data::generate(3));
    let now = crate::differential::fixed_now();
    let all = Window::all(chrono_tz::UTC);
    let (lo, _) = data::span();
    let bounded = Window { since: Some(lo), until: Some(lo + chrono::Duration::days(31)), tz: chrono_tz::UTC };
    let longer = Window { until: Some(lo + chrono::Duration::days(32)), ..bounded.clone() };
    assert_eq!(run(&db, Resources::default(), &ReportKind::ALL, &longer, None, now).1, 2, "more than a month");
    assert_eq!(run(&db, Resources::default(), &ReportKind::ALL, &all, None, now).1, 2);
    assert_eq!(run(&db, Resources::default(), &ReportKind::ALL, &bounded, None, now).1, usize::MAX, "one pass");
    let since = Window { until: None, ..bounded.clone() };
    assert_eq!(run(&db, Resources::default(), &ReportKind::ALL, &since, None, now).1, 2);
    assert_eq!(
        run(&db, Resources::default(), &[ReportKind::Orphans], &all, None, now).1,
        0,
        "one section: nothing to overlap"
    );
    assert_eq!(run(&db, Resources::default(), &[ReportKind::Experts, ReportKind::Weekly], &all, None, now).1, 0);
    let sqlite = TestDb::migrated(Backend::Sqlite);
    data::load(&sqlite, &data::generate(3));
    assert_eq!(
        run(&sqlite, Resources::default(), &ReportKind::ALL, &all, None, now).1,
        0,
        "SQLite splits scans instead"
    );
}

/// A role allowed one connection (or a server out of connection slots): the run does without
/// the extra connections and prints the same rows, every section on its one connection.
#[test]
fn a_run_without_spare_connections_computes_every_section_on_its_own() {
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    data::load(&db, &data::generate(5));
    let role = format!("faqlink_one_conn_{}", std::process::id());
    db.exec(&format!(
        "CREATE ROLE {role} LOGIN CONNECTION LIMIT 1; \
         GRANT SELECT ON expert_feedback, faq_entries, expert_profiles TO {role};"
    ));
    // The role's URL: the test server's, with the role as user.
    let url = db.url().replacen("postgres://postgres@", &format!("postgres://{role}@"), 1);
    assert!(url.contains(&role), "the test server URL names its user: {url}");
    let now = crate::differential::fixed_now();
    let all = Window::all(chrono_tz::UTC);
    let mut limited = Database::open_for_reports(&faqlink::db::DatabaseUrl::parse(Some(&url)).unwrap(), None).unwrap();
    let mut sink = Collect::default();
    let outcome = reports::run_with(&mut limited, &ReportKind::ALL, &all, None, now, &mut sink);
    // A week's bundle: one pass, and moved's period before planned on a connection opened
    // while the pass runs, which the role cannot open: it is counted on the run's own.
    let week = Window { since: Some(now - chrono::Duration::days(7)), until: Some(now), tz: chrono_tz::UTC };
    let bundle = ReportKind::bundle(&week);
    let mut week_sink = Collect::default();
    let week_outcome = reports::run_with(&mut limited, &bundle, &week, None, now, &mut week_sink);
    drop(limited);
    db.exec(&format!("DROP OWNED BY {role}; DROP ROLE {role};"));
    let (outcome, _) = outcome.unwrap();
    assert_eq!(outcome.parallel_sections, 0, "no spare connection, no section elsewhere");
    assert_eq!(sink.rows(), run(&db, Resources::SERIAL, &ReportKind::ALL, &all, None, now).0);
    let (week_outcome, _) = week_outcome.unwrap();
    assert!(week_outcome.one_pass);
    let serial = run(&db, Resources::SERIAL, &bundle, &week, None, now).0;
    assert!(serial.iter().any(|s| !s.is_empty()), "the week has rows");
    assert_eq!(week_sink.rows(), serial);
    assert_eq!(run(&db, Resources::default(), &bundle, &week, None, now).0, serial, "with a spare connection");
    assert_eq!(run(&db, Resources::default(), &ReportKind::ALL, &all, None, now).1, 2, "with spare connections");
}

/// On the production schema (none of faqlink's own indexes) PostgreSQL takes other paths
/// (duplicates over the whole history finds the repeated queries in the query_id index):
/// every report, alone and in `report all`, still equals the reference SQL.
#[test]
fn without_faqlinks_indexes_every_report_equals_the_reference_sql() {
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    db.exec("DROP INDEX ix_faqlink_reporting; DROP INDEX ix_faqlink_experts; DROP INDEX ix_faqlink_orphaned;");
    let mut rng = ChaCha8Rng::seed_from_u64(151);
    let mut duplicate_rows = 0;
    for seed in 0..10 {
        let ds = data::generate(seed);
        data::clear(&db);
        data::load(&db, &ds);
        let tz = ZONES[seed as usize % ZONES.len()];
        let now = random_now(&mut rng);
        for window in [Window::all(tz), random_window(&mut rng, tz)] {
            let mut conn = db.open_read_only();
            for report in crate::differential::REPORTS {
                let ours = crate::differential::faqlink_rows_at(&mut conn, report, &window, now);
                assert_eq!(ours, reference_rows_at(&db, report, &window, now), "{report}, dataset {seed}, {window:?}");
                if report == "duplicates" {
                    duplicate_rows += ours.len();
                }
            }
            let (all, _) = run(&db, Resources::default(), &ReportKind::ALL, &window, None, now);
            let alone: Vec<Vec<Vec<Cell>>> =
                ReportKind::ALL.iter().flat_map(|k| run(&db, Resources::SERIAL, &[*k], &window, None, now).0).collect();
            assert_eq!(all, alone, "report all, dataset {seed}, {window:?}");
        }
    }
    assert!(duplicate_rows > 5, "{duplicate_rows} duplicate rows compared");
}
