//! CSV: RFC 4180 by default, with the spreadsheet options (delimiter, BOM, decimal comma)
//! and formula neutralisation of text cells.

use super::{plain, Output, OutputDir};
use crate::config::CsvOptions;
use crate::error::{Error, Result};
use crate::reports::{Cell, Section, Sink};

/// Prefixes `'` to text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR).
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// The CSV field for a cell: text neutralised, numbers untouched, NULL empty.
pub fn field(cell: &Cell, options: &CsvOptions) -> String {
    let decimal = if options.decimal_comma { ',' } else { '.' };
    match (cell, plain(cell, decimal)) {
        (Cell::Text(_), Some(t)) => neutralise(&t).into_owned(),
        (_, value) => value.unwrap_or_default(),
    }
}

fn writer(out: Output, options: &CsvOptions) -> csv::Writer<Output> {
    csv::WriterBuilder::new()
        .delimiter(options.delimiter)
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(out)
}

fn into_output(mut w: csv::Writer<Output>) -> Result<Output> {
    w.flush().map_err(|e| w.get_ref().error(e))?;
    w.into_inner().map_err(|e| Error::Io {
        what: "cannot write",
        path: "CSV output".into(),
        source: std::io::Error::new(e.error().kind(), e.error().to_string()),
    })
}

fn csv_error(w: &mut csv::Writer<Output>, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => w.get_ref().error(io),
        other => Error::Io {
            what: "cannot write CSV to",
            path: "output".into(),
            source: std::io::Error::other(format!("{other:?}")),
        },
    }
}

/// CSV to one output. Several sections (`report all`) are separated by an empty line,
/// each with its own header; `--output-dir` gives one file per report instead.
pub struct CsvSink {
    w: Option<csv::Writer<Output>>,
    options: CsvOptions,
    sections: usize,
}

impl CsvSink {
    /// A sink writing to `out`.
    pub fn new(mut out: Output, options: CsvOptions) -> Result<Self> {
        if options.bom {
            use std::io::Write;
            out.write_all("\u{feff}".as_bytes()).map_err(|e| out.error(e))?;
        }
        Ok(CsvSink { w: Some(writer(out, &options)), options, sections: 0 })
    }
}

impl Sink for CsvSink {
    fn begin(&mut self, section: &Section) -> Result<()> {
        if self.sections > 0 {
            // Sections are separated by an empty line.
            let mut out = into_output(self.w.take().expect("open until finish"))?;
            std::io::Write::write_all(&mut out, b"\r\n").map_err(|e| out.error(e))?;
            self.w = Some(writer(out, &self.options));
        }
        self.sections += 1;
        let w = self.w.as_mut().expect("open until finish");
        w.write_record(section.columns.iter().map(|c| c.name)).map_err(|e| csv_error(w, e))
    }

    fn row(&mut self, cells: &[Cell]) -> Result<()> {
        let w = self.w.as_mut().expect("open until finish");
        let options = self.options;
        w.write_record(cells.iter().map(|c| field(c, &options))).map_err(|e| csv_error(w, e))
    }

    fn end(&mut self) -> Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        into_output(self.w.take().expect("finish once"))?.commit()
    }
}

/// `report all --format csv --output-dir DIR`: one file per report, replaced as a set
/// ([`OutputDir`]): each file is written into the new set as its section ends, and the set
/// replaces the folder's files only when every report succeeded.
pub struct DirSink {
    dir: Option<OutputDir>,
    options: CsvOptions,
    current: Option<CsvSink>,
}

impl DirSink {
    /// A sink writing one file per report into the new set of `dir`.
    pub fn new(dir: OutputDir, options: CsvOptions) -> Self {
        DirSink { dir: Some(dir), options, current: None }
    }
}

impl Sink for DirSink {
    fn begin(&mut self, section: &Section) -> Result<()> {
        let dir = self.dir.as_mut().expect("open until finish");
        let mut sink = CsvSink::new(dir.file(&format!("{}.csv", section.kind.name()))?, self.options)?;
        sink.begin(section)?;
        self.current = Some(sink);
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> Result<()> {
        self.current.as_mut().expect("inside a section").row(cells)
    }

    fn end(&mut self) -> Result<()> {
        // Into the new set, which stays invisible until finish.
        self.current.take().expect("inside a section").finish()
    }

    fn finish(&mut self) -> Result<()> {
        self.dir.take().expect("finish once").commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::Pct;

    #[test]
    fn text_is_neutralised_numbers_are_not() {
        let o = CsvOptions::default();
        for (t, want) in
            [("=1+1", "'=1+1"), ("+39", "'+39"), ("-x", "'-x"), ("@SUM", "'@SUM"), ("\tx", "'\tx"), ("ok", "ok")]
        {
            assert_eq!(field(&Cell::Text(Some(t.into())), &o), want);
        }
        assert_eq!(field(&Cell::Int(Some(-3)), &o), "-3");
        assert_eq!(field(&Cell::Pct(Some(Pct(-305))), &o), "-3.05");
        assert_eq!(field(&Cell::Pct(Some(Pct(1250))), &CsvOptions { decimal_comma: true, ..o }), "12,50");
        assert_eq!(field(&Cell::Text(None), &o), "");
        assert_eq!(field(&Cell::Pct(None), &o), "");
    }
}
