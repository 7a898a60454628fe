//! Output formats through the real binary: CSV (RFC 4180 and the spreadsheet dialects,
//! formula neutralisation), JSON, Markdown and terminal tables pinned with insta, atomic
//! `--output`, `--output-dir`, and byte-identical CSV from SQLite and PostgreSQL.

use std::collections::BTreeSet;

use faqlink::db::Backend;
use serde_json::Value;

use crate::data;
use crate::harness::{clean_env, faqlink, faqlink_bin, listing, skip_pg, Collect, ExpertRow, FeedbackRow, TestDb};

/// A generated dataset with orphaned and dangling links, duplicate FAQs, NULL registration
/// numbers, NULL timestamps and hostile registration numbers (`=HYPERLINK(…)`, `-ODCEC`).
const SEED: u64 = 232;

/// The fixed CSV columns of docs/CLI.md, in order.
const EXPERTS: &[&str] =
    &["expert_id", "professional_registration_number", "total_feedback", "faqs_generated", "faq_rate_pct"];
const TOTALS: &[&str] = &[
    "feedback_total",
    "correct_feedback",
    "incomplete_feedback",
    "incorrect_feedback",
    "workflow_attempted",
    "faq_published",
    "faqs_generated",
    "faqs_live",
    "orphaned_links",
    "dangling_links",
    "conversion_rate_pct",
];
const ORPHANS: &[&str] =
    &["feedback_id", "expert_id", "professional_registration_number", "feedback_timestamp", "kind", "generated_faq_id"];
const DUPLICATES: &[&str] = &["query_id", "faqs_generated", "feedback_ids", "faq_ids"];
const WEEKLY: &[&str] = &[
    "week_start",
    "iso_week",
    "feedback_total",
    "correct_feedback",
    "faqs_generated",
    "conversion_rate_pct",
    "orphaned_links",
];

/// The sections of `report all` over the whole history, in order, with their fixed columns
/// and whether more columns may follow (latency and moved join windows bounded on both
/// sides).
const SECTIONS: [(&str, &[&str], bool); 5] = [
    ("experts", EXPERTS, false),
    ("totals", TOTALS, false),
    ("orphans", ORPHANS, false),
    ("duplicates", DUPLICATES, false),
    ("weekly", WEEKLY, true),
];

/// Columns that hold numbers (never neutralised, decimals follow the dialect).
const NUMERIC: &[&str] = &[
    "total_feedback",
    "faqs_generated",
    "faq_rate_pct",
    "feedback_total",
    "correct_feedback",
    "incomplete_feedback",
    "incorrect_feedback",
    "workflow_attempted",
    "faq_published",
    "faqs_live",
    "orphaned_links",
    "dangling_links",
    "conversion_rate_pct",
    "feedback_total_change",
    "faqs_generated_change",
    "conversion_rate_change_pts",
];

/// The extra expert whose registration number a spreadsheet would run as a formula.
const FORMULA_EXPERT: &str = "e0000000-0000-4000-a000-000000000001";
const FORMULA_REG: &str = "=1+2";
/// A second extra expert, starting with `+` (a phone-number-like value).
const PLUS_EXPERT: &str = "e0000000-0000-4000-a000-000000000002";
const PLUS_REG: &str = "+39 02 1234";

/// A correct feedback with the datasets' texts, the workflow attempted.
fn feedback_sql(id: &str, query: &str, expert: &str, ts: &str, success: bool, faq: Option<&str>) -> String {
    FeedbackRow {
        timestamp: Some(ts.into()),
        attempted: Some(true),
        success: Some(success),
        faq: faq.map(String::from),
        ..FeedbackRow::new(id, query, expert).with_dataset_texts()
    }
    .sql()
}

/// Loads the dataset of [`SEED`] plus the two extra experts (one linked FAQ, one orphaned
/// link, one unpublished) with plain SQL both backends accept.
fn load_fixture(db: &TestDb) {
    data::load(db, &data::generate(SEED));
    let mut sql = String::new();
    for (user, expert, reg) in [(100, FORMULA_EXPERT, FORMULA_REG), (101, PLUS_EXPERT, PLUS_REG)] {
        let email = format!("x{user}@example.it");
        sql.push_str(&ExpertRow { user, email, id: expert.into(), registration: Some(reg.into()) }.sql());
    }
    sql.push_str("INSERT INTO faq_entries (id, question, answer, created_at) VALUES ('faq-extra-1', 'q?', 'a.', '2026-11-03T09:30:00.000000Z');\n");
    sql.push_str(&feedback_sql(
        "f0000000-0000-4000-a000-000000000001",
        "c0000000-0000-4000-a000-000000000001",
        FORMULA_EXPERT,
        "2026-11-02T10:00:00.000000Z",
        true,
        Some("faq-extra-1"),
    ));
    sql.push_str(&feedback_sql(
        "f0000000-0000-4000-a000-000000000002",
        "c0000000-0000-4000-a000-000000000002",
        FORMULA_EXPERT,
        "2026-11-03T10:00:00.000000Z",
        true,
        None,
    ));
    sql.push_str(&feedback_sql(
        "f0000000-0000-4000-a000-000000000003",
        "c0000000-0000-4000-a000-000000000003",
        PLUS_EXPERT,
        "2026-11-04T10:00:00.000000Z",
        false,
        None,
    ));
    db.exec(&sql);
}

/// A migrated database of `backend` holding the fixture.
fn fixture(backend: Backend) -> TestDb {
    let db = TestDb::migrated(backend);
    load_fixture(&db);
    db
}

/// "Now" of the pinned runs: the fixture's last week (2027-W01) has not ended yet.
const NOW: &str = "2027-01-06T12:00:00Z";

/// Runs `faqlink --database-url URL report ARGS…` at [`NOW`]; asserts success and a quiet
/// stderr.
fn report(db: &TestDb, args: &[&str]) -> Vec<u8> {
    let out = faqlink()
        .env("FAQLINK_NOW", NOW)
        .arg("--database-url")
        .arg(db.url())
        .arg("report")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "report {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "report {args:?} wrote to stderr: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn report_text(db: &TestDb, args: &[&str]) -> String {
    String::from_utf8(report(db, args)).expect("UTF-8 output")
}

/// Parses one CSV section (header first); every record must have at least the header's
/// width and the same width as the header.
fn parse_csv(text: &str, delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(true).from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().expect("a header row").iter().map(str::to_string).collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap_or_else(|e| panic!("bad CSV record ({e}) in:\n{text}")).iter().map(str::to_string).collect())
        .collect();
    for row in &rows {
        assert_eq!(row.len(), header.len(), "field count differs from the header {header:?}: {row:?}");
    }
    (header, rows)
}

fn assert_header(name: &str, header: &[String], fixed: &[&str], more_allowed: bool) {
    assert!(header.len() >= fixed.len(), "{name}: header {header:?} lacks columns of {fixed:?}");
    assert_eq!(&header[..fixed.len()], fixed, "{name}: fixed columns and their order");
    if !more_allowed {
        assert_eq!(header.len(), fixed.len(), "{name}: unexpected extra columns {header:?}");
    }
}

/// Splits `report all --format csv` into its sections (separated by an empty line,
/// each starting with a `# <report>` line), parses each and checks its name and header.
/// Returns (header, rows) per section.
fn sections(text: &str, delimiter: u8) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let line_break = "\r\n";
    let parts: Vec<&str> = text.split(&format!("{line_break}{line_break}")).collect();
    assert_eq!(parts.len(), SECTIONS.len(), "report all's CSV sections separated by one empty line:\n{text}");
    parts
        .iter()
        .zip(SECTIONS)
        .map(|(part, (name, fixed, more))| {
            let (first, part) = part.split_once(line_break).expect("a name line and a header");
            assert_eq!(first, format!("# {name}"), "each section starts with its name");
            let (header, rows) = parse_csv(part, delimiter);
            assert_header(name, &header, fixed, more);
            (header, rows)
        })
        .collect()
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// Checks what the fixture promises, so the snapshots keep covering the edge cases.
fn assert_fixture_has_edge_cases(secs: &[(Vec<String>, Vec<Vec<String>>)]) {
    let (eh, experts) = &secs[0];
    let reg = column(eh, "professional_registration_number");
    assert!(experts.iter().any(|r| r[reg].is_empty()), "an expert with a NULL registration number");
    assert!(experts.iter().any(|r| r[reg] == format!("'{FORMULA_REG}")), "the `=` expert, neutralised");
    let (oh, orphans) = &secs[2];
    let kind = column(oh, "kind");
    assert!(orphans.iter().any(|r| r[kind] == "orphaned"), "orphaned links");
    assert!(orphans.iter().any(|r| r[kind] == "dangling"), "dangling links");
    assert!(!secs[3].1.is_empty(), "duplicate FAQs");
    let (th, totals) = &secs[1];
    assert_eq!(totals.len(), 1);
    assert_ne!(totals[0][column(th, "orphaned_links")], "0");
    assert_ne!(totals[0][column(th, "dangling_links")], "0");
}

#[test]
fn fixture_covers_the_edge_cases() {
    let ds = data::generate(SEED);
    assert!(ds.experts.iter().any(|(_, reg)| reg.is_none()), "NULL registration numbers");
    assert!(ds.feedback.iter().any(|f| f.dangling), "dangling links");
    assert!(ds.feedback.iter().any(|f| f.kind == "correct" && f.success == Some(true) && f.faq.is_none()), "orphans");
    assert!(ds.feedback.iter().any(|f| f.ts.is_none()), "NULL timestamps");
    let db = fixture(Backend::Sqlite);
    let text = report_text(&db, &["all", "--format", "csv"]);
    assert_fixture_has_edge_cases(&sections(&text, b','));
}

#[test]
fn snapshots_of_every_format() {
    let db = fixture(Backend::Sqlite);
    let csv = report_text(&db, &["all", "--format", "csv"]);
    // CRLF is checked byte for byte elsewhere; the snapshot keeps plain line ends.
    insta::assert_snapshot!("report_all_csv", csv.replace("\r\n", "\n"));
    insta::assert_snapshot!("report_all_json", report_text(&db, &["all", "--format", "json"]));
    insta::assert_snapshot!("report_all_markdown", report_text(&db, &["all", "--format", "markdown"]));
    // faqlink() sets NO_COLOR and stdout is a pipe: plain, stable tables.
    let table = report_text(&db, &["all", "--format", "table"]);
    assert!(!table.contains('\u{1b}'), "no escape sequences when piped with NO_COLOR");
    assert_eq!(report_text(&db, &["all"]), table, "table is the default format");
    insta::assert_snapshot!("report_all_table", table);
    let weekly = report_text(&db, &["weekly", "--tz", "Europe/Rome", "--format", "csv"]);
    insta::assert_snapshot!("report_weekly_rome_csv", weekly.replace("\r\n", "\n"));
}

#[test]
fn default_csv_is_plain_rfc_4180() {
    let db = fixture(Backend::Sqlite);
    let bytes = report(&db, &["all", "--format", "csv"]);
    assert!(!bytes.starts_with("\u{feff}".as_bytes()), "no BOM by default");
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.ends_with("\r\n"));
    assert!(!text.replace("\r\n", "").contains('\n'), "every line ends with CRLF");
    assert!(!text.replace("\r\n", "").contains('\r'), "every line ends with CRLF");
    let secs = sections(&text, b',');
    assert_fixture_has_edge_cases(&secs);
    let mut decimals = 0;
    for (header, rows) in &secs {
        for name in ["faq_rate_pct", "conversion_rate_pct"] {
            if let Some(i) = header.iter().position(|h| h == name) {
                for r in rows.iter().filter(|r| !r[i].is_empty()) {
                    let (int, frac) = r[i].split_once('.').unwrap_or_else(|| panic!("{name} {:?} has a '.'", r[i]));
                    assert!(int.parse::<i64>().is_ok() && frac.len() == 2, "{name} {:?}", r[i]);
                    decimals += 1;
                }
            }
        }
    }
    assert!(decimals > 3, "percentages were checked");
    // NULL is an empty field, timestamps are RFC 3339 UTC.
    let (oh, orphans) = &secs[2];
    let (ts, faq, kind) = (column(oh, "feedback_timestamp"), column(oh, "generated_faq_id"), column(oh, "kind"));
    for r in orphans {
        assert!(r[ts].is_empty() || (r[ts].ends_with('Z') && r[ts].contains('T')), "timestamp {:?}", r[ts]);
        assert_eq!(r[faq].is_empty(), r[kind] == "orphaned", "generated_faq_id empty exactly for orphaned rows");
    }
    // Each single report is the same CSV as its section of `report all`.
    for (i, (name, _, _)) in SECTIONS.iter().enumerate() {
        let one = report_text(&db, &[name, "--format", "csv"]);
        let (header, rows) = parse_csv(&one, b',');
        assert_eq!((&header, &rows), (&secs[i].0, &secs[i].1), "report {name} equals its section of report all");
    }
}

#[test]
fn excel_csv_has_semicolons_one_bom_and_decimal_commas() {
    let db = fixture(Backend::Sqlite);
    let bytes = report(&db, &["all", "--excel"]);
    let bom = "\u{feff}".as_bytes();
    assert!(bytes.starts_with(bom), "BOM first");
    assert_eq!(bytes.windows(3).filter(|w| *w == bom).count(), 1, "exactly one BOM, not one per section");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let secs = sections(&text, b';');
    assert_fixture_has_edge_cases(&secs);
    let mut decimals = 0;
    for (header, rows) in &secs {
        for (i, name) in header.iter().enumerate() {
            if !NUMERIC.contains(&name.as_str()) {
                continue;
            }
            for r in rows {
                assert!(!r[i].contains('.'), "{name} {:?} uses a decimal comma", r[i]);
                if let Some((int, frac)) = r[i].split_once(',') {
                    assert!(int.parse::<i64>().is_ok() && frac.len() == 2, "{name} {:?}", r[i]);
                    decimals += 1;
                }
            }
        }
    }
    assert!(decimals > 3, "decimal commas were checked");
    // Same content as the plain CSV, only the dialect differs.
    let plain = sections(&report_text(&db, &["all", "--format", "csv"]), b',');
    for ((eh, erows), (ph, prows)) in secs.iter().zip(&plain) {
        assert_eq!(eh, ph);
        let dots: Vec<Vec<String>> = erows.iter().map(|r| r.iter().map(|f| f.replace(',', ".")).collect()).collect();
        let plain_dots: Vec<Vec<String>> =
            prows.iter().map(|r| r.iter().map(|f| f.replace(',', ".")).collect()).collect();
        assert_eq!(dots, plain_dots);
    }
    // `--excel` is the same as `--format csv --excel` and as the three options spelled out.
    assert_eq!(report(&db, &["all", "--format", "csv", "--excel"]), bytes);
    assert_eq!(report(&db, &["all", "--format", "csv", "--delimiter", ";", "--bom", "--decimal-comma"]), bytes);
}

#[test]
fn tab_delimiter_and_bom_alone() {
    let db = fixture(Backend::Sqlite);
    let plain = report_text(&db, &["all", "--format", "csv"]);
    let tabbed = report_text(&db, &["all", "--format", "csv", "--delimiter", "\\t"]);
    assert!(tabbed.lines().nth(1).unwrap().starts_with("expert_id\tprofessional_registration_number\t"));
    let (a, b) = (sections(&tabbed, b'\t'), sections(&plain, b','));
    assert_eq!(a, b, "the tab dialect carries the same fields");
    assert!(!tabbed.starts_with('\u{feff}'));

    let bom = report(&db, &["all", "--format", "csv", "--bom"]);
    let mut expected = "\u{feff}".as_bytes().to_vec();
    expected.extend_from_slice(plain.as_bytes());
    assert_eq!(bom, expected, "--bom alone adds the BOM and changes nothing else");
}

#[test]
fn formula_text_is_neutralised_numbers_are_not() {
    let db = TestDb::migrated(Backend::Sqlite);
    let regs = ["=SUM(A1)", "+39", "-ODCEC", "@CDL", "\tTAB", "\rCR", "plain", "'quoted", "a=b"];
    let mut sql = String::new();
    for (i, reg) in regs.iter().enumerate() {
        let expert = format!("e0000000-0000-4000-a000-{:012}", i + 1);
        let email = format!("n{i}@example.it");
        sql.push_str(&ExpertRow { user: i + 1, email, id: expert.clone(), registration: Some(reg.to_string()) }.sql());
        // An orphaned link in week i: the expert shows in experts and orphans.
        sql.push_str(&feedback_sql(
            &format!("f0000000-0000-4000-a000-{:012}", i + 1),
            &format!("c0000000-0000-4000-a000-{:012}", i + 1),
            &expert,
            &format!("2026-11-{:02}T10:00:00.000000Z", 2 + 7 * (i % 4)),
            true,
            None,
        ));
    }
    db.exec(&sql);
    let want = |reg: &str| match reg.as_bytes()[0] {
        b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' => format!("'{reg}"),
        _ => reg.to_string(),
    };
    for name in ["experts", "orphans"] {
        let (header, rows) = parse_csv(&report_text(&db, &[name, "--format", "csv"]), b',');
        let (id, reg) = (column(&header, "expert_id"), column(&header, "professional_registration_number"));
        assert_eq!(rows.len(), regs.len(), "{name}");
        for r in &rows {
            let i: usize = r[id].rsplit('-').next().unwrap().parse().unwrap();
            assert_eq!(r[reg], want(regs[i - 1]), "{name}: registration of expert {i}");
        }
    }
    // The formula text in JSON stays as it is (neutralising is a CSV matter).
    let json: Value = serde_json::from_str(&report_text(&db, &["experts", "--format", "json"])).unwrap();
    assert!(json["experts"].as_array().unwrap().iter().any(|r| r["professional_registration_number"] == "=SUM(A1)"));

    // Numbers, negative week-over-week changes included, are never prefixed.
    let fixture = fixture(Backend::Sqlite);
    let (header, rows) = parse_csv(&report_text(&fixture, &["weekly", "--format", "csv"]), b',');
    assert_header("weekly", &header, WEEKLY, true);
    let mut negative = 0;
    for (i, name) in header.iter().enumerate() {
        assert!(
            NUMERIC.contains(&name.as_str()) || i < 2 || name == "complete" || name == "status",
            "weekly column {name} is numeric"
        );
        for r in &rows {
            assert!(!r[i].starts_with('\''), "weekly {name} {:?} was neutralised", r[i]);
            if r[i].starts_with('-') {
                assert!(r[i][1..].replace('.', "").parse::<u64>().is_ok(), "{name} {:?}", r[i]);
                negative += 1;
            }
        }
    }
    assert!(negative > 0, "the weekly report has negative changes to check");
}

#[test]
fn json_types_nulls_and_section_order() {
    let db = fixture(Backend::Sqlite);
    let text = report_text(&db, &["all", "--format", "json"]);
    let all: Value = serde_json::from_str(&text).expect("valid JSON");
    let obj = all.as_object().expect("report all is an object");
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "window",
            "generated_at",
            "faqlink_version",
            "backend",
            "previous_period",
            "experts",
            "totals",
            "orphans",
            "duplicates",
            "weekly"
        ]
    );
    assert_eq!(obj["window"], serde_json::json!({"since": null, "until": null, "tz": "UTC", "iso_week": null}));
    assert_eq!(obj["generated_at"], NOW);
    assert_eq!(obj["faqlink_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(obj["backend"], "sqlite");
    assert!(obj["previous_period"].is_null(), "no previous period for all history");

    let totals = obj["totals"].as_object().expect("totals is an object");
    assert_eq!(totals.keys().map(String::as_str).collect::<Vec<_>>(), TOTALS);
    for name in &TOTALS[..10] {
        assert!(totals[*name].is_u64(), "totals.{name} = {} is an integer", totals[*name]);
    }
    assert!(totals["conversion_rate_pct"].is_f64(), "a percentage is a number");

    let experts = obj["experts"].as_array().expect("experts is an array");
    assert!(!experts.is_empty());
    for e in experts {
        let e = e.as_object().unwrap();
        assert_eq!(e.keys().map(String::as_str).collect::<Vec<_>>(), EXPERTS);
        assert!(e["expert_id"].is_string());
        assert!(e["professional_registration_number"].is_string() || e["professional_registration_number"].is_null());
        assert!(e["total_feedback"].is_u64() && e["faqs_generated"].is_u64());
        assert!(e["faq_rate_pct"].is_number());
    }
    assert!(experts.iter().any(|e| e["professional_registration_number"].is_null()), "NULL is null");
    assert!(experts.iter().any(|e| e["professional_registration_number"] == FORMULA_REG), "JSON text is verbatim");

    let orphans = obj["orphans"].as_array().unwrap();
    assert!(orphans.iter().any(|o| o["kind"] == "orphaned" && o["generated_faq_id"].is_null()));
    assert!(orphans.iter().any(|o| o["kind"] == "dangling" && o["generated_faq_id"].is_string()));
    for o in orphans {
        let ts = &o["feedback_timestamp"];
        assert!(ts.is_null() || ts.as_str().is_some_and(|t| t.ends_with('Z')), "timestamp {ts}");
    }
    for d in obj["duplicates"].as_array().unwrap() {
        assert!(d["faqs_generated"].as_u64().is_some_and(|n| n > 1));
        assert!(d["feedback_ids"].is_string() && d["faq_ids"].is_string());
    }
    let weekly = obj["weekly"].as_array().unwrap();
    assert!(weekly.len() > 5);
    assert!(weekly[0]["feedback_total"].is_u64());
    assert!(weekly.iter().any(|w| w["conversion_rate_pct"].is_null()), "a week without correct feedback: null rate");
    assert!(weekly.iter().any(|w| w["feedback_total_change"].as_i64().is_some_and(|n| n < 0)));

    // The same numbers as the CSV, e.g. totals.
    let csv = sections(&report_text(&db, &["all", "--format", "csv"]), b',');
    for (i, name) in TOTALS.iter().enumerate() {
        let field = &csv[1].1[0][i];
        let json = &totals[*name];
        assert_eq!(field.parse::<f64>().unwrap(), json.as_f64().unwrap(), "totals.{name}");
    }

    // A single report: the same envelope with one key (an array of rows, an object for
    // totals); only the totals carry the previous period.
    let one: Value = serde_json::from_str(&report_text(&db, &["orphans", "--format", "json"])).unwrap();
    let keys: Vec<&str> = one.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["window", "generated_at", "faqlink_version", "backend", "orphans"]);
    assert_eq!(&one["orphans"], &obj["orphans"]);
    let one: Value = serde_json::from_str(&report_text(&db, &["totals", "--format", "json"])).unwrap();
    assert_eq!(&one["totals"], &obj["totals"]);
    assert!(one["previous_period"].is_null());
}

/// A one-week window: the JSON names the ISO week and carries the week before with its
/// totals, which equal `report totals` run on that week; the weekly row says whether the
/// week is complete.
#[test]
fn json_of_a_week_has_its_period_and_the_previous_week() {
    let db = fixture(Backend::Sqlite);
    let run = |week: &str| -> Value {
        let args = ["all", "--format", "json", "--week", week, "--tz", "Europe/Rome"];
        serde_json::from_str(&report_text(&db, &args)).unwrap()
    };
    let week = run("2026-W45");
    assert_eq!(
        week["window"],
        serde_json::json!({
            "since": "2026-11-01T23:00:00Z", "until": "2026-11-08T23:00:00Z", "tz": "Europe/Rome", "iso_week": "2026-W45"
        })
    );
    let previous = &week["previous_period"];
    assert_eq!(
        previous["window"],
        serde_json::json!({
            "since": "2026-10-25T23:00:00Z", "until": "2026-11-01T23:00:00Z", "tz": "Europe/Rome", "iso_week": "2026-W44"
        })
    );
    assert_eq!(previous["totals"], run("2026-W44")["totals"], "the previous week's totals are its own report's");
    let weekly = week["weekly"].as_array().unwrap();
    assert_eq!(weekly.len(), 1);
    assert_eq!(weekly[0]["iso_week"], "2026-W45");
    assert_eq!(weekly[0]["complete"], true, "a whole week that ended before now");
    // The week of NOW has not ended: partial, and its changes are null.
    let current = run("2027-W01");
    let w = &current["weekly"][0];
    assert_eq!(w["complete"], false);
    assert!(w["feedback_total_change"].is_null() && w["conversion_rate_change_pts"].is_null());
    // A window that is not a week: the previous period is as long and ends where it starts.
    let days: Value = serde_json::from_str(&report_text(
        &db,
        &["totals", "--format", "json", "--since", "2026-11-10T06:00:00Z", "--until", "2026-11-13T06:00:00Z"],
    ))
    .unwrap();
    assert_eq!(days["window"]["iso_week"], Value::Null);
    assert_eq!(
        days["previous_period"]["window"],
        serde_json::json!({"since": "2026-11-07T06:00:00Z", "until": "2026-11-10T06:00:00Z", "tz": "UTC", "iso_week": null})
    );
}

#[test]
fn output_file_is_written_atomically() {
    let db = fixture(Backend::Sqlite);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("report.csv");
    let stdout = report(&db, &["all", "--format", "csv"]);
    let written = report(&db, &["all", "--format", "csv", "--output", file.to_str().unwrap()]);
    assert!(written.is_empty(), "with --output nothing goes to stdout");
    assert_eq!(std::fs::read(&file).unwrap(), stdout, "the file holds what stdout would");
    assert_eq!(listing(out.path()), BTreeSet::from(["report.csv".to_string()]));
    // Replacing an existing file works too (another format, into a file its name allows).
    let file = file.with_extension("out");
    std::fs::write(&file, "old\n").unwrap();
    report(&db, &["all", "--format", "json", "--output", file.to_str().unwrap()]);
    assert!(serde_json::from_slice::<Value>(&std::fs::read(&file).unwrap()).is_ok());

    // A run that fails leaves the old file untouched and no temporary file behind: once at
    // the first query (no expert_feedback), once after the experts section was written (no
    // faq_entries for totals).
    for (table, what) in [("faq_entries", "totals"), ("expert_feedback", "experts")] {
        let broken = fixture(Backend::Sqlite);
        broken.exec(&format!("DROP TABLE {table}"));
        std::fs::write(&file, "old content\n").unwrap();
        for format in ["csv", "json", "markdown", "table"] {
            let res = faqlink()
                .arg("--database-url")
                .arg(broken.url())
                .args(["report", "all", "--format", format, "--output"])
                .arg(&file)
                .output()
                .unwrap();
            assert_eq!(res.status.code(), Some(1), "{format} without {table}");
            assert!(res.stdout.is_empty());
            let err = String::from_utf8(res.stderr).unwrap();
            assert!(err.starts_with("faqlink: error: ") && err.lines().count() == 1, "{err}");
            assert!(err.contains(what) && err.contains(table), "{err}");
            assert_eq!(std::fs::read_to_string(&file).unwrap(), "old content\n", "{format} without {table}");
            assert_eq!(
                listing(out.path()),
                BTreeSet::from(["report.csv".to_string(), "report.out".to_string()]),
                "no temporary file left"
            );
        }
    }
}

#[test]
fn output_dir_writes_one_csv_per_report() {
    let db = fixture(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let stdout = report(&db, &["all", "--format", "csv", "--output-dir", dir.path().to_str().unwrap()]);
    assert!(stdout.is_empty());
    let names: Vec<String> = SECTIONS.iter().map(|(n, _, _)| format!("{n}.csv")).collect();
    assert_eq!(listing(dir.path()), names.iter().cloned().collect::<BTreeSet<_>>());
    let all = sections(&report_text(&db, &["all", "--format", "csv"]), b',');
    for ((name, fixed, more), section) in SECTIONS.iter().zip(&all) {
        let text = std::fs::read_to_string(dir.path().join(format!("{name}.csv"))).unwrap();
        assert!(text.ends_with("\r\n") && !text.ends_with("\r\n\r\n"), "{name}.csv ends with one line break");
        let (header, rows) = parse_csv(&text, b',');
        assert_header(name, &header, fixed, *more);
        assert_eq!(&(header, rows), section, "{name}.csv equals its section of report all");
    }
    // The Excel dialect per file: each file starts with its own BOM.
    let excel = tempfile::tempdir().unwrap();
    report(&db, &["all", "--excel", "--output-dir", excel.path().to_str().unwrap()]);
    for name in &names {
        let bytes = std::fs::read(excel.path().join(name)).unwrap();
        assert!(bytes.starts_with("\u{feff}".as_bytes()), "{name}");
        let (header, _) = parse_csv(std::str::from_utf8(&bytes[3..]).unwrap(), b';');
        assert!(!header.is_empty(), "{name}");
    }
}

#[test]
fn postgres_csv_is_byte_identical_to_sqlite() {
    if skip_pg() {
        eprintln!("FAQLINK_TEST_SKIP_PG=1: skipping the PostgreSQL comparison");
        return;
    }
    let lite = fixture(Backend::Sqlite);
    let pg = fixture(Backend::Postgres);
    for args in [
        &["all", "--format", "csv"][..],
        &["weekly", "--tz", "Europe/Rome", "--format", "csv"][..],
        &["all", "--excel"][..],
    ] {
        let (a, b) = (report(&lite, args), report(&pg, args));
        assert!(a.len() > 500, "{args:?}: {} bytes", a.len());
        assert!(
            a == b,
            "{args:?} differs:\n--- SQLite\n{}\n--- PostgreSQL\n{}",
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b)
        );
    }
}

/// `report all` of the fixture at [`NOW`], as the table renders it at `width`.
fn table_at(db: &TestDb, width: Option<u16>) -> String {
    use faqlink::output::{document::RunInfo, table};
    use faqlink::reports::Window;
    let window = Window::all(chrono_tz::UTC);
    let now = NOW.parse().unwrap();
    let run = Collect::run_at(&mut db.open_read_only(), &faqlink::reports::ReportKind::bundle(&window), &window, now);
    table::render(&RunInfo::new(window, now, Backend::Sqlite), &run.sections, width, false)
}

/// At 80 and 120 columns every line fits, and no value is split: each date, number and
/// short id of the narrow table is on one line, whole. Without a width (or a width of 0)
/// nothing wraps and the table is what the piped command prints.
#[test]
fn tables_fit_80_and_120_columns() {
    let db = fixture(Backend::Sqlite);
    // The fixture's two extra experts have ids that differ only in their last digit, so
    // their short ids are the whole 36 characters; at 80 columns the orphans table cannot
    // hold one beside a timestamp, a kind and a FAQ id, and is printed wider instead of
    // splitting the id. Every other table fits.
    let long_id = "e0000000-0000-4000-a000-000000000001";
    for width in [80u16, 120] {
        let text = table_at(&db, Some(width));
        for block in text.split("\n\n") {
            if width == 80 && block.starts_with("Orphaned") {
                assert!(block.lines().any(|l| l.contains(long_id)), "the long id is whole:\n{block}");
                continue;
            }
            for line in block.lines() {
                assert!(line.chars().count() <= usize::from(width), "wider than {width}: {line:?}\n{text}");
            }
        }
        insta::assert_snapshot!(format!("report_all_table_{width}"), text);
    }
    let narrow = table_at(&db, Some(80));
    // No cell of a row line ends or starts inside a value (the snapshots pin the rest).
    let cells = |line: &str| -> Vec<String> { line.split(['│', '┆']).map(|c| c.trim().to_string()).collect() };
    let mut checked = 0;
    for line in narrow.lines().filter(|l| l.starts_with('│')) {
        for cell in cells(line) {
            // A date or id cut at a dash, or a decimal cut before its point.
            let looks_split = (cell.ends_with('-') && cell.len() > 1) || cell.starts_with('.');
            assert!(!looks_split, "split value {cell:?} in {line:?}");
            checked += 1;
        }
    }
    assert!(checked > 100);
    for d in ["2026-W42*", "2027-W01*", "2026-W45", "0706729", "1b16f76", "e0000000-0000-4000-a000-000000000001"] {
        assert!(narrow.contains(d), "{d} shown whole at 80 columns:\n{narrow}");
    }
    assert!(narrow.contains("* partial week"), "the partial-week footnote");
    assert!(!narrow.contains("1b16f76b-c1ca"), "ids are shortened in the table");
    let piped = report_text(&db, &["all"]);
    assert_eq!(table_at(&db, None), piped, "no width: the piped table");
    assert_eq!(table_at(&db, Some(0)), piped, "a width of 0 means no wrapping");
}

/// A terminal that reports 0×0 (`script` with no terminal of its own) gets the unwrapped
/// table, not one-character columns.
#[test]
fn a_terminal_of_unknown_size_gets_unwrapped_tables() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        panic!("util-linux `script` is needed for this test (scripts/test.sh installs it)");
    }
    let db = fixture(Backend::Sqlite);
    let command = format!("{} --database-url {} report totals", faqlink_bin().display(), db.url());
    let out = clean_env(&mut std::process::Command::new("script"))
        .args(["-qc", &command, "/dev/null"])
        .env("FAQLINK_NOW", NOW)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n");
    assert_eq!(text, report_text(&db, &["totals"]), "the same table as piped");
}

/// Runs `faqlink --database-url URL report ARGS…` expecting failure with `code`; returns
/// the one stderr line.
fn report_fails(db: &TestDb, args: &[&str], code: i32) -> String {
    let out = faqlink().arg("--database-url").arg(db.url()).arg("report").args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(code), "report {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "report {args:?} wrote to stdout");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("faqlink: error: ") && err.lines().count() == 1, "one line: {err}");
    err
}

/// CSV options with a whole-document format, `--output-dir` with a streaming format other
/// than CSV, and a folder that is a file: one line, the documented exit code, nothing written.
#[test]
fn document_formats_refuse_bad_options() {
    let db = fixture(Backend::Sqlite);
    for format in ["html", "xlsx", "openmetrics"] {
        for extra in [&["--delimiter", ";"][..], &["--bom"], &["--decimal-comma"]] {
            let mut args = vec!["all", "--format", format, "--output", "/nonexistent/x"];
            args.extend_from_slice(extra);
            assert!(report_fails(&db, &args, 2).contains("apply to CSV"), "{args:?}");
        }
        let err = report_fails(&db, &["all", "--excel", "--format", format], 2);
        assert!(err.contains(&format!("--format {format}")), "{err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for format in ["json", "markdown", "table"] {
        assert!(report_fails(&db, &["all", "--format", format, "--output-dir", d], 2).contains("--output-dir"));
    }
    assert!(listing(dir.path()).is_empty());
    // A folder that is a file: a runtime error naming it; the file is untouched.
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "keep\n").unwrap();
    for format in ["html", "xlsx", "openmetrics"] {
        let err = report_fails(&db, &["all", "--format", format, "--output-dir", file.to_str().unwrap()], 1);
        assert!(err.contains("not-a-folder"), "{err}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep\n");
    }
    assert_eq!(listing(dir.path()), BTreeSet::from(["not-a-folder".to_string()]));
}

/// `--output-dir` with a whole-document format writes its one file (created folder
/// included) and nothing else; a failed render leaves no file behind.
#[test]
fn document_formats_write_one_file_into_the_folder() {
    let db = fixture(Backend::Sqlite);
    for (format, name) in
        [("html", "faqlink-report.html"), ("xlsx", "faqlink-report.xlsx"), ("openmetrics", "faqlink.prom")]
    {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("new").join("reports");
        let out = faqlink()
            .env("FAQLINK_NOW", NOW)
            .arg("--database-url")
            .arg(db.url())
            .args(["report", "all", "--format", format, "--output-dir"])
            .arg(&target)
            .output()
            .unwrap();
        assert!(target.is_dir(), "{format}: the folder is created");
        let files = listing(&target);
        if out.status.success() {
            assert_eq!(files, BTreeSet::from([name.to_string()]), "{format}");
        } else {
            // This branch's placeholder renderers fail: nothing half-written.
            assert_eq!(out.status.code(), Some(1));
            assert!(files.is_empty(), "{format}: {files:?}");
        }
    }
}

/// XLSX is binary: refused before any I/O when standard output is a terminal.
#[test]
fn xlsx_is_not_written_to_a_terminal() {
    let db = fixture(Backend::Sqlite);
    let command =
        format!("{} --database-url {} report all --format xlsx; echo \"exit=$?\"", faqlink_bin().display(), db.url());
    let out = clean_env(&mut std::process::Command::new("script"))
        .args(["-qc", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("util-linux `script`");
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "one error line, then the exit code: {text:?}");
    assert!(lines[0].starts_with("faqlink: error: --format xlsx writes a binary workbook"), "{text}");
    assert_eq!(lines[1], "exit=2");
}

/// `demo` prints the tables and writes the HTML page and the workbook beside faqlink.db,
/// saying where; a file it cannot render is a warning, never a half-written file.
#[test]
fn demo_writes_the_html_and_xlsx_files_beside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = faqlink().current_dir(dir.path()).env("FAQLINK_NOW", NOW).arg("demo").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("Period: all history\n"), "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let mut expected = BTreeSet::from(["faqlink.db".to_string()]);
    for name in ["faqlink-report.html", "faqlink-report.xlsx"] {
        let wrote = format!("faqlink demo: wrote {name}");
        if stderr.contains(&wrote) {
            assert!(std::fs::metadata(dir.path().join(name)).unwrap().len() > 0, "{name}");
            expected.insert(name.to_string());
        } else {
            // This branch's placeholder renderers: a warning naming the file.
            assert!(stderr.contains(&format!("faqlink demo: warning: {name} not written")), "{stderr}");
        }
    }
    let files: BTreeSet<String> = listing(dir.path()).into_iter().filter(|n| !n.starts_with("faqlink.db-")).collect();
    assert_eq!(files, expected, "no temporary file left: {stderr}");
}
