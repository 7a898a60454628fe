//! Terminal tables (comfy-table): full width and colour on a terminal; piped or with
//! `NO_COLOR`, plain and stable (no colour, no width probing).

use std::io::Write;

use comfy_table::{presets, Attribute, CellAlignment, ContentArrangement, Table};

use super::{colour_allowed, plain, Output};
use crate::error::Result;
use crate::reports::{Cell, Section, Sink};

/// Table output. A table needs every row for its column widths, so rows of the current
/// section are held until it ends.
pub struct TableSink {
    out: Option<Output>,
    styled: bool,
    current: Option<(Section, Table, usize)>,
    sections: usize,
}

impl TableSink {
    /// A sink writing to `out`.
    pub fn new(out: Output) -> Self {
        let styled = out.is_terminal() && colour_allowed();
        TableSink { out: Some(out), styled, current: None, sections: 0 }
    }
}

/// How a cell is shown in a table: NULL as empty text, an undefined percentage as `–`.
pub fn shown(cell: &Cell) -> String {
    match (cell, plain(cell, '.')) {
        (Cell::Pct(_), None) | (Cell::Int(_), None) => "–".into(),
        (_, v) => v.unwrap_or_default(),
    }
}

impl Sink for TableSink {
    fn begin(&mut self, section: &Section) -> Result<()> {
        let mut table = Table::new();
        table.load_preset(presets::UTF8_FULL_CONDENSED);
        if self.styled {
            table.set_content_arrangement(ContentArrangement::Dynamic).enforce_styling();
        } else {
            table.set_content_arrangement(ContentArrangement::Disabled).force_no_tty();
        }
        table.set_header(section.columns.iter().map(|c| {
            let cell = comfy_table::Cell::new(c.title);
            if self.styled {
                cell.add_attribute(Attribute::Bold)
            } else {
                cell
            }
        }));
        for (i, c) in section.columns.iter().enumerate() {
            if c.numeric {
                if let Some(col) = table.column_mut(i) {
                    col.set_cell_alignment(CellAlignment::Right);
                }
            }
        }
        self.current = Some((*section, table, 0));
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> Result<()> {
        let (_, table, n) = self.current.as_mut().expect("inside a section");
        table.add_row(cells.iter().map(shown));
        *n += 1;
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        let (section, table, n) = self.current.take().expect("inside a section");
        let mut text = String::new();
        if self.sections > 0 {
            text.push('\n');
        }
        self.sections += 1;
        text.push_str(&format!("{} ({} row{})\n", section.title, n, if n == 1 { "" } else { "s" }));
        if n == 0 && !section.single_row {
            text.push_str("(none)\n");
        } else {
            text.push_str(&table.to_string());
            text.push('\n');
        }
        let out = self.out.as_mut().expect("open until finish");
        out.write_all(text.as_bytes()).map_err(|e| out.error(e))
    }

    fn finish(&mut self) -> Result<()> {
        self.out.take().expect("finish once").commit()
    }
}
