//! Hostile cells: text from the database is untrusted on every human-facing output
//! (docs/RELIABILITY.md, guarantee 17).
//!
//! A table of hostile values (escape sequences that retitle or clear the terminal, BEL, NUL,
//! CR, backspace, the C1 `CSI`, DEL, bidi overrides and isolates, zero-width characters, an
//! HTML tag with `onerror`, Markdown links and images, pipes, backticks, emphasis, line
//! breaks) is stored as registration numbers, FAQ ids and, on SQLite, feedback, expert and
//! query ids, in a real database. Every output format is run over it: the human-facing ones
//! (decided by `FormatArg::for_humans`, so a new format is checked here as soon as it exists)
//! must show no control byte but the line break, no bidi control, and no tag or link made by
//! the data; the data formats must keep the exact text. The one-line errors that quote a
//! value get the same treatment, and a property test feeds random strings through the
//! escaping and the renderers.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::Path;

use clap::ValueEnum;
use faqlink::cli::FormatArg;
use faqlink::db::Backend;
use faqlink::output::document::{DocumentSink, RunInfo};
use faqlink::output::escape::{self, Visible};
use faqlink::output::html::Html;
use faqlink::output::markdown::MarkdownSink;
use faqlink::output::{table, Output};
use faqlink::reports::{duplicates, experts, orphans};
use faqlink::reports::{Cell, ReportKind, Row, Section, Sink, Window};
use proptest::prelude::*;

use crate::harness::{clean_env, faqlink, faqlink_bin, Collect, TestDb};

const NOW: &str = "2026-11-25T10:00:00Z";

/// Values a hostile (or unlucky) data entry can hold; each at most 50 characters, the size
/// of `professional_registration_number` on PostgreSQL.
const HOSTILE: &[&str] = &[
    "\u{1b}]0;pwned\u{7}",
    "\u{1b}]8;;http://evil.example\u{1b}\\link\u{1b}]8;;\u{1b}\\",
    "\u{1b}[2J\u{1b}[H\u{1b}[8mhidden\u{1b}[0m",
    "okay\rFORGED",
    "abc\u{8}\u{8}\u{8}xyz",
    "\u{9b}31mC1 csi\u{9c}",
    "del\u{7f}\u{85}nel",
    "ABC\u{202e}FED-123",
    "\u{2066}iso\u{2069} \u{202b}emb\u{202c} \u{200f}",
    "zero\u{200b}width\u{feff}\u{2028}sep",
    "nul\0byte",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "![x](http://evil.example/p.png)",
    "a|b|c",
    "`code` *em* _u_ ~~s~~",
    "line1\nline2\r\nline3",
    "tab\there &amp; \\ back",
];

/// A character no human-facing output may hold (the test's own list, not faqlink's): a C0
/// control but the line break, DEL, a C1 control, a bidi control.
fn forbidden(c: char) -> bool {
    (c < ' ' && c != '\n')
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `bytes` as UTF-8 text with no [`forbidden`] character.
fn assert_safe(what: &str, bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).unwrap_or_else(|e| panic!("{what}: not UTF-8: {e}"));
    if let Some((i, c)) = text.char_indices().find(|(_, c)| forbidden(*c)) {
        let around: String = text[i..].chars().take(60).collect();
        panic!("{what}: {c:?} at byte {i}: {around:?}");
    }
    text
}

/// An SQL literal both backends read as `s`; a NUL (SQLite only: PostgreSQL text cannot
/// hold one) is spliced in with `char(0)`.
fn literal(s: &str) -> String {
    s.split('\0').map(|p| format!("'{}'", p.replace('\'', "''"))).collect::<Vec<_>>().join(" || char(0) || ")
}

/// The hostile values `db` can store (PostgreSQL: no NUL).
fn storable(backend: Backend) -> Vec<&'static str> {
    HOSTILE.iter().copied().filter(|h| backend == Backend::Sqlite || !h.contains('\0')).collect()
}

/// Stores each hostile value as an expert's registration number (shown by `experts` and
/// `orphans`) and as a FAQ id linked twice from one query (shown by `duplicates`); on SQLite,
/// whose ids are text, also as the expert's id, the orphaned feedback's id and the query id.
fn load(db: &TestDb) -> Vec<&'static str> {
    let sqlite = db.backend() == Backend::Sqlite;
    let cells = storable(db.backend());
    let mut sql = String::new();
    for (i, h) in cells.iter().enumerate() {
        let n = i + 1;
        let id = |prefix: u32| if sqlite { literal(h) } else { format!("'{prefix}0000000-0000-4000-8000-{n:012}'") };
        let expert = id(0);
        sql.push_str(&format!(
            "INSERT INTO \"user\" (id, email) VALUES ({n}, 'u{n}@example.it');\n\
             INSERT INTO expert_profiles (id, user_id, professional_registration_number) VALUES ({expert}, {n}, {});\n\
             INSERT INTO faq_entries (id, question, answer) VALUES ({}, {0}, {0});\n\
             INSERT INTO faq_entries (id, question, answer) VALUES ('plain-{n}', 'q', 'a');\n",
            literal(h),
            literal(h),
        ));
        let row = |fid: String, query: String, faq: &str| {
            format!(
                "INSERT INTO expert_feedback (id, query_id, expert_id, feedback_type, query_text, original_answer, \
                 time_spent_seconds, feedback_timestamp, task_creation_attempted, task_creation_success, generated_faq_id) \
                 VALUES ({fid}, {query}, {expert}, 'correct', {q}, {q}, 1, '2026-11-23T09:15:00.000000Z', TRUE, TRUE, {faq});\n",
                q = literal(h),
            )
        };
        // An orphan: correct, created, no FAQ.
        sql.push_str(&row(id(1), format!("'20000000-0000-4000-8000-{n:012}'"), "NULL"));
        // A duplicate: one query, two FAQs, one of them the hostile id.
        let query = id(3);
        sql.push_str(&row(format!("'40000000-0000-4000-8000-{n:012}'"), query.clone(), &literal(h)));
        sql.push_str(&row(format!("'50000000-0000-4000-8000-{n:012}'"), query, &format!("'plain-{n}'")));
    }
    db.exec(&sql);
    cells
}

/// `faqlink report all --format NAME` (with `--output` for XLSX); the bytes it wrote.
fn report(db: &TestDb, format: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out");
    let mut cmd = faqlink();
    cmd.env("FAQLINK_NOW", NOW).args(["--database-url", &db.url(), "report", "all", "--format", format]);
    if format == "xlsx" {
        cmd.arg("--output").arg(&file);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
    if format == "xlsx" {
        std::fs::read(&file).unwrap()
    } else {
        out.stdout
    }
}

/// The tag names of `html`, in order (`<a`, `</a>` and `<br>` as `a`, `/a`, `br`).
fn tags(html: &str) -> Vec<String> {
    html.split('<')
        .skip(1)
        .map(|t| t.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '!').collect())
        .collect()
}

/// `text` with `&`, `<`, `>` and `"` escaped, as maud and pulldown-cmark write text.
fn html_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The HTML a CommonMark reader with GitHub's tables and strikethrough makes of `md`.
fn markdown_to_html(md: &str) -> String {
    use pulldown_cmark::{html, Options, Parser};
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH));
    out
}

/// The only tags a rendered faqlink Markdown report may contain: its own headings,
/// paragraphs, tables and line breaks.
const MARKDOWN_TAGS: [&str; 18] = [
    "h1", "/h1", "h2", "/h2", "p", "/p", "table", "/table", "thead", "/thead", "tbody", "/tbody", "tr", "/tr", "th",
    "/th", "td", "/td",
];

fn assert_markdown_makes_no_markup(what: &str, md: &str) {
    assert!(!md.replace("<br>", "").contains('<'), "{what}: a raw < from the data:\n{md}");
    assert!(!md.contains("]("), "{what}: a raw ]( from the data:\n{md}");
    let rendered = markdown_to_html(md);
    for tag in tags(&rendered) {
        assert!(
            MARKDOWN_TAGS.contains(&tag.as_str()) || tag == "br",
            "{what}: <{tag}> in the rendered Markdown:\n{rendered}"
        );
    }
}

/// Every format over the hostile cells: the human-facing ones show them escaped and make no
/// markup of them; the data formats keep them byte for byte.
fn every_format_over_hostile_cells(db: &TestDb) {
    let cells = load(db);
    let mut human = 0;
    for format in FormatArg::value_variants() {
        let name = format.to_possible_value().unwrap().get_name().to_string();
        let bytes = report(db, &name);
        if format.for_humans() {
            human += 1;
            let text = assert_safe(&name, &bytes);
            for h in &cells {
                let shown = Visible::text(h);
                match format {
                    FormatArg::Table if !h.contains('\n') => {
                        assert!(text.contains(shown.as_str()), "table: {h:?} shown as {shown}:\n{text}")
                    }
                    FormatArg::Markdown => {
                        assert!(text.contains(&escape::markdown(h)), "markdown: {h:?}:\n{text}");
                        // The reader sees the same visible text.
                        let rendered = markdown_to_html(&text);
                        if !h.contains('\n') {
                            assert!(
                                rendered.contains(&html_text(shown.as_str())),
                                "{h:?} read as {shown}:\n{rendered}"
                            );
                        }
                    }
                    FormatArg::Html => {
                        let isolated = format!("<bdi>{}</bdi>", html_text(shown.as_str()));
                        assert!(text.contains(&isolated), "html: {h:?} as {isolated}");
                    }
                    _ => {}
                }
            }
            match format {
                FormatArg::Markdown => assert_markdown_makes_no_markup("markdown", &text),
                FormatArg::Html => {
                    let made = tags(&text);
                    assert!(!made.iter().any(|t| t == "img" || t == "a" || t == "script"), "html: a tag from the data");
                }
                _ => {}
            }
            assert!(!text.contains("ABC321-DEF"));
        } else {
            // Data formats: the exact text, wherever the format puts it.
            let values: Vec<String> = match format {
                FormatArg::Csv => {
                    let mut r =
                        csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(bytes.as_slice());
                    r.records().flat_map(|r| r.unwrap().iter().map(String::from).collect::<Vec<_>>()).collect()
                }
                FormatArg::Json => {
                    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
                        match v {
                            serde_json::Value::String(s) => out.push(s.clone()),
                            serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
                            serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, out)),
                            _ => {}
                        }
                    }
                    let mut out = Vec::new();
                    strings(&serde_json::from_slice(&bytes).unwrap(), &mut out);
                    out
                }
                FormatArg::Xlsx => {
                    use calamine::{Reader, Xlsx};
                    let mut book: Xlsx<_> =
                        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).unwrap();
                    let mut out = Vec::new();
                    for sheet in book.sheet_names() {
                        let range = book.worksheet_range(&sheet).unwrap();
                        out.extend(range.cells().map(|(_, _, c)| c.to_string()));
                    }
                    out
                }
                FormatArg::OpenMetrics => {
                    // Label values, escaped as the exposition format requires.
                    let text = String::from_utf8(bytes.clone()).unwrap();
                    cells
                        .iter()
                        .filter(|h| text.contains(&format!("expert=\"{}\"", om_label(h))))
                        .map(|h| h.to_string())
                        .collect()
                }
                _ => unreachable!("every data format is read back above"),
            };
            for h in &cells {
                assert!(values.iter().any(|v| v.contains(h)), "{name}: {h:?} not kept exactly");
            }
        }
    }
    assert_eq!(human, 3, "table, markdown and html are for people");

    // The terminal table at 80 columns (the layout wraps and transposes).
    let window = Window::all(chrono_tz::UTC);
    let now = NOW.parse().unwrap();
    let run = Collect::run_at(&mut db.open_read_only(), &ReportKind::ALL, &window, now);
    for width in [Some(80), Some(40)] {
        let text = table::render(&RunInfo::new(window.clone(), now, db.backend()), &run.sections, width, false);
        assert_safe(&format!("table at {width:?}"), text.as_bytes());
        assert!(text.contains("ABC\\u{202e}FED-123"), "the bidi spoof shown escaped:\n{text}");
    }
}

/// A label value as OpenMetrics writes it.
fn om_label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[test]
fn hostile_cells_in_sqlite_are_shown_escaped_by_every_human_format() {
    every_format_over_hostile_cells(&TestDb::migrated(Backend::Sqlite));
}

#[test]
fn hostile_cells_in_postgres_are_shown_escaped_by_every_human_format() {
    let Some(db) = TestDb::pg_migrated_or_skip() else { return };
    every_format_over_hostile_cells(&db);
}

/// One-line errors that quote a value (an option value, a path, a zone name, `--format`
/// through clap, `FAQLINK_NOW`) show it escaped: one line, no control or bidi character.
#[test]
fn errors_quoting_hostile_values_stay_one_safe_line() {
    let db = TestDb::migrated(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let mut runs = 0;
    for h in HOSTILE.iter().filter(|h| !h.contains('\0')) {
        let url = db.url();
        let missing: OsString = dir.path().join(format!("{h}.db")).into();
        let output: OsString = dir.path().join(h).join("x.csv").into();
        let cases: Vec<(Vec<OsString>, Option<&str>)> = vec![
            (args(&["--database-url", &url, "report", "totals", "--tz", h]), None),
            (args(&["--database-url", &url, "report", "totals", "--week", h]), None),
            (args(&["--database-url", &url, "report", "totals", "--since", h]), None),
            (args(&["--database-url", &url, "report", "totals", "--format", h]), None),
            (args(&["--database-url", &url, "report", "totals", "--format", "csv", "--delimiter", h]), None),
            (
                args(&["--database-url", &url, "report", "totals", "--output"]).into_iter().chain([output]).collect(),
                None,
            ),
            (vec!["--database-url".into(), missing, "report".into(), "totals".into()], None),
            (args(&["--database-url", &url, "report", "totals"]), Some(h)),
        ];
        for (argv, now) in cases {
            let mut cmd = faqlink();
            cmd.args(&argv);
            if let Some(now) = now {
                cmd.env("FAQLINK_NOW", now);
            }
            let out = cmd.output().unwrap();
            let err = assert_safe(&format!("{argv:?}"), &out.stderr);
            assert!(matches!(out.status.code(), Some(1 | 2)), "{argv:?}: {:?} {err}", out.status);
            assert!(err.starts_with("faqlink: error: ") && err.ends_with('\n'), "{argv:?}: {err:?}");
            assert_eq!(err.lines().count(), 1, "{argv:?}: one line: {err:?}");
            assert!(out.stdout.is_empty(), "{argv:?}");
            runs += 1;
        }
    }
    assert_eq!(runs, 8 * (HOSTILE.len() - 1));
    eprintln!("{runs} hostile option values and paths, each one safe line");
}

fn args(a: &[&str]) -> Vec<OsString> {
    a.iter().map(OsString::from).collect()
}

/// On a real terminal (a pty by `script`), the table's bold headers are escape sequences:
/// they are there for `TERM=xterm-256color` and absent for `TERM=dumb` and with `NO_COLOR`.
#[test]
fn a_dumb_terminal_gets_no_escape_sequences() {
    let db = TestDb::migrated(Backend::Sqlite);
    load(&db);
    let run = |term: &str, no_color: bool| -> String {
        let command = format!("{} --database-url {} report experts", faqlink_bin().display(), db.url());
        let mut cmd = std::process::Command::new("script");
        clean_env(&mut cmd).args(["-qc", &command, "/dev/null"]).env("TERM", term).env("FAQLINK_NOW", NOW);
        if !no_color {
            cmd.env_remove("NO_COLOR");
        }
        let out = cmd.stdin(std::process::Stdio::null()).output().expect("util-linux `script`");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run("xterm-256color", false).contains("\u{1b}[1m"), "bold headers on a capable terminal");
    for (term, no_color) in [("dumb", false), ("xterm-256color", true), ("dumb", true)] {
        let text = run(term, no_color);
        assert!(!text.contains('\u{1b}'), "TERM={term} NO_COLOR={no_color}: {text:?}");
        // The pty turns line feeds into CRLF; nothing else may be a control.
        assert_safe(&format!("TERM={term}"), text.replace("\r\n", "\n").as_bytes());
        assert!(text.contains("ABC\\u{202e}FED-123"));
    }
}

/// Random strings of control, bidi, invisible and markup characters as the text cells of
/// three sections, through the terminal table (80 columns), Markdown and HTML.
#[test]
fn random_hostile_text_through_every_renderer() {
    // Each case commits two files (synced): on a tmpfs where there is one, for speed.
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.unwrap();
    let special = prop::sample::select(vec![
        '\0', '\u{7}', '\u{8}', '\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}', '\u{9c}', '\u{61c}',
        '\u{200b}', '\u{200d}', '\u{200e}', '\u{200f}', '\u{2028}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}',
        '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{feff}', '<', '>', '&', '[', ']', '(', ')', '!',
        '|', '`', '*', '_', '~', '\\', '"', ' ', ';', 'é', 'א',
    ]);
    let text =
        prop::collection::vec(prop_oneof![4 => special, 1 => any::<char>(), 2 => prop::char::range(' ', '~')], 0..30)
            .prop_map(|v| v.into_iter().collect::<String>());
    let rows = prop::collection::vec(prop::collection::vec(text, 6), 1..4);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let cases = std::cell::Cell::new(0);
    let plain_tags = std::cell::RefCell::new(std::collections::HashMap::new());
    runner
        .run(&rows, |rows| {
            cases.set(cases.get() + 1);
            let sections: Vec<(Section, Vec<Owned>)> = [experts::SECTION, orphans::SECTION, duplicates::SECTION]
                .into_iter()
                .map(|s| (s, rows.iter().map(|texts| row(&s, texts)).collect()))
                .collect();
            let window = Window::all(chrono_tz::UTC);
            let info = || RunInfo::new(window.clone(), NOW.parse().unwrap(), Backend::Sqlite);
            for width in [Some(80), None] {
                assert_safe("table", table::render(&info(), &cells(&sections), width, false).as_bytes());
            }
            let md = render(
                &dir.path().join("r.md"),
                MarkdownSink::new(Output::file(&dir.path().join("r.md")).unwrap(), info()),
                &sections,
            );
            assert_markdown_makes_no_markup("markdown", &assert_safe("markdown", &md));
            let page = |sections: &[(Section, Vec<Owned>)]| {
                let path = dir.path().join("r.html");
                render(&path, DocumentSink::new(Html, Output::file(&path).unwrap(), info()), sections)
            };
            let html = assert_safe("html", &page(&sections));
            // The data adds no tag: the page has the tags of as many rows of plain text.
            let benign = plain_tags.borrow().get(&rows.len()).cloned();
            let benign = benign.unwrap_or_else(|| {
                let plain: Vec<(Section, Vec<Owned>)> = sections
                    .iter()
                    .map(|(s, rows)| (*s, rows.iter().map(|_| row(s, &["x".to_string()])).collect()))
                    .collect();
                let tags = tags(&String::from_utf8(page(&plain)).unwrap());
                plain_tags.borrow_mut().insert(rows.len(), tags.clone());
                tags
            });
            prop_assert_eq!(tags(&html), benign);
            Ok(())
        })
        .unwrap();
    eprintln!("{} random cases through table, Markdown and HTML", cases.get());
    assert!(cases.get() >= 256);
}

/// A typed row of `section` (experts, orphans or duplicates) with `texts` in its text
/// fields (cycled) and small numbers elsewhere.
fn row(section: &Section, texts: &[String]) -> Owned {
    let mut t = texts.iter().cycle().cloned();
    let mut next = || t.next().unwrap_or_default();
    match section.kind {
        ReportKind::Experts => Owned::Expert(experts::ExpertRow {
            expert_id: next(),
            professional_registration_number: Some(next()),
            total_feedback: 3,
            faqs_generated: 2,
        }),
        ReportKind::Orphans => Owned::Orphan(orphans::OrphanRow {
            feedback_id: next(),
            expert_id: next(),
            professional_registration_number: Some(next()),
            feedback_timestamp: None,
            kind: next(),
            generated_faq_id: Some(next()),
        }),
        ReportKind::Duplicates => Owned::Duplicate(duplicates::DuplicateRow {
            query_id: next(),
            feedback_ids: BTreeSet::from([next()]),
            faq_ids: BTreeSet::from([next()]),
        }),
        other => unreachable!("{other:?} is not generated here"),
    }
}

/// A typed row this test owns.
#[derive(Debug, Clone)]
enum Owned {
    Expert(experts::ExpertRow),
    Orphan(orphans::OrphanRow),
    Duplicate(duplicates::DuplicateRow),
}

impl Owned {
    fn as_row(&self) -> Row<'_> {
        match self {
            Owned::Expert(r) => Row::Expert(r),
            Owned::Orphan(r) => Row::Orphan(r),
            Owned::Duplicate(r) => Row::Duplicate(r),
        }
    }
}

/// The sections as cells (the terminal table's input).
fn cells(sections: &[(Section, Vec<Owned>)]) -> Vec<(Section, Vec<Vec<Cell>>)> {
    sections.iter().map(|(s, rows)| (*s, rows.iter().map(|r| r.as_row().cells()).collect())).collect()
}

/// Runs `sink` over `sections` and reads back the file it committed at `path`.
fn render(path: &Path, sink: impl Sink + 'static, sections: &[(Section, Vec<Owned>)]) -> Vec<u8> {
    let rows: Vec<(Section, Vec<Row<'_>>)> =
        sections.iter().map(|(s, rows)| (*s, rows.iter().map(Owned::as_row).collect())).collect();
    faqlink::reports::write_sections(Box::new(sink), &rows).unwrap();
    std::fs::read(path).unwrap()
}

/// The set of characters the escaping shows escaped is what the module says, and the test's
/// own list of forbidden characters is inside it.
#[test]
fn every_forbidden_character_is_hidden() {
    let all: BTreeSet<char> = (0..=0x10ffff).filter_map(char::from_u32).filter(|c| forbidden(*c)).collect();
    assert!(all.len() > 60);
    for c in all {
        assert!(escape::is_hidden(c), "{c:?}");
    }
}

/// Text from the catalog is data too: a hostile Alembic revision in a production-shaped
/// PostgreSQL database reaches `check`'s table, `migrate status` and `migrate`'s refusal
/// escaped.
#[test]
fn catalog_text_in_check_and_migrate_is_shown_escaped() {
    let Some(db) = crate::check::production() else { return };
    let revision = "\u{1b}]0;pwned\u{7}\u{9b}2J\u{202e}zyx";
    db.exec(&format!("UPDATE alembic_version SET version_num = {}", literal(revision)));
    let shown = Visible::line(revision).into_string();
    for command in [&["check"][..], &["migrate", "status"], &["migrate"]] {
        let out = faqlink().args(command).args(["--database-url", &db.url()]).output().unwrap();
        let stdout = assert_safe(&format!("{command:?} stdout"), &out.stdout);
        let stderr = assert_safe(&format!("{command:?} stderr"), &out.stderr);
        assert!(stdout.contains(&shown) || stderr.contains(&shown), "{command:?}: {stdout}{stderr}");
    }
}
