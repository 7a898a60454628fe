//! Differential tests: on generated datasets, every report's rows equal the hand-written
//! reference SQL in `reports/` run by the database's own command-line client, on SQLite and
//! PostgreSQL, and the two backends equal each other. "Now" varies (weekly's `complete`
//! flag and its empty changes depend on it), and the previous period's totals handed to a
//! sink equal the reference totals of that period.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use faqlink::db::{Backend, Database};
use faqlink::reports::period::local_midnight;
use faqlink::reports::{self, Cell};
use faqlink::reports::{ReportKind, Resources, Window};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::data;
use crate::harness::{backends, Collect, TestDb};

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

/// The "now" of [`faqlink_rows`] and [`reference_rows`]: inside the datasets' span, so
/// their weeks are over, not over yet, or partly in the window.
pub fn fixed_now() -> DateTime<Utc> {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

/// faqlink's rows for `report`, through the same path the command takes (one read-only
/// snapshot, rows streamed into a sink), cut to the columns the reference SQL has.
pub fn faqlink_rows_at(db: &mut Database, report: &str, window: &Window, now: DateTime<Utc>) -> Rows {
    faqlink_rows_with(db, report, window, now, Resources::default())
}

/// [`faqlink_rows_at`] with the connections the run may use.
pub fn faqlink_rows_with(
    db: &mut Database,
    report: &str,
    window: &Window,
    now: DateTime<Utc>,
    resources: Resources,
) -> Rows {
    let (kind, width) = match report {
        "experts" => (ReportKind::Experts, 5),
        "totals" => (ReportKind::Totals, 11),
        "orphans" => (ReportKind::Orphans, 6),
        "duplicates" => (ReportKind::Duplicates, 4),
        "weekly" => (ReportKind::Weekly, 11),
        other => panic!("unknown report {other}"),
    };
    Collect::run_with(db, &[kind], window, now, resources)
        .rows()
        .into_iter()
        .flatten()
        .map(|cells| text(cells, width))
        .collect()
}

/// The reference SQL of `report` with the window and "now" substituted.
pub fn reference_sql_at(backend: Backend, report: &str, window: &Window, now: DateTime<Utc>) -> String {
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
            .replace(":'tz'", &format!("'{}'", window.tz.name()))
            .replace(":'now'", &bound(Some(now))),
        Backend::Sqlite => sql
            .replace(":since", &bound(window.since))
            .replace(":until", &bound(window.until))
            .replace(":now", &bound(Some(now))),
    }
}

/// The reference rows at [`fixed_now`], run by psql / sqlite3.
pub fn reference_rows(db: &TestDb, report: &str, window: &Window) -> Rows {
    reference_rows_at(db, report, window, fixed_now())
}

/// The reference rows at `now`, run by psql / sqlite3.
pub fn reference_rows_at(db: &TestDb, report: &str, window: &Window, now: DateTime<Utc>) -> Rows {
    let csv_text = db.cli_csv(&reference_sql_at(db.backend(), report, window, now));
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv_text.as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(normalise).collect()).collect()
}

pub const REPORTS: [&str; 5] = ["experts", "totals", "orphans", "duplicates", "weekly"];

pub fn random_window(rng: &mut ChaCha8Rng, tz: Tz) -> Window {
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

/// "Now" for a run: inside the datasets' span (some weeks not over yet), exactly on a
/// Monday 00:00 UTC (the week before just ended), or after all of it.
pub fn random_now(rng: &mut ChaCha8Rng) -> DateTime<Utc> {
    let (lo, hi) = data::span();
    match rng.gen_range(0..3) {
        0 => lo + Duration::microseconds(rng.gen_range(0..(hi - lo).num_microseconds().unwrap())),
        1 => lo + Duration::weeks(rng.gen_range(0..14)),
        _ => hi + Duration::days(30),
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
    let (mut partial_weeks, mut previous_checked) = (0, 0);
    for seed in 0..datasets {
        let ds = data::generate(seed);
        for db in &dbs {
            data::clear(db);
            data::load(db, &ds);
        }
        let windows = [Window::all(chrono_tz::UTC), random_window(&mut rng, chrono_tz::UTC)];
        let now = random_now(&mut rng);
        for window in &windows {
            let mut per_backend: Vec<(Backend, Vec<Rows>)> = Vec::new();
            for db in &dbs {
                let mut conn = db.open_read_only();
                let ours: Vec<Rows> = REPORTS.iter().map(|r| faqlink_rows_at(&mut conn, r, window, now)).collect();
                for (report, rows) in REPORTS.iter().zip(&ours) {
                    let reference = reference_rows_at(db, report, window, now);
                    assert_eq!(
                        rows,
                        &reference,
                        "{report} on {:?} differs from reports/{report}.*.sql (dataset {seed}, window {window:?}, now {now})",
                        db.backend()
                    );
                    compared += 1;
                }
                partial_weeks += ours[4].iter().filter(|w| w[10] == "false").count();
                // The previous period's totals, as a whole-document format asks for them,
                // equal the reference totals on that period.
                let mut previous = Collect::with_previous_totals();
                reports::run_at(&mut conn, &[ReportKind::Totals], window, now, &mut previous).unwrap();
                match (window.previous(), previous.previous) {
                    (Some(period), Some((got_window, cells))) => {
                        assert_eq!(got_window, period);
                        assert_eq!(
                            vec![text(cells, 11)],
                            reference_rows_at(db, "totals", &period, now),
                            "previous totals on {:?} (dataset {seed}, window {window:?})",
                            db.backend()
                        );
                        previous_checked += 1;
                    }
                    (None, None) => {}
                    (expected, got) => panic!("previous period {expected:?}, got {got:?}"),
                }
                // `report all` shares work between its sections (orphans reuses what totals
                // counted): each of its sections equals that report run on its own.
                let mut sections = |kinds: &[ReportKind]| Collect::run_at(&mut conn, kinds, window, now).rows();
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
    assert!(
        partial_weeks > 0 && previous_checked > 10,
        "partial weeks {partial_weeks}, previous totals {previous_checked}"
    );
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
        let now = random_now(&mut rng);
        for window in [Window::all(zone), random_window(&mut rng, zone)] {
            let reference = reference_rows_at(&pg, "weekly", &window, now);
            for db in [&pg, &lite] {
                let ours = faqlink_rows_at(&mut db.open_read_only(), "weekly", &window, now);
                assert_eq!(ours, reference, "weekly {:?} in {zone}, dataset {seed}, {window:?}", db.backend());
                // `report all` computes weekly in its shared pass on PostgreSQL (weeks by
                // width_bucket over the zone's boundaries): the same rows.
                let mut all = Collect::run_at(&mut db.open_read_only(), &ReportKind::ALL, &window, now).rows();
                let weekly = all.pop().expect("weekly is the last section of all");
                let weekly: Rows = weekly.into_iter().map(|cells| text(cells, 11)).collect();
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

/// `t` written in timestamp form `form` (0: canonical; 1-7: the other forms faqlink reads).
/// Fractions are never cut below the instant's own digits, so every form holds the same
/// instant: "fewest digits" drops trailing zeros (none at all for a whole second).
pub fn timestamp_form(t: DateTime<Utc>, form: usize) -> String {
    let micros = format!("{:06}", t.timestamp_subsec_micros());
    let fewest = micros.trim_end_matches('0');
    let digits = |n: usize| -> String {
        match n {
            0 if fewest.is_empty() => String::new(),
            0 => format!(".{fewest}"),
            n => format!(".{}", &format!("{micros}000")[..n]),
        }
    };
    let at = |offset_minutes: i64, sep: char, fraction: String, zone: &str| {
        let local = t + Duration::minutes(offset_minutes);
        format!("{}{sep}{}{fraction}{zone}", local.format("%Y-%m-%d"), local.format("%H:%M:%S"))
    };
    match form {
        0 => data::ts_text(&t),
        1 => at(0, 'T', digits(0), "Z"),
        2 => at(330, 'T', digits(6), "+05:30"),
        3 => at(-480, 'T', digits(0), "-08:00"),
        4 => at(0, ' ', digits(0), ""),
        5 => at(0, 'T', digits(9), "Z"),
        6 => at(60, ' ', digits(7), "+01:00"),
        7 => at(0, 'T', digits(8), ""),
        other => panic!("no form {other}"),
    }
}

/// The forms of [`timestamp_form`] besides the canonical one, and a mix of all of them.
const FORMS: usize = 7;

#[test]
fn every_accepted_timestamp_form_gives_the_same_reports() {
    // One SQLite file with the canonical text, one rewritten in each form (and a mix of
    // all of them, row by row), and PostgreSQL with the same instants: every report, the
    // latency and moved reports too.
    let canonical = TestDb::migrated(Backend::Sqlite);
    let forms = TestDb::migrated(Backend::Sqlite);
    let pg = (!crate::harness::skip_pg()).then(|| TestDb::migrated(Backend::Postgres));
    let mut rng = ChaCha8Rng::seed_from_u64(22);
    let (mut compared, mut whole_seconds) = (0, 0);
    // How many digits the fewest-digits forms (1, 3, 4) give the rows' fractions: 0 to 6.
    let mut fraction_digits = std::collections::BTreeSet::new();
    for seed in 200..206 {
        let mut ds = data::generate(seed);
        // Half of the rows on a whole second (forms without a fractional part), the others
        // cut to tenths, hundredths, … whole microseconds in turn (fractions of 1 to 6 digits).
        for (i, f) in ds.feedback.iter_mut().enumerate() {
            let kept_digits = if i % 2 == 0 { 0 } else { 1 + (i / 2) % 6 };
            f.ts = f.ts.map(|t| cut_fraction(t, kept_digits));
            whole_seconds += usize::from(kept_digits == 0 && f.ts.is_some());
            fraction_digits.extend(f.ts.map(|t| fraction_len(&timestamp_form(t, 1))));
        }
        for db in [Some(&canonical), Some(&forms), pg.as_ref()].into_iter().flatten() {
            data::clear(db);
            data::load(db, &ds);
        }
        let tz = [chrono_tz::UTC, chrono_tz::Europe::Rome, chrono_tz::Asia::Kolkata][seed as usize % 3];
        let windows = [Window::all(tz), random_window(&mut rng, tz)];
        let now = random_now(&mut rng);
        let reports = |db: &TestDb, split: bool| -> Vec<Vec<Rows>> {
            let mut conn = db.open_read_only();
            // The split path too (a second reader on the same snapshot reads the same way).
            let resources = Resources {
                split_min_rows: if split { 0 } else { Resources::default().split_min_rows },
                ..Resources::default()
            };
            windows
                .iter()
                .map(|w| {
                    let mut rows: Vec<Rows> =
                        REPORTS.iter().map(|r| faqlink_rows_with(&mut conn, r, w, now, resources)).collect();
                    let all = Collect::run_with(&mut conn, &ReportKind::ALL, w, now, resources).rows();
                    rows.extend(all.into_iter().map(|s| s.into_iter().map(|c| text(c, 11)).collect()));
                    // The reports outside `all`: latency (the FAQ's time against the feedback's),
                    // and what moved, which needs a bounded window.
                    let mut later = vec![ReportKind::Latency];
                    if w.since.is_some() && w.until.is_some() {
                        later.push(ReportKind::Moved);
                    }
                    let more = Collect::run_with(&mut conn, &later, w, now, resources).rows();
                    rows.extend(more.into_iter().map(|s| s.into_iter().map(|c| text(c, 12)).collect()));
                    rows
                })
                .collect()
        };
        let expected = reports(&canonical, false);
        if let Some(pg) = &pg {
            assert_eq!(reports(pg, false), expected, "PostgreSQL differs from SQLite (dataset {seed})");
        }
        for form in 1..=FORMS + 1 {
            let mut sql = String::new();
            for (i, f) in ds.feedback.iter().enumerate() {
                if let Some(t) = f.ts {
                    let k = if form <= FORMS { form } else { 1 + i % FORMS };
                    sql.push_str(&format!(
                        "UPDATE expert_feedback SET feedback_timestamp = '{}' WHERE id = '{}';\n",
                        timestamp_form(t, k),
                        f.id
                    ));
                }
            }
            if !sql.is_empty() {
                forms.exec(&sql);
            }
            assert_eq!(
                reports(&forms, form % 2 == 0),
                expected,
                "form {form} (e.g. {:?}) differs from the canonical text (dataset {seed})",
                ds.feedback.iter().find_map(|f| f.ts).map(|t| timestamp_form(t, form.min(FORMS)))
            );
            compared += 1;
        }
    }
    assert!(compared >= 6 * (FORMS + 1) && whole_seconds > 20, "compared {compared}, whole seconds {whole_seconds}");
    assert_eq!(fraction_digits, (0..=6).collect(), "fractions of every length from none to 6 digits");
}

/// `t` with its fraction of a second cut to its first `digits` decimal digits (0: a whole
/// second, 6: unchanged).
fn cut_fraction(t: DateTime<Utc>, digits: usize) -> DateTime<Utc> {
    let unit = 10_i64.pow(6 - digits as u32);
    t - Duration::microseconds(i64::from(t.timestamp_subsec_micros()) % unit)
}

/// How many digits the fraction of a second of the timestamp `text` has (0: none).
fn fraction_len(text: &str) -> usize {
    text.split_once('.').map_or(0, |(_, rest)| rest.chars().take_while(char::is_ascii_digit).count())
}

#[test]
fn the_forms_are_the_documented_ones() {
    let t: DateTime<Utc> = "2026-11-22T19:30:00.120000Z".parse().unwrap();
    let forms: Vec<String> = (0..=FORMS).map(|k| timestamp_form(t, k)).collect();
    assert_eq!(
        forms,
        [
            "2026-11-22T19:30:00.120000Z",
            "2026-11-22T19:30:00.12Z",
            "2026-11-23T01:00:00.120000+05:30",
            "2026-11-22T11:30:00.12-08:00",
            "2026-11-22 19:30:00.12",
            "2026-11-22T19:30:00.120000000Z",
            "2026-11-22 20:30:00.1200000+01:00",
            "2026-11-22T19:30:00.12000000",
        ]
    );
    let whole: DateTime<Utc> = "2026-11-22T19:30:00Z".parse().unwrap();
    assert_eq!(timestamp_form(whole, 1), "2026-11-22T19:30:00Z");
    assert_eq!(timestamp_form(whole, 4), "2026-11-22 19:30:00");
    // Cut to milliseconds and to tenths, the fewest-digits forms write 3 and 1 digits.
    let t: DateTime<Utc> = "2026-11-22T19:30:00.123456Z".parse().unwrap();
    assert_eq!(timestamp_form(cut_fraction(t, 3), 1), "2026-11-22T19:30:00.123Z");
    assert_eq!(timestamp_form(cut_fraction(t, 1), 4), "2026-11-22 19:30:00.1");
    assert_eq!(timestamp_form(cut_fraction(t, 0), 3), "2026-11-22T11:30:00-08:00");
    assert_eq!(timestamp_form(cut_fraction(t, 6), 1), "2026-11-22T19:30:00.123456Z");
}
