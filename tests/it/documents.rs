//! The whole-document formats, checked by real clients: the HTML page in headless Chromium
//! (no request, charts with a box, headline numbers equal to the run's cells, a screenshot
//! that is not blank), the workbook read back by calamine (every cell equal and typed, text
//! starting with `=` kept as text), the metrics by `promtool check metrics`. Each runs the
//! real reports on a seeded database, on SQLite and on PostgreSQL.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;

use calamine::{open_workbook, Data, DataType, Reader};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use faqlink::commands::seed;
use faqlink::db::Backend;
use faqlink::output::document::{Document, DocumentFormat, DocumentSink, RunInfo};
use faqlink::output::html::Html;
use faqlink::output::openmetrics::{OpenMetrics, MAX_EXPERTS};
use faqlink::output::xlsx::{sheet_name, Xlsx};
use faqlink::output::{plain, Output};
use faqlink::reports::period::local_midnight;
use faqlink::reports::{self, Cell, Row, Sink};
use faqlink::reports::{ReportKind, Window};

use crate::harness::{on_both, TestDb};

/// Renders with the wrapped format and keeps a copy of the document it was given.
struct Capture<F> {
    format: F,
    doc: Rc<RefCell<Option<Document>>>,
}

impl<F: DocumentFormat> DocumentFormat for Capture<F> {
    fn row_limit(&self, kind: ReportKind) -> Option<usize> {
        self.format.row_limit(kind)
    }
    fn wants_previous_totals(&self) -> bool {
        self.format.wants_previous_totals()
    }
    fn render(&self, doc: &Document, out: &mut Output) -> faqlink::error::Result<()> {
        *self.doc.borrow_mut() = Some(doc.clone());
        self.format.render(doc, out)
    }
}

fn rome() -> chrono_tz::Tz {
    chrono_tz::Europe::Rome
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Seeds `db` (25 experts, so the metrics aggregate some; enough deleted FAQs for more than
/// 100 orphans), gives one active expert the registration number `=1+1` and another one
/// markup (`<b>x</b> & "y"`), which every format must keep as text.
fn seeded(db: &TestDb, plan: &seed::Plan) {
    let mut conn = db.open();
    seed::prepare(&mut conn, false).unwrap();
    seed::seed(&mut conn, plan, false).unwrap();
    drop(conn);
    db.exec(
        "UPDATE expert_profiles SET professional_registration_number = '=1+1' WHERE id = \
         (SELECT expert_id FROM expert_feedback WHERE feedback_type = 'correct' AND generated_faq_id IS NOT NULL \
          ORDER BY id LIMIT 1)",
    );
    db.exec(
        "UPDATE expert_profiles SET professional_registration_number = '<b>x</b> & \"y\"' WHERE id = \
         (SELECT expert_id FROM expert_feedback WHERE feedback_type = 'correct' AND generated_faq_id IS NOT NULL \
          AND expert_id <> (SELECT id FROM expert_profiles WHERE professional_registration_number = '=1+1') \
          ORDER BY id LIMIT 1)",
    );
}

fn test_plan() -> seed::Plan {
    seed::Plan {
        experts: 25,
        feedback: 4_000,
        seed: 7,
        weeks: 8,
        end: Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap(),
        correct_share: 0.6,
        attempted_share: 0.85,
        success_rate: 0.7,
        deleted_share: 0.2,
        duplicate_share: 0.05,
        null_timestamp_share: 0.0,
    }
}

/// Five full weeks and the current, unfinished one (Monday 2026-10-19 to Wednesday
/// 2026-11-25, Europe/Rome): the previous period of the same length is inside the data too.
fn test_window() -> Window {
    Window {
        since: Some(local_midnight(day(2026, 10, 19), rome())),
        until: Some(local_midnight(day(2026, 11, 25), rome())),
        tz: rome(),
    }
}

fn info(window: &Window, backend: Backend) -> RunInfo {
    RunInfo {
        window: window.clone(),
        generated_at: Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap(),
        version: env!("CARGO_PKG_VERSION"),
        backend: backend.into(),
        weekly_window: None,
    }
}

/// Runs every report into `format` at `path` and returns the document it rendered.
///
/// The run hands a format the previous period's totals once `reports::run` computes them
/// (the period line's branch); where it does not yet, they are computed here with the real
/// totals report on the previous period and the document is rendered again with them.
fn render<F: DocumentFormat + Clone + 'static>(db: &TestDb, format: F, window: &Window, path: &Path) -> Document {
    render_kinds(db, format, &ReportKind::ALL, window, path)
}

/// [`render`] of the reports `kinds`.
fn render_kinds<F: DocumentFormat + Clone + 'static>(
    db: &TestDb,
    format: F,
    kinds: &[ReportKind],
    window: &Window,
    path: &Path,
) -> Document {
    let doc = Rc::new(RefCell::new(None));
    let capture = Capture { format: format.clone(), doc: doc.clone() };
    let mut sink = DocumentSink::new(capture, Output::file(path).unwrap(), info(window, db.backend()));
    let mut conn = db.open_read_only();
    let (_, complete) = reports::run(&mut conn, kinds, window, &mut sink).unwrap();
    Box::new(sink).finish(complete).unwrap();
    let mut doc = doc.borrow_mut().take().expect("the format rendered");
    if doc.previous_totals.is_none() && format.wants_previous_totals() {
        if let Some(previous) = previous_period(window) {
            let scratch = tempfile::tempdir().unwrap();
            let before = Rc::new(RefCell::new(None));
            let capture = Capture { format: format.clone(), doc: before.clone() };
            let mut sink = DocumentSink::new(
                capture,
                Output::file(&scratch.path().join("x")).unwrap(),
                info(&previous, db.backend()),
            );
            let (_, complete) = reports::run(&mut conn, &[ReportKind::Totals], &previous, &mut sink).unwrap();
            Box::new(sink).finish(complete).unwrap();
            let before = before.borrow_mut().take().unwrap();
            doc.previous_totals = Some((previous, before.totals.expect("the previous period's totals")));
            let mut out = Output::file(path).unwrap();
            format.render(&doc, &mut out).unwrap();
            out.commit().unwrap();
        }
    }
    doc
}

/// The previous period of the same length: the ISO week before a one-week window, else
/// `since - (until - since)` to `since`.
fn previous_period(w: &Window) -> Option<Window> {
    let (since, until) = (w.since?, w.until?);
    let monday = since.with_timezone(&w.tz).date_naive();
    let start = if local_midnight(monday + Duration::days(7), w.tz) == until {
        local_midnight(monday - Duration::days(7), w.tz)
    } else {
        since - (until - since)
    };
    Some(Window { since: Some(start), until: Some(since), tz: w.tz })
}

/// The totals column `name` as the run's cells give it ([`Row::cells`] of the typed row).
fn total(doc: &Document, name: &str) -> Cell {
    let t = doc.table(ReportKind::Totals).expect("totals");
    t.rows[0][t.section.columns.iter().position(|c| c.name == name).unwrap()].clone()
}

// ---------------------------------------------------------------------------------------
// HTML in Chromium

/// Headless Chromium with a fresh profile and no background traffic; `args` add the task.
fn chromium(args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("chromium (scripts/test.sh installs Debian's chromium)");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// What the instrumented copy of the page measured in the browser.
#[derive(Debug, serde::Deserialize)]
struct Measured {
    /// getBBox width and height, and the laid-out width and height, of every chart's SVG.
    svgs: Vec<[f64; 4]>,
    /// Resources the page fetched (performance entries of type `resource`).
    resources: usize,
    /// `data-metric` name -> the element's text.
    metrics: BTreeMap<String, String>,
}

const PROBE: &str = r#"<script>
(() => {
  const m = {
    svgs: [...document.querySelectorAll('figure svg')].filter(s => getComputedStyle(s).display !== 'none').map(s => {
      const b = s.getBBox(), r = s.getBoundingClientRect();
      return [b.width, b.height, r.width, r.height];
    }),
    resources: performance.getEntriesByType('resource').length,
    metrics: Object.fromEntries([...document.querySelectorAll('[data-metric]')].map(e => [e.dataset.metric, e.textContent])),
  };
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(m);
  document.body.appendChild(pre);
})();
</script>"#;

/// Loads a copy of the page with [`PROBE`] appended and reads what it wrote into the DOM.
fn measure(page: &Path) -> Measured {
    let html = std::fs::read_to_string(page).unwrap();
    let probed = page.with_extension("probe.html");
    std::fs::write(&probed, html.replace("</body>", &format!("{PROBE}</body>"))).unwrap();
    let out = chromium(&["--dump-dom", &file_url(&probed)]);
    let dom = String::from_utf8(out.stdout).unwrap();
    let start = dom.find("<pre id=\"probe\">").expect("the probe ran") + "<pre id=\"probe\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end].replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// Decodes a PNG into RGBA-ish pixels and counts its distinct colours.
fn distinct_colours(png_path: &Path) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png_path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..frame.buffer_size()];
    let step = frame.color_type.samples();
    let colours: HashSet<&[u8]> = bytes.chunks(step).collect();
    (frame.width, frame.height, colours.len())
}

/// Static checks on the page text: nothing that could fetch or run.
fn assert_self_contained(html: &str) {
    for needle in ["<script", "<link", "src=", "href=", "url(", "@import", "<iframe", "<img"] {
        assert!(!html.contains(needle), "the page contains {needle:?}");
    }
    assert!(html.contains("@page"), "A4 print rules");
}

#[test]
fn html_in_chromium_on_both_backends() {
    on_both(|db| {
        seeded(db, &test_plan());
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("report.html");
        let window = test_window();
        let doc = render(db, Html, &window, &page);
        let html = std::fs::read_to_string(&page).unwrap();
        assert_self_contained(&html);
        assert!(doc.previous_totals.is_some(), "a bounded window brings the previous period");
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;") && !html.contains("<b>x"), "text is escaped");

        let m = measure(&page);
        assert_eq!(m.resources, 0, "the page fetched something");
        assert_eq!(m.svgs.len(), 2, "trend and funnel charts: {:?}", m.svgs);
        for b in &m.svgs {
            assert!(b.iter().all(|v| *v > 10.0), "an empty chart box: {b:?}");
        }
        let names = [
            "feedback_total",
            "correct_feedback",
            "conversion_rate_pct",
            "faqs_live",
            "orphaned_links",
            "dangling_links",
        ];
        let expected: BTreeMap<String, String> =
            names.iter().map(|n| (n.to_string(), plain(&total(&doc, n), '.').unwrap())).collect();
        assert_eq!(m.metrics, expected);
        assert!(matches!(total(&doc, "feedback_total"), Cell::Int(Some(n)) if n > 1000), "a real data set");

        // Partial weeks (complete = false, where the weekly report gives the flag) are marked.
        let weekly = doc.table(ReportKind::Weekly).unwrap();
        let partial = weekly.rows.iter().filter(|r| r.last() == Some(&Cell::Text(Some("partial".into())))).count();
        assert_eq!(html.matches("<tr class=\"partial\">").count(), partial);

        // The listings show 100 rows and count the rest.
        let orphans = doc.table(ReportKind::Orphans).unwrap();
        assert!(orphans.total_rows > 100, "the seed makes more than 100 orphans: {}", orphans.total_rows);
        assert_eq!(orphans.rows.len(), 100);
        assert!(html.contains(&format!("data-rest=\"{}\"", orphans.total_rows - 100)));

        let shot = dir.path().join("shot.png");
        chromium(&[&format!("--screenshot={}", shot.display()), "--window-size=1000,1800", &file_url(&page)]);
        let (w, h, colours) = distinct_colours(&shot);
        assert_eq!((w, h), (1000, 1800));
        assert!(colours > 50, "the screenshot is (almost) one colour: {colours} colours");
    });
}

#[test]
fn html_renders_any_subset_of_sections() {
    let db = TestDb::migrated(Backend::Sqlite);
    seeded(&db, &test_plan());
    let dir = tempfile::tempdir().unwrap();
    for kinds in [&[ReportKind::Totals][..], &[ReportKind::Weekly], &[]] {
        let path = dir.path().join("subset.html");
        let info = info(&test_window(), Backend::Sqlite);
        let mut sink = DocumentSink::new(Html, Output::file(&path).unwrap(), info);
        let (_, complete) = reports::run(&mut db.open_read_only(), kinds, &test_window(), &mut sink).unwrap();
        Box::new(sink).finish(complete).unwrap();
        let html = std::fs::read_to_string(&path).unwrap();
        assert_self_contained(&html);
        assert!(html.contains("2026-10-19 to 2026-11-24 (whole days) · Europe/Rome"), "the period is on every page");
        assert_eq!(html.contains("data-metric=\"feedback_total\""), kinds.contains(&ReportKind::Totals));
        assert_eq!(html.contains("Weekly trend"), kinds.contains(&ReportKind::Weekly));
    }
}

/// The README's screenshot: the demo data set's `report all --last-week --tz Europe/Rome` on
/// 2026-11-25, rendered by Chromium. With FAQLINK_WRITE_SCREENSHOT=1 it is also saved to
/// docs/weekly-report.png (and a PDF print beside the test's files is kept for a look).
#[test]
fn demo_report_screenshot() {
    let db = TestDb::migrated(Backend::Sqlite);
    let mut plan = faqlink::commands::demo::demo_plan().unwrap();
    plan.end = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
    let mut conn = db.open();
    seed::prepare(&mut conn, false).unwrap();
    seed::seed(&mut conn, &plan, false).unwrap();
    drop(conn);
    // The README's command for product managers, through the CLI.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("faqlink-report.html");
    crate::harness::faqlink()
        .env("FAQLINK_NOW", "2026-11-25T10:00:00Z")
        .args(["--database-url", &db.url(), "report", "all", "--week", "2026-W47", "--trend-weeks", "12"])
        .args(["--tz", "Europe/Rome", "--format", "html", "--output"])
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("2026-W47 · 2026-11-16 to 2026-11-22 (whole days) · Europe/Rome"));
    assert!(html.contains("Weeks shown: 2026-08-31 to 2026-11-22 (whole days) · Europe/Rome"));
    assert!(html.contains("Change against the previous period of the same length"));
    let shot = dir.path().join("weekly-report.png");
    chromium(&[&format!("--screenshot={}", shot.display()), "--window-size=1000,1500", &file_url(&page)]);
    let (_, _, colours) = distinct_colours(&shot);
    assert!(colours > 50, "blank screenshot");
    if std::env::var_os("FAQLINK_WRITE_SCREENSHOT").is_some_and(|v| v == "1") {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs");
        std::fs::copy(&shot, docs.join("weekly-report.png")).unwrap();
        std::fs::copy(&page, std::env::temp_dir().join("faqlink-demo-report.html")).unwrap();
    }
}

/// What [`LAYOUT_PROBE`] measured at one window width.
#[derive(Debug, serde::Deserialize)]
struct Layout {
    /// `window.innerWidth`: the viewport the page was laid out in.
    viewport: f64,
    /// `document.documentElement.scrollWidth`.
    scroll_width: f64,
    /// Chart text elements that render (in a displayed SVG).
    texts: usize,
    /// The smallest rendered chart text, in CSS px (its font size times the SVG's scale).
    min_font_px: f64,
    /// That text.
    min_text: String,
    /// Most lines any date or time cell takes, and any single-id cell.
    when_lines: usize,
    id_lines: usize,
    /// The expert table's registration cells.
    reg_cells: usize,
    /// The `data-section` of each table that scrolls inside its box (wider than the screen).
    scrolled: Vec<String>,
}

/// Measures the page in the frame `f` (its own viewport, `width` CSS px wide) once loaded.
const LAYOUT_PROBE: &str = r#"<script>
const f = document.getElementById('f');
f.onload = () => {
  const d = f.contentDocument, w = f.contentWindow;
  const shown = [...d.querySelectorAll('figure svg')].filter(s => w.getComputedStyle(s).display !== 'none');
  const texts = shown.flatMap(s => [...s.querySelectorAll('text')]).filter(t => t.textContent.trim() !== '');
  const px = t => parseFloat(w.getComputedStyle(t).fontSize) * Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b);
  let min = Infinity, minText = '';
  for (const t of texts) { const p = px(t); if (p < min) { min = p; minText = t.textContent.trim(); } }
  const lines = sel => Math.max(0, ...[...d.querySelectorAll(sel)].map(td => {
    const r = d.createRange(); r.selectNodeContents(td);
    return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size;
  }));
  const m = {
    viewport: w.innerWidth,
    scroll_width: d.documentElement.scrollWidth,
    texts: texts.length,
    min_font_px: min,
    min_text: minText,
    when_lines: lines('td.when'),
    id_lines: lines('td.id'),
    reg_cells: d.querySelectorAll('td.reg').length,
    scrolled: [...d.querySelectorAll('.scroll')].filter(s => s.scrollWidth > s.clientWidth + 1)
      .map(s => (s.querySelector('table') || {dataset: {}}).dataset.section || 'funnel'),
  };
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(m);
  document.body.appendChild(pre);
};
</script>"#;

/// A page showing `page` in a frame `width` CSS px wide (its own viewport, so its media
/// queries see that width: headless Chromium's window is at least 500 px wide).
fn framed(page: &Path, width: u32, probe: bool) -> PathBuf {
    let html = std::fs::read_to_string(page).unwrap().replace('&', "&amp;").replace('"', "&quot;");
    let framed = page.with_extension(format!("frame{width}{}.html", if probe { "probe" } else { "" }));
    let frame = format!(
        "<!DOCTYPE html><html><body style=\"margin:0\"><iframe id=\"f\" style=\"border:0;display:block;width:{width}px;height:2400px\" srcdoc=\"{html}\"></iframe>{}</body></html>",
        if probe { LAYOUT_PROBE } else { "" }
    );
    std::fs::write(&framed, frame).unwrap();
    framed
}

/// Lays the page out `width` CSS px wide and measures it with [`LAYOUT_PROBE`].
fn measure_layout(page: &Path, width: u32) -> Layout {
    let size = format!("--window-size={},900", width.max(500));
    let out = chromium(&[&size, "--dump-dom", &file_url(&framed(page, width, true))]);
    let dom = String::from_utf8(out.stdout).unwrap();
    let start = dom.find("<pre id=\"probe\">").expect("the probe ran") + "<pre id=\"probe\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    serde_json::from_str(&dom[start..end]).unwrap_or_else(|e| panic!("{e}: {}", &dom[start..end]))
}

/// The page on a phone (390 CSS px, an iPhone's width) and on a desktop (1280 px): it never
/// scrolls sideways (a wide table scrolls inside its own box), no chart text renders below
/// 10 CSS px, dates and ids keep to one line, and a registration number longer than the
/// screen does not widen the page. The data set has weeks before its first feedback, a
/// partial week, and an expert whose registration number is 90 characters without a space.
#[test]
fn html_fits_a_phone_and_a_desktop() {
    let db = TestDb::migrated(Backend::Sqlite);
    seeded(&db, &test_plan());
    let long = format!("ODCEC-MI-{}", "0123456789".repeat(8) + "X");
    db.exec(&format!(
        "UPDATE expert_profiles SET professional_registration_number = '{long}' WHERE id = \
         (SELECT expert_id FROM expert_feedback WHERE feedback_type = 'correct' ORDER BY id DESC LIMIT 1)"
    ));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("phone.html");
    // Twelve weeks of trend ending in the data's last week: four of them before the data.
    let window = Window {
        since: Some(local_midnight(day(2026, 9, 7), rome())),
        until: Some(local_midnight(day(2026, 11, 30), rome())),
        tz: rome(),
    };
    // `report all` over a bounded window: latency and moved too.
    let doc = render_kinds(&db, Html, &ReportKind::bundle(&window), &window, &page);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains(&long), "the long registration number is on the page");
    assert!(html.contains("data-section=\"moved\"") && html.contains("data-section=\"moved_summary\""));
    let weekly = doc.table(ReportKind::Weekly).unwrap();
    let status = |r: &Vec<Cell>| r.last().and_then(|c| plain(c, '.')).unwrap_or_default();
    assert!(weekly.rows.iter().filter(|r| status(r) == "no data yet").count() >= 3, "weeks before the data");
    assert!(weekly.rows.iter().any(|r| status(r) == "partial"), "a partial week");
    // 390: a phone; 360: a small one; 830: just above the narrow layout's limit; 1280.
    for width in [360, 390, 830, 1280] {
        let m = measure_layout(&page, width);
        assert_eq!(m.viewport, f64::from(width), "{m:?}");
        assert!(m.scroll_width <= m.viewport, "{width} px: the page scrolls sideways: {m:?}");
        assert!(m.texts > 20, "{width} px: the charts' text renders: {m:?}");
        assert!(m.min_font_px >= 10.0, "{width} px: {:?} renders at {:.1} CSS px: {m:?}", m.min_text, m.min_font_px);
        assert_eq!(m.when_lines, 1, "{width} px: a date or time is split: {m:?}");
        assert!(m.reg_cells > 0, "{m:?}");
        assert_eq!(m.id_lines, 1, "{width} px: an id takes more than one line: {m:?}");
        if width < 820 {
            // Only the weekly table scrolls in its box; the others are cards, wholly in view.
            assert!(m.scrolled.iter().all(|s| s == "weekly"), "{width} px: {m:?}");
        }
        if width >= 1280 {
            // The 90-character registration number wraps: the leaderboard fits a desktop.
            assert!(!m.scrolled.iter().any(|s| s == "experts"), "{width} px: {m:?}");
            // Moved (its headline a column of lines) and latency fit a desktop too.
            let later = ["moved_summary", "moved", "latency"];
            assert!(!m.scrolled.iter().any(|s| later.contains(&s.as_str())), "{width} px: {m:?}");
        }
        eprintln!(
            "{width} px: scrollWidth {} of {} px, smallest chart text {:.1} px ({:?})",
            m.scroll_width, m.viewport, m.min_font_px, m.min_text
        );
    }
    // The phone's screen: the page at 390 px, in a 500 px window (Chromium's narrowest).
    let shot = dir.path().join("phone.png");
    chromium(&[
        &format!("--screenshot={}", shot.display()),
        "--window-size=500,2400",
        &file_url(&framed(&page, 390, false)),
    ]);
    let (w, _, colours) = distinct_colours(&shot);
    assert_eq!(w, 500);
    assert!(colours > 50, "blank screenshot");
    if let Some(keep) = std::env::var_os("FAQLINK_KEEP_PHONE_SHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// XLSX read back by calamine

/// Asserts that a workbook cell holds `cell` with its type.
fn assert_cell(sheet: &str, at: (usize, usize), got: &Data, cell: &Cell, tz: chrono_tz::Tz) {
    let ok = match (cell, got) {
        (Cell::Text(Some(t)), Data::String(s)) => t == s,
        (Cell::Text(None) | Cell::Int(None) | Cell::Pct(None) | Cell::Timestamp(None), Data::Empty) => true,
        (Cell::Int(Some(n)), Data::Float(f)) => *n as f64 == *f,
        (Cell::Int(Some(n)), Data::Int(i)) => n == i,
        (Cell::Pct(Some(p)), Data::Float(f)) => p.as_f64() == *f,
        (Cell::Date(d), Data::DateTime(_)) => got.as_date() == Some(*d),
        (Cell::Timestamp(Some(t)), Data::DateTime(_)) => {
            // Written in the run's zone, which the column's header names.
            (got.as_datetime().unwrap() - t.with_timezone(&tz).naive_local()).num_milliseconds().abs() <= 1
        }
        (Cell::Bool(b), Data::Bool(g)) => b == g,
        _ => false,
    };
    assert!(ok, "{sheet} {at:?}: {got:?} is not {cell:?}");
}

/// Each section of `doc` read back from its sheet of `wb`: the human titles (a time column
/// naming the run's zone) and every cell. Whether the registration number `=1+1` reached a
/// sheet as text.
fn section_sheets_read_back<R: std::io::Read + std::io::Seek>(wb: &mut calamine::Xlsx<R>, doc: &Document) -> bool {
    let mut saw_formula_text = false;
    for c in &doc.tables() {
        let name = &*sheet_name(c.section.kind);
        let range = wb.worksheet_range(name).unwrap();
        assert_eq!(range.start(), Some((0, 0)), "{name}");
        let header: Vec<String> = (0..c.section.columns.len())
            .map(|j| range.get((0, j)).and_then(|d| d.get_string()).unwrap_or_default().to_string())
            .collect();
        // The human titles, as on the HTML page; a time column names the run's zone.
        let titles: Vec<String> = c.section.columns.iter().map(|c| c.title.replace("(UTC)", "(Europe/Rome)")).collect();
        assert_eq!(header, titles, "{name} header");
        assert!(!header.iter().any(|h| h.contains('_') || h.contains("(UTC)")), "{name}: {header:?}");
        assert_eq!(c.rows.len() as u64, c.total_rows, "{name}: every row fits a sheet");
        assert_eq!(range.height(), c.rows.len() + 1, "{name} rows");
        for (i, row) in c.rows.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                let got = range.get((i + 1, j)).unwrap_or(&Data::Empty);
                assert_cell(name, (i + 1, j), got, v, rome());
                saw_formula_text |= matches!(v, Cell::Text(Some(t)) if t == "=1+1");
            }
        }
        let formulas = wb.worksheet_formula(name).unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "{name} has a formula");
    }
    saw_formula_text
}

#[test]
fn xlsx_read_back_by_calamine_on_both_backends() {
    on_both(|db| {
        seeded(db, &test_plan());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.xlsx");
        let doc = render(db, Xlsx, &test_window(), &path);
        let mut wb: calamine::Xlsx<_> = open_workbook(&path).unwrap();
        assert_eq!(wb.sheet_names(), ["Summary", "Experts", "Totals", "Orphans", "Duplicates", "Weekly"]);
        let saw_formula_text = section_sheets_read_back(&mut wb, &doc);
        assert!(saw_formula_text, "the registration number =1+1 reached a sheet");
        // What moved conversion: the periods' bounds in the run's zone, under titles naming it.
        let moved_path = dir.path().join("moved.xlsx");
        let moved = render_kinds(db, Xlsx, &[ReportKind::Moved], &test_window(), &moved_path);
        let mut moved_wb: calamine::Xlsx<_> = open_workbook(&moved_path).unwrap();
        assert_eq!(moved_wb.sheet_names(), ["Summary", "Moved summary", "Moved"]);
        section_sheets_read_back(&mut moved_wb, &moved);
        let headline = moved_wb.worksheet_range("Moved summary").unwrap();
        let header: Vec<&str> = (0..4).map(|j| headline.get((0, j)).unwrap().get_string().unwrap()).collect();
        let zoned =
            ["Before: from", "Before: until", "After: from", "After: until"].map(|t| format!("{t} (Europe/Rome)"));
        assert_eq!(header, zoned);
        let after_from = headline.get((1, 2)).unwrap().as_datetime().unwrap();
        assert_eq!(after_from.to_string(), "2026-10-19 00:00:00", "the window starts at midnight in Rome");

        // The summary: period, headline numbers now and before.
        let summary = wb.worksheet_range("Summary").unwrap();
        let find = |label: &str| {
            summary.rows().find(|r| r.first().and_then(|d| d.get_string()) == Some(label)).map(|r| r.to_vec())
        };
        assert_eq!(
            find("Period").unwrap()[1],
            Data::String("2026-10-19 to 2026-11-24 (whole days) · Europe/Rome".into())
        );
        assert_eq!(find("Time zone").unwrap()[1], Data::String("Europe/Rome".into()));
        let feedback = find("Feedback").unwrap();
        assert_cell("Summary", (0, 1), &feedback[1], &total(&doc, "feedback_total"), rome());
        let previous = Row::Totals(&doc.previous_totals.as_ref().unwrap().1).cells();
        assert_cell("Summary", (0, 2), &feedback[2], &previous[0], rome());
        let conversion = find("Conversion %").unwrap();
        assert_cell("Summary", (0, 1), &conversion[1], &total(&doc, "conversion_rate_pct"), rome());
        let read = find("Data read at (Europe/Rome)").unwrap();
        assert_eq!(read[1].as_datetime().unwrap().to_string(), "2026-11-25 11:00:00", "10:00 UTC in Rome");

        // The Summary's native chart plots the Weekly sheet: feedback columns and conversion.
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        let mut chart = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/charts/chart1.xml").unwrap(), &mut chart).unwrap();
        assert!(chart.contains("<c:barChart>") && chart.contains("<c:lineChart>"), "columns and a line");
        assert!(chart.contains("Weekly!$C$2:$C$") && chart.contains("Weekly!$F$2:$F$"), "{chart}");
    });
}

#[test]
fn xlsx_of_an_empty_database() {
    let db = TestDb::migrated(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.xlsx");
    let doc = render(&db, Xlsx, &test_window(), &path);
    let mut wb: calamine::Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(wb.sheet_names().len(), 1 + doc.sections.len());
    let totals = wb.worksheet_range("Totals").unwrap();
    assert_eq!(totals.height(), 2, "a header and one row of zeros");
    assert_eq!(totals.get((1, 0)), Some(&Data::Float(0.0)));
    assert_eq!(wb.worksheet_range("Orphans").unwrap().height(), 1, "a header and no rows");
}

// ---------------------------------------------------------------------------------------
// OpenMetrics checked by promtool

fn promtool(path: &Path) -> std::process::Output {
    Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(path).unwrap())
        .output()
        .expect("promtool (scripts/test.sh installs Debian's prometheus)")
}

#[test]
fn openmetrics_pass_promtool_on_both_backends() {
    on_both(|db| {
        seeded(db, &test_plan());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("faqlink.prom");
        let doc = render(db, OpenMetrics, &test_window(), &path);
        let out = promtool(&path);
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && said.trim().is_empty(), "promtool: {said}");

        let text = std::fs::read_to_string(&path).unwrap();
        let value = |series: &str| {
            text.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' '))).map(str::to_string)
        };
        let int = |n: &str| plain(&total(&doc, n), '.').unwrap();
        assert_eq!(value("faqlink_funnel{step=\"feedback\"}"), Some(int("feedback_total")));
        assert_eq!(value("faqlink_funnel{step=\"live\"}"), Some(int("faqs_live")));
        assert_eq!(value("faqlink_broken_links{state=\"dangling\"}"), Some(int("dangling_links")));
        assert_eq!(value("faqlink_report_generated_timestamp_seconds"), Some("1795600800".into()));
        let since = test_window().since.unwrap().timestamp().to_string();
        assert_eq!(value("faqlink_report_window_start_timestamp_seconds"), Some(since));
        let Cell::Pct(Some(p)) = total(&doc, "conversion_rate_pct") else { panic!("a rate") };
        let ratio: f64 = value("faqlink_conversion_ratio").unwrap().parse().unwrap();
        assert!((ratio * 100.0 - p.as_f64()).abs() < 1e-9);

        // Bounded cardinality: at most MAX_EXPERTS experts plus "other", which adds up the rest.
        let experts = doc.table(ReportKind::Experts).unwrap();
        assert!(experts.rows.len() > MAX_EXPERTS, "the seed has more experts than the cap");
        let series: Vec<&str> = text.lines().filter(|l| l.starts_with("faqlink_expert_correct_feedback{")).collect();
        assert_eq!(series.len(), MAX_EXPERTS + 1);
        let sum: i64 = series.iter().map(|l| l.rsplit(' ').next().unwrap().parse::<i64>().unwrap()).sum();
        let all: i64 = experts
            .rows
            .iter()
            .map(|r| match &r[2] {
                Cell::Int(Some(n)) => *n,
                other => panic!("{other:?}"),
            })
            .sum();
        assert_eq!(sum, all, "the per-expert series add up to every expert");
        assert!(text.contains("expert=\"=1+1\""), "label values are written as they are");
        assert!(text.contains(r#"expert="<b>x</b> & \"y\"""#), "quotes in label values are escaped");
    });
}

/// `total_feedback` (the design document's name, kept in CSV and JSON) counts an expert's
/// correct feedback; every place a person reads it says "Correct feedback": the table, the
/// HTML page, the workbook's header, the OpenMetrics help, and METRICS.md, which says why the
/// name differs.
#[test]
fn total_feedback_reads_correct_feedback_wherever_a_human_reads_it() {
    let title = faqlink::reports::experts::SECTION.columns.iter().find(|c| c.name == "total_feedback").unwrap().title;
    assert_eq!(title, "Correct feedback");
    let db = TestDb::migrated(Backend::Sqlite);
    db.seed(300);
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = crate::harness::faqlink()
            .args(["--database-url", &db.url(), "report", "experts"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let text = |args: &[&str]| String::from_utf8(run(args)).unwrap();
    assert!(text(&[]).contains(title), "table");
    assert!(text(&["--format", "html"]).contains(&format!(">{title}</th>")), "HTML");
    assert!(text(&["--format", "markdown"]).contains(&format!("| {title} |")), "Markdown");
    assert!(text(&["--format", "openmetrics"])
        .contains(&format!("# HELP faqlink_expert_correct_feedback {title} per expert")));
    assert!(text(&["--format", "csv"]).starts_with("expert_id,professional_registration_number,total_feedback,"));
    assert!(text(&["--format", "json"]).contains("\"total_feedback\":"));
    let path = dir.path().join("experts.xlsx");
    run(&["--output", path.to_str().unwrap()]);
    let mut wb: calamine::Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(wb.worksheet_range("Experts").unwrap().get((0, 2)), Some(&Data::String(title.into())), "XLSX header");
    let metrics = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/METRICS.md")).unwrap();
    let row = metrics.lines().find(|l| l.starts_with("| `total_feedback` |")).unwrap();
    assert!(row.contains(&format!("**{title}**")) && row.contains("design document"), "{row}");
}
