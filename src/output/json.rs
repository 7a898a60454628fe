//! JSON: numbers as numbers, NULL as null, timestamps as RFC 3339 UTC strings. Every run is
//! one object: the period and provenance first (`window`, `generated_at`, `faqlink_version`,
//! `backend`; with the totals also `previous_period`), then one key per report (an array of
//! row objects, an object for `totals`). Rows are written as they arrive.

use std::io::Write;

use serde_json::{json, Map, Value};

use super::document::RunInfo;
use super::{plain, Output};
use crate::error::Result;
use crate::reports::Window;
use crate::reports::{totals, Cell, Section, Sink};

/// The JSON value of a cell.
pub(crate) fn value(cell: &Cell) -> Value {
    match cell {
        Cell::Int(Some(i)) => Value::from(*i),
        Cell::Pct(Some(p)) => serde_json::Number::from_f64(p.as_f64()).map_or(Value::Null, Value::Number),
        Cell::Seconds(Some(s)) => serde_json::Number::from_f64(*s).map_or(Value::Null, Value::Number),
        Cell::Int(None) | Cell::Pct(None) | Cell::Seconds(None) => Value::Null,
        Cell::Bool(b) => Value::Bool(*b),
        other => plain(other, '.').map_or(Value::Null, Value::String),
    }
}

/// A row as an object keyed by the section's column names.
pub(crate) fn object(section: &Section, cells: &[Cell]) -> Map<String, Value> {
    section.columns.iter().zip(cells).map(|(c, v)| (c.name.to_string(), value(v))).collect()
}

/// The `window` object: `since`/`until` (RFC 3339 UTC, null when open), `tz`, and `iso_week`
/// (`2026-W47` when the window is exactly one ISO week, else null).
pub(crate) fn window_value(window: &Window) -> Value {
    let ts = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or(Value::Null, |t| Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)))
    };
    json!({
        "since": ts(window.since),
        "until": ts(window.until),
        "tz": window.tz.name(),
        "iso_week": window.iso_week().map(crate::reports::period::iso_week_label),
    })
}

/// JSON to one output.
pub(crate) struct JsonSink {
    out: Output,
    info: RunInfo,
    with_previous: bool,
    previous: Option<Value>,
    rows: usize,
    sections: usize,
    /// The `expectations` array, written last (runs with `--expect`).
    expectations: Option<Value>,
}

impl JsonSink {
    /// A sink writing to `out` for the run `info`; `with_previous` when the run shows the
    /// totals (`previous_period` is then present: null unless the window is bounded on both
    /// sides).
    pub fn new(out: Output, info: RunInfo, with_previous: bool) -> Self {
        JsonSink { out, info, with_previous, previous: None, rows: 0, sections: 0, expectations: None }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).map_err(|e| self.out.error(e))
    }

    /// The envelope's first keys, written before the first section (or at the end of a run
    /// without sections).
    fn header(&self) -> String {
        let line = |key: &str, v: &Value| format!("\"{key}\": {}", serde_json::to_string(v).expect("plain values"));
        let mut lines = vec![line("window", &window_value(&self.info.window))];
        if let Some(w) = &self.info.weekly_window {
            lines.push(line("weekly_window", &window_value(w)));
        }
        lines.extend([
            line("generated_at", &Value::String(self.info.generated_at_text())),
            line("faqlink_version", &Value::String(self.info.version.to_string())),
            line("backend", &Value::String(self.info.backend_name().to_string())),
        ]);
        if self.with_previous {
            lines.push(line("previous_period", self.previous.as_ref().unwrap_or(&Value::Null)));
        }
        format!("{{\n{}", lines.join(",\n"))
    }
}

impl Sink for JsonSink {
    fn begin(&mut self, section: &Section, _: crate::reports::Protocol<'_>) -> Result<()> {
        let mut prefix = String::new();
        if self.sections == 0 {
            prefix.push_str(&self.header());
        }
        prefix.push_str(&format!(",\n\"{}\": ", section.kind.name()));
        if !section.single_row {
            prefix.push('[');
        }
        self.write(prefix.as_bytes())?;
        self.rows = 0;
        self.sections += 1;
        Ok(())
    }

    fn row(&mut self, row: crate::reports::Row<'_>, by: crate::reports::Protocol<'_>) -> Result<()> {
        let cells = &row.cells()[..];
        let section = by.section();
        let mut text = String::new();
        if !section.single_row {
            text.push_str(if self.rows == 0 { "\n  " } else { ",\n  " });
        }
        text.push_str(&serde_json::to_string(&object(section, cells)).expect("plain values serialise"));
        self.rows += 1;
        self.write(text.as_bytes())
    }

    fn end(&mut self, by: crate::reports::Protocol<'_>) -> Result<()> {
        if by.section().single_row {
            if self.rows == 0 {
                self.write(b"null")?;
            }
            Ok(())
        } else if self.rows == 0 {
            self.write(b"]")
        } else {
            self.write(b"\n]")
        }
    }

    fn finish(mut self: Box<Self>, _: crate::reports::Complete) -> Result<()> {
        if self.sections == 0 {
            let header = self.header();
            self.write(header.as_bytes())?;
        }
        if let Some(e) = self.expectations.take() {
            let text = format!(",\n\"expectations\": {}", serde_json::to_string(&e).expect("plain values"));
            self.write(text.as_bytes())?;
        }
        self.write(b"\n}\n")?;
        self.out.commit()
    }

    fn wants_previous_totals(&self) -> bool {
        self.with_previous
    }

    fn expectations(&mut self, results: &[crate::expect::Evaluated]) -> Result<()> {
        let items: Vec<Value> = results
            .iter()
            .map(|r| {
                json!({
                    "expression": r.expectation.text,
                    "level": r.expectation.level.name(),
                    "status": r.status.name(),
                    "observed": r.observed.and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number),
                })
            })
            .collect();
        self.expectations = Some(Value::Array(items));
        Ok(())
    }

    fn previous_totals(&mut self, window: &Window, row: &crate::reports::totals::TotalsRow) -> Result<()> {
        let cells = &row.cells()[..];
        self.previous = Some(json!({
            "window": window_value(window),
            "totals": Value::Object(object(&totals::SECTION, cells)),
        }));
        Ok(())
    }
}
