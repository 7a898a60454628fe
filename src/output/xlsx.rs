//! Placeholder for the one Excel workbook renderer: the real one is written in parallel (another branch)
//! and replaces this file at the merge. It only fixes the name the sink wiring uses.

use super::document::{Document, DocumentFormat};
use super::Output;
use crate::config::ReportKind;
use crate::error::{Error, Result};

/// The one Excel workbook format (placeholder).
#[derive(Debug, Default, Clone, Copy)]
pub struct Xlsx;

impl DocumentFormat for Xlsx {
    fn row_limit(&self, _kind: ReportKind) -> Option<usize> {
        None
    }

    fn wants_previous_totals(&self) -> bool {
        true
    }

    fn render(&self, _doc: &Document, _out: &mut Output) -> Result<()> {
        Err(Error::Refused("--format xlsx is not built in this branch".into()))
    }
}
