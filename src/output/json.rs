//! JSON: numbers as numbers, NULL as null, timestamps as RFC 3339 UTC strings. A single
//! report is an array of row objects (an object for `totals`); `report all` is an object
//! keyed by report name. Rows are written as they arrive.

use std::io::Write;

use serde_json::{Map, Value};

use super::{plain, Output};
use crate::error::Result;
use crate::reports::{Cell, Section, Sink};

/// The JSON value of a cell.
pub fn value(cell: &Cell) -> Value {
    match cell {
        Cell::Int(Some(i)) => Value::from(*i),
        Cell::Pct(Some(p)) => serde_json::Number::from_f64(p.as_f64()).map_or(Value::Null, Value::Number),
        Cell::Int(None) | Cell::Pct(None) => Value::Null,
        Cell::Bool(b) => Value::Bool(*b),
        other => plain(other, '.').map_or(Value::Null, Value::String),
    }
}

/// JSON to one output.
pub struct JsonSink {
    out: Option<Output>,
    nested: bool,
    section: Option<Section>,
    rows: usize,
    sections: usize,
}

impl JsonSink {
    /// A sink writing to `out`; `nested` for `report all`.
    pub fn new(out: Output, nested: bool) -> Self {
        JsonSink { out: Some(out), nested, section: None, rows: 0, sections: 0 }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let out = self.out.as_mut().expect("open until finish");
        out.write_all(bytes).map_err(|e| out.error(e))
    }
}

impl Sink for JsonSink {
    fn begin(&mut self, section: &Section) -> Result<()> {
        let mut prefix = String::new();
        if self.nested {
            prefix.push_str(if self.sections == 0 { "{\n" } else { ",\n" });
            prefix.push_str(&format!("\"{}\": ", section.kind.name()));
        }
        if !section.single_row {
            prefix.push('[');
        }
        self.write(prefix.as_bytes())?;
        self.section = Some(*section);
        self.rows = 0;
        self.sections += 1;
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> Result<()> {
        let section = self.section.expect("inside a section");
        let object: Map<String, Value> =
            section.columns.iter().zip(cells).map(|(c, v)| (c.name.to_string(), value(v))).collect();
        let mut text = String::new();
        if !section.single_row {
            text.push_str(if self.rows == 0 { "\n  " } else { ",\n  " });
        }
        text.push_str(&serde_json::to_string(&object).expect("plain values serialise"));
        self.rows += 1;
        self.write(text.as_bytes())
    }

    fn end(&mut self) -> Result<()> {
        let section = self.section.take().expect("inside a section");
        if section.single_row {
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

    fn finish(&mut self) -> Result<()> {
        if self.nested {
            self.write(if self.sections == 0 { b"{}\n" } else { b"\n}\n" })?;
        } else {
            self.write(b"\n")?;
        }
        self.out.take().expect("finish once").commit()
    }
}
