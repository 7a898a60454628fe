//! Every number on the HTML page equals the JSON output of the same run: the headline
//! numbers, their previous-period values and the weekly table, both through the CLI with
//! the same options (the product managers' command).

use crate::harness::{faqlink, TestDb};
use faqlink::db::Backend;
use serde_json::Value;

const NOW: &str = "2026-11-25T10:00:00Z";

fn run(db: &TestDb, format: &str) -> String {
    let out = faqlink()
        .env("FAQLINK_NOW", NOW)
        .args(["--database-url", &db.url(), "report", "all", "--last-week", "--trend-weeks", "6"])
        .args(["--tz", "Europe/Rome", "--format", format])
        .output()
        .unwrap();
    assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The text of every element carrying `attr="name"`, by name.
fn marked(html: &str, attr: &str) -> Vec<(String, String)> {
    let key = format!("{attr}=\"");
    html.match_indices(&key)
        .map(|(i, _)| {
            let rest = &html[i + key.len()..];
            let name = &rest[..rest.find('"').unwrap()];
            let text = &rest[rest.find('>').unwrap() + 1..];
            (name.to_string(), text[..text.find('<').unwrap()].to_string())
        })
        .collect()
}

/// The cells of the rows of `<table data-section="section">`, as shown.
fn table_rows(html: &str, section: &str) -> Vec<Vec<String>> {
    let start = html.find(&format!("data-section=\"{section}\"")).expect("the section's table");
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").unwrap()..];
    body.split("<tr")
        .skip(1)
        .map(|tr| {
            tr.split("<td")
                .skip(1)
                .map(|td| {
                    let inner = &td[td.find('>').unwrap() + 1..td.find("</td>").unwrap()];
                    // Drop any markup inside the cell (the "partial" tag).
                    let mut text = String::new();
                    let mut in_tag = false;
                    for c in inner.chars() {
                        match c {
                            '<' => in_tag = true,
                            '>' => in_tag = false,
                            c if !in_tag => text.push(c),
                            _ => {}
                        }
                    }
                    text
                })
                .collect()
        })
        .collect()
}

/// A JSON value as the page shows it: percentages with two decimals, flags as words.
fn shown(column: &str, v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "partial".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) if column.ends_with("_pct") || column.ends_with("_pts") => {
            format!("{:.2}", n.as_f64().unwrap())
        }
        Value::Number(n) => n.to_string(),
        other => panic!("{column}: {other}"),
    }
}

fn check(backend: Backend) {
    let db = TestDb::migrated(backend);
    faqlink()
        .args(["--database-url", &db.url(), "seed", "--experts", "9", "--feedback", "2500", "--weeks", "9"])
        .args(["--end", "2026-11-26", "--seed", "11", "--deleted-share", "0.05"])
        .assert()
        .success();
    let html = run(&db, "html");
    let json: Value = serde_json::from_str(&run(&db, "json")).unwrap();
    let headlines = marked(&html, "data-metric");
    assert_eq!(headlines.len(), 6, "{headlines:?}");
    for (name, text) in &headlines {
        assert_eq!(text, &shown(name, &json["totals"][name]), "{backend:?} headline {name}");
        // Its change names the previous period's value, as JSON has it.
        let before = shown(name, &json["previous_period"]["totals"][name]);
        let card = &html[html.find(&format!("data-metric=\"{name}\"")).unwrap()..];
        let card = &card[..card.find("class=\"card\"").unwrap_or(card.len())];
        assert!(card.contains(&format!("from {before}")), "{backend:?} {name}: no 'from {before}'");
    }
    let rows = table_rows(&html, "weekly");
    let weekly = json["weekly"].as_array().unwrap();
    assert_eq!(rows.len(), weekly.len());
    assert_eq!(rows.len(), 6);
    for (row, obj) in rows.iter().zip(weekly) {
        let want: Vec<String> = obj.as_object().unwrap().iter().map(|(k, v)| shown(k, v)).collect();
        assert_eq!(row, &want, "{backend:?}");
    }
}

#[test]
fn every_number_on_the_page_equals_the_json_of_the_same_run() {
    check(Backend::Sqlite);
    if crate::harness::skip_pg() {
        eprintln!("FAQLINK_TEST_SKIP_PG=1: skipping the PostgreSQL half");
        return;
    }
    check(Backend::Postgres);
}
