//! Edge cases pinned by name, and the one-snapshot guarantee of `report all`.

use faqlink::db::Backend;
use faqlink::reports::{self, Cell, Section, Sink};
use faqlink::reports::{ReportKind, Window};

use crate::harness::{backends, faqlink, on_both, Collect, ExpertRow, FeedbackRow, TestDb};

fn csv(db: &TestDb, args: &[&str]) -> Vec<Vec<String>> {
    let out =
        faqlink().args(["--database-url", &db.url(), "report"]).args(args).args(["--format", "csv"]).assert().success();
    let mut r = csv::Reader::from_reader(out.get_output().stdout.as_slice());
    r.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect()
}

fn expert(db: &TestDb, n: usize, reg: Option<&str>) -> String {
    let expert = ExpertRow { registration: reg.map(String::from), ..ExpertRow::numbered(n) };
    expert.insert(db);
    expert.id
}

fn feedback(db: &TestDb, n: usize, expert: &str, kind: &str, ts: Option<&str>, link: Option<&str>) {
    if let Some(faq) = link {
        db.exec(&format!(
            "INSERT INTO faq_entries (id, question, answer) SELECT '{faq}', 'q', 'a' WHERE NOT EXISTS (SELECT 1 FROM faq_entries WHERE id = '{faq}')"
        ));
    }
    FeedbackRow {
        kind: kind.into(),
        timestamp: ts.map(String::from),
        attempted: Some(true),
        success: Some(link.is_some()),
        faq: link.map(String::from),
        ..FeedbackRow::numbered(n, expert)
    }
    .insert(db);
}

#[test]
fn rounding_halves_go_away_from_zero() {
    on_both(|db| {
        // faqs/total: 1/8, 1/16, 1/160, 1/800, 2/3.
        let mut n = 0;
        for (i, (faqs, total)) in [(1, 8), (1, 16), (1, 160), (1, 800), (2, 3)].into_iter().enumerate() {
            let e = expert(db, i + 1, Some(&format!("R{i}")));
            for k in 0..total {
                n += 1;
                let link = (k < faqs).then(|| format!("faq-{n}"));
                feedback(db, n, &e, "correct", Some("2026-11-23T09:15:00.000000Z"), link.as_deref());
            }
        }
        let rates: Vec<(String, String)> =
            csv(db, &["experts"]).into_iter().map(|r| (r[1].clone(), r[4].clone())).collect();
        assert_eq!(
            rates,
            [
                ("R4".into(), "66.67".into()),
                ("R0".into(), "12.50".into()),
                ("R1".into(), "6.25".into()),
                ("R2".into(), "0.63".into()),
                ("R3".into(), "0.13".into())
            ],
            "{:?}",
            db.backend()
        );
    });
}

#[test]
fn null_registration_numbers_sort_last_and_hostile_ones_are_neutralised() {
    on_both(|db| {
        let ids: Vec<String> = [None, Some("=HYPERLINK(\"http://evil\")"), Some("-1"), Some("@x"), Some("B"), None]
            .iter()
            .enumerate()
            .map(|(i, r)| expert(db, i + 1, *r))
            .collect();
        for (i, e) in ids.iter().enumerate() {
            feedback(db, i + 1, e, "correct", Some("2026-11-23T09:15:00.000000Z"), None);
        }
        let regs: Vec<String> = csv(db, &["experts"]).into_iter().map(|r| r[1].clone()).collect();
        // Byte order: '-' < '=' < '@' < 'B'; NULLs last, tied NULLs by expert id.
        assert_eq!(regs, ["'-1", "'=HYPERLINK(\"http://evil\")", "'@x", "B", "", ""]);
    });
}

#[test]
fn empty_window_and_null_timestamps() {
    on_both(|db| {
        let e = expert(db, 1, Some("R"));
        feedback(db, 1, &e, "correct", None, Some("faq-1"));
        feedback(db, 2, &e, "correct", Some("2026-11-23T09:15:00.000000Z"), None);
        // No window: the NULL-timestamp row counts.
        assert_eq!(csv(db, &["totals"])[0][..2], ["2", "2"]);
        // Any window: it does not.
        assert_eq!(csv(db, &["totals", "--since", "2000-01-01"])[0][..2], ["1", "1"]);
        // A window with nothing in it: zeros, empty rate, no expert rows, one zero week.
        let totals = csv(db, &["totals", "--week", "2026-W10"]);
        assert_eq!(totals[0], ["0", "0", "0", "0", "0", "0", "0", "0", "0", "0", ""]);
        assert!(csv(db, &["experts", "--week", "2026-W10"]).is_empty());
        assert_eq!(
            csv(db, &["weekly", "--week", "2026-W10"])[0][..7],
            ["2026-03-02", "2026-W10", "0", "0", "0", "", "0"]
        );
        let out =
            faqlink().args(["--database-url", &db.url(), "report", "totals", "--week", "2026-W10"]).assert().success();
        assert!(String::from_utf8_lossy(&out.get_output().stdout).contains('–'), "an undefined rate shows as –");
    });
}

#[test]
fn boundaries_dst_and_week_53() {
    on_both(|db| {
        let e = expert(db, 1, Some("R"));
        // Exactly Monday 00:00 UTC belongs to the new week (since inclusive, until exclusive).
        feedback(db, 1, &e, "correct", Some("2026-11-23T00:00:00.000000Z"), Some("faq-1"));
        feedback(db, 2, &e, "correct", Some("2026-11-22T23:59:59.999999Z"), None);
        let w47 = csv(db, &["totals", "--week", "2026-W47"]);
        let w48 = csv(db, &["totals", "--week", "2026-W48"]);
        assert_eq!((w47[0][0].as_str(), w48[0][0].as_str()), ("1", "1"));
        assert_eq!(w48[0][6], "1");
        // Europe/Rome: the week of the DST change (Sunday 2026-10-25) is an ordinary week,
        // from Monday 2026-10-19 00:00 CEST (22:00Z) to Monday 2026-10-26 00:00 CET (23:00Z).
        feedback(db, 3, &e, "correct", Some("2026-10-18T22:00:00.000000Z"), None);
        feedback(db, 4, &e, "correct", Some("2026-10-25T22:59:59.999999Z"), None);
        feedback(db, 5, &e, "correct", Some("2026-10-25T23:00:00.000000Z"), None);
        let dst = csv(db, &["weekly", "--week", "2026-W43", "--tz", "Europe/Rome"]);
        assert_eq!(dst.len(), 1);
        assert_eq!(dst[0][..4], ["2026-10-19", "2026-W43", "2", "2"]);
        // ISO week 53 of 2026 runs into January 2027.
        feedback(db, 6, &e, "incorrect", Some("2027-01-03T12:00:00.000000Z"), None);
        let w53 = csv(db, &["weekly", "--week", "2026-W53"]);
        assert_eq!(w53[0][..3], ["2026-12-28", "2026-W53", "1"]);
        let span = csv(db, &["weekly", "--since", "2026-12-21", "--until", "2027-01-11"]);
        let weeks: Vec<&str> = span.iter().map(|r| r[1].as_str()).collect();
        assert_eq!(weeks, ["2026-W52", "2026-W53", "2027-W01"]);
        // Weekly sums equal the totals of the same week-aligned window.
        let all = csv(db, &["weekly", "--since", "2026-10-19", "--until", "2027-01-04"]);
        let sum: i64 = all.iter().map(|r| r[2].parse::<i64>().unwrap()).sum();
        let totals = csv(db, &["totals", "--since", "2026-10-19", "--until", "2027-01-04"]);
        assert_eq!(sum.to_string(), totals[0][0]);
    });
}

#[test]
fn last_week_is_the_last_complete_iso_week() {
    on_both(|db| {
        let e = expert(db, 1, Some("R"));
        feedback(db, 1, &e, "correct", Some("2026-11-16T00:00:00.000000Z"), None);
        feedback(db, 2, &e, "correct", Some("2026-11-23T00:00:00.000000Z"), None);
        let out = faqlink()
            .env("FAQLINK_NOW", "2026-11-25T10:00:00Z")
            .args(["--database-url", &db.url(), "report", "weekly", "--last-week", "--format", "csv"])
            .assert()
            .success();
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert!(text.contains("\r\n2026-11-16,2026-W47,1,1,"), "{text}");
        assert_eq!(text.lines().count(), 2, "{text}");
    });
}

/// A collecting sink that lets another connection commit new data after the first section.
struct Meddler<'a> {
    db: &'a TestDb,
    collected: Collect,
    done: bool,
}

impl Sink for Meddler<'_> {
    fn begin(&mut self, section: &Section, by: faqlink::reports::Protocol<'_>) -> faqlink::Result<()> {
        self.collected.begin(section, by)
    }
    fn row(&mut self, row: faqlink::reports::Row<'_>, by: faqlink::reports::Protocol<'_>) -> faqlink::Result<()> {
        self.collected.row(row, by)
    }
    fn end(&mut self, by: faqlink::reports::Protocol<'_>) -> faqlink::Result<()> {
        self.collected.end(by)?;
        if !self.done {
            self.done = true;
            // Committed by a second connection while the report is between sections.
            let e = "00000000-0000-4000-8000-000000000001";
            for n in 100..110 {
                feedback(self.db, n, e, "correct", Some("2026-11-23T09:15:00.000000Z"), Some(&format!("faq-x{n}")));
            }
        }
        Ok(())
    }
    fn finish(self: Box<Self>, by: faqlink::reports::Complete) -> faqlink::Result<()> {
        Box::new(self.collected).finish(by)
    }
}

#[test]
fn report_all_reads_one_snapshot_while_another_connection_commits() {
    for backend in backends() {
        let db = TestDb::migrated(backend);
        let e = expert(&db, 1, Some("R"));
        for n in 1..5 {
            feedback(&db, n, &e, "correct", Some("2026-11-23T09:15:00.000000Z"), None);
        }
        let mut sink = Meddler { db: &db, collected: Collect::default(), done: false };
        let mut conn = db.open_read_only();
        reports::run(&mut conn, &ReportKind::ALL, &Window::all(chrono_tz::UTC), &mut sink).unwrap();
        let sections = &sink.collected.sections;
        let experts = &sections[0].1;
        let totals = &sections[1].1[0];
        let weekly_total: i64 = sections[4]
            .1
            .iter()
            .map(|r| match r[2] {
                Cell::Int(Some(n)) => n,
                _ => 0,
            })
            .sum();
        assert_eq!(experts[0][2], Cell::Int(Some(4)), "{backend:?}");
        assert_eq!(totals[1], Cell::Int(Some(4)), "{backend:?}: totals saw rows committed after the snapshot began");
        assert_eq!(weekly_total, 4, "{backend:?}");
        // The writer did commit: a new run sees it.
        assert_eq!(db.cli_csv("SELECT COUNT(*) AS n FROM expert_feedback"), "n\n14\n");
    }
}

#[test]
fn reports_never_write_sqlite_or_create_files() {
    let db = TestDb::migrated(Backend::Sqlite);
    db.seed(200);
    // Let SQLite fold the WAL into the file first, then compare bytes.
    db.exec("PRAGMA wal_checkpoint(TRUNCATE);");
    let before = std::fs::read(db.path()).unwrap();
    for args in [["report", "all"], ["check", "--verbose"], ["migrate", "status"]] {
        faqlink().args(["--database-url", &db.url()]).args(args).assert().success();
    }
    assert_eq!(std::fs::read(db.path()).unwrap(), before);
}
