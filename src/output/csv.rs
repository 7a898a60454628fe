//! CSV: RFC 4180 by default, with the spreadsheet options (delimiter, BOM, decimal comma)
//! and formula neutralisation of text cells.

use super::CsvOptions;
use super::{plain, Output, OutputDir};
use crate::error::{Error, Result};
use crate::reports::{Cell, Section, Sink};

/// Prefixes `'` to text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR).
pub(crate) fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// The CSV field for a cell: text neutralised, numbers untouched, NULL empty.
pub(crate) fn field(cell: &Cell, options: &CsvOptions) -> String {
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
    w.into_inner().map_err(|e| {
        let source = std::io::Error::new(e.error().kind(), e.error().to_string());
        e.into_inner().get_ref().error(source)
    })
}

fn csv_error(w: &mut csv::Writer<Output>, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => w.get_ref().error(io),
        other => w.get_ref().error(std::io::Error::other(format!("cannot write CSV: {other:?}"))),
    }
}

/// CSV to one output. Several sections (`report all`) each start with a comment line naming
/// the report (`# experts`) and their own header, and are separated by an empty line (CSV
/// readers skip the names with their comment option, e.g. pandas `comment="#"`; no first
/// column of any report can start with `#`); `--output-dir` gives one plain file per report
/// instead. A single report is plain RFC 4180 with no comment line.
pub(crate) struct CsvSink {
    w: Option<csv::Writer<Output>>,
    options: CsvOptions,
    sections: usize,
    named: bool,
}

impl CsvSink {
    /// A sink writing to `out`.
    pub fn new(mut out: Output, options: CsvOptions) -> Result<Self> {
        if options.bom {
            use std::io::Write;
            out.write_all("\u{feff}".as_bytes()).map_err(|e| out.error(e))?;
        }
        Ok(CsvSink { w: Some(writer(out, &options)), options, sections: 0, named: false })
    }

    /// Starts each section with a `# <report>` line (for `report all` into one output).
    pub(crate) fn named_sections(mut self, named: bool) -> Self {
        self.named = named;
        self
    }
}

impl Sink for CsvSink {
    fn begin(&mut self, section: &Section, _: crate::reports::Protocol<'_>) -> Result<()> {
        if self.sections > 0 || self.named {
            // Sections are separated by an empty line; named ones start with their name.
            let mut raw = String::new();
            if self.sections > 0 {
                raw.push_str("\r\n");
            }
            if self.named {
                raw.push_str(&format!("# {}\r\n", section.kind.name()));
            }
            let mut out = into_output(self.w.take().expect("open until finish"))?;
            std::io::Write::write_all(&mut out, raw.as_bytes()).map_err(|e| out.error(e))?;
            self.w = Some(writer(out, &self.options));
        }
        self.sections += 1;
        let w = self.w.as_mut().expect("open until finish");
        w.write_record(section.columns.iter().map(|c| c.name)).map_err(|e| csv_error(w, e))
    }

    fn row(&mut self, row: crate::reports::Row<'_>, _: crate::reports::Protocol<'_>) -> Result<()> {
        let cells = &row.cells()[..];
        let w = self.w.as_mut().expect("open until finish");
        let options = self.options;
        w.write_record(cells.iter().map(|c| field(c, &options))).map_err(|e| csv_error(w, e))
    }

    fn end(&mut self, _: crate::reports::Protocol<'_>) -> Result<()> {
        Ok(())
    }

    fn finish(self: Box<Self>, _: crate::reports::Complete) -> Result<()> {
        self.commit()
    }
}

impl CsvSink {
    /// Flushes and commits the output (a file of a [`DirSink`]'s set goes into the set).
    fn commit(mut self) -> Result<()> {
        into_output(self.w.take().expect("open until committed"))?.commit()
    }
}

/// `report all --format csv --output-dir DIR`: one file per report, replaced as a set
/// ([`OutputDir`]): each file is written into the new set as its section ends, and the set
/// replaces the folder's files only when every report succeeded.
pub(crate) struct DirSink {
    dir: OutputDir,
    options: CsvOptions,
    current: Option<CsvSink>,
}

impl DirSink {
    /// A sink writing one file per report into the new set of `dir`.
    pub fn new(dir: OutputDir, options: CsvOptions) -> Self {
        DirSink { dir, options, current: None }
    }
}

impl Sink for DirSink {
    fn begin(&mut self, section: &Section, by: crate::reports::Protocol<'_>) -> Result<()> {
        let mut sink = CsvSink::new(self.dir.file(&format!("{}.csv", section.kind.name()))?, self.options)?;
        sink.begin(section, by)?;
        self.current = Some(sink);
        Ok(())
    }

    fn row(&mut self, row: crate::reports::Row<'_>, by: crate::reports::Protocol<'_>) -> Result<()> {
        self.current.as_mut().expect("inside a section").row(row, by)
    }

    fn end(&mut self, _: crate::reports::Protocol<'_>) -> Result<()> {
        // Into the new set, which stays invisible until finish.
        self.current.take().expect("inside a section").commit()
    }

    fn finish(self: Box<Self>, _: crate::reports::Complete) -> Result<()> {
        self.dir.commit()
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
