//! Markdown: a `#` title with the run's period and when the data was read, then one pipe
//! table per report under a `##` heading, headed by the same column titles as the terminal
//! table (`Correct feedback`, not `total_feedback`), numbers right-aligned, full ids. Times
//! are shown as in the table: in `--tz`, to the minute, under a title that names the zone
//! (`When (Europe/Rome)`, [`zoned_title`]); CSV and JSON keep RFC 3339 UTC.
//!
//! A text cell renders as its text and nothing else ([`escape::markdown`]): no tag, link,
//! image, code span or emphasis can come from the data, and control, bidi and invisible
//! characters are shown escaped.

use std::io::Write;

use super::document::RunInfo;
use super::escape::{self, Visible};
use super::table::{local_time, zoned_title};
use super::{plain, Output};
use crate::error::Result;
use crate::reports::{Cell, Section, Sink};

/// Markdown to one output.
pub struct MarkdownSink {
    out: Output,
    info: RunInfo,
    sections: usize,
}

impl MarkdownSink {
    /// A sink writing to `out` for the run `info`.
    pub fn new(out: Output, info: RunInfo) -> Self {
        MarkdownSink { out, info, sections: 0 }
    }

    /// The run's title: the period, then when and where the data was read.
    fn title(&self) -> String {
        let weekly = self.info.weekly_line().map_or(String::new(), |l| format!("{}.\n\n", Visible::line(&l)));
        format!(
            "# faqlink report: {}

{weekly}Data read {} (faqlink {}, {}).
",
            Visible::line(&self.info.period()),
            self.info.generated_at_text(),
            self.info.version,
            self.info.backend_name()
        )
    }

    fn write(&mut self, text: &str) -> Result<()> {
        self.out.write_all(text.as_bytes()).map_err(|e| self.out.error(e))
    }
}

impl Sink for MarkdownSink {
    fn begin(&mut self, section: &Section, _: crate::reports::Protocol<'_>) -> Result<()> {
        let mut text = String::new();
        if self.sections == 0 {
            text.push_str(&self.title());
        }
        text.push('\n');
        self.sections += 1;
        text.push_str(&format!("## {}\n\n|", section.title));
        for c in section.columns {
            text.push_str(&format!(" {} |", zoned_title(c.title, self.info.window.tz)));
        }
        text.push_str("\n|");
        for c in section.columns {
            text.push_str(if c.numeric { " ---: |" } else { " --- |" });
        }
        text.push('\n');
        self.write(&text)
    }

    fn row(&mut self, row: crate::reports::Row<'_>, _: crate::reports::Protocol<'_>) -> Result<()> {
        let cells = &row.cells()[..];
        let mut text = String::from("|");
        for cell in cells {
            let shown = match (cell, plain(cell, '.')) {
                (Cell::Pct(_) | Cell::Int(_) | Cell::Seconds(_), None) => "–".to_string(),
                (Cell::Seconds(Some(s)), _) => crate::reports::latency::human(*s),
                (Cell::Timestamp(Some(t)), _) => local_time(*t, self.info.window.tz),
                (_, v) => escape::markdown(&v.unwrap_or_default()),
            };
            text.push_str(&format!(" {shown} |"));
        }
        text.push('\n');
        self.write(&text)
    }

    fn end(&mut self, _: crate::reports::Protocol<'_>) -> Result<()> {
        Ok(())
    }

    fn finish(mut self: Box<Self>, _: crate::reports::Complete) -> Result<()> {
        if self.sections == 0 {
            let title = self.title();
            self.write(&title)?;
        }
        self.out.commit()
    }
}
