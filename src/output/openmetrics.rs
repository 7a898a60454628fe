//! `--format openmetrics`: the run as gauges for node_exporter's textfile collector, so
//! Grafana can plot the funnel and the conversion rate.
//!
//! The text is the Prometheus text exposition format 0.0.4, which is what the textfile
//! collector parses (it rejects sample timestamps, so there are none): `# HELP` and `# TYPE`
//! before each family, every value a gauge, since each counts one report window and may fall
//! when the window moves. The period is given as labels on `faqlink_report_info` and as
//! `faqlink_report_window_{start,end}_timestamp_seconds`. Per-expert series are bounded: the
//! first [`MAX_EXPERTS`] experts of the leaderboard get their own series, the rest are added
//! up under `expert="other"`. The [`Output`] is written atomically (temporary file + rename),
//! as the collector requires.

use std::fmt::Write as _;
use std::io::Write;

use super::document::{Document, DocumentFormat, Listing};
use super::Output;
use crate::error::Result;
use crate::reports::experts::ExpertRow;
use crate::reports::totals::TotalsRow;
use crate::reports::{Pct, ReportKind};

/// Experts with series of their own; the rest are summed under `expert="other"`.
pub const MAX_EXPERTS: usize = 20;

/// The OpenMetrics (Prometheus text) report.
#[derive(Debug, Default, Clone, Copy)]
pub struct OpenMetrics;

impl DocumentFormat for OpenMetrics {
    fn row_limit(&self, kind: ReportKind) -> Option<usize> {
        match kind {
            // Only their row counts are exported.
            ReportKind::Orphans | ReportKind::Duplicates => Some(0),
            _ => None,
        }
    }

    fn wants_previous_totals(&self) -> bool {
        false
    }

    fn render(&self, doc: &Document, out: &mut Output) -> Result<()> {
        let text = exposition(doc);
        out.write_all(text.as_bytes()).map_err(|e| out.error(e))
    }
}

/// Escapes a label value (backslash, double quote, line feed).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A percentage as an exact ratio: `58.21` % is `0.5821`.
fn ratio(p: Pct) -> String {
    let sign = if p.0 < 0 { "-" } else { "" };
    let a = p.0.unsigned_abs();
    format!("{sign}{}.{:04}", a / 10_000, a % 10_000)
}

struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    fn head(&mut self, name: &str, help: &str) -> &mut Self {
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} gauge");
        self
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) -> &mut Self {
        self.out.push_str(name);
        if !labels.is_empty() {
            let l: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", label(v))).collect();
            let _ = write!(self.out, "{{{}}}", l.join(","));
        }
        let _ = writeln!(self.out, " {value}");
        self
    }
}

/// The exposition text of a run.
pub(crate) fn exposition(doc: &Document) -> String {
    let mut text = String::new();
    let mut f = Family { out: &mut text };
    let info = &doc.info;
    let backend = info.backend.name();
    let week = info.iso_week().unwrap_or_default();
    f.head("faqlink_report_info", "The report's period and provenance (always 1).").sample(
        "faqlink_report_info",
        &[("tz", info.window.tz.name()), ("iso_week", &week), ("backend", backend), ("version", info.version)],
        1,
    );
    f.head("faqlink_report_generated_timestamp_seconds", "When faqlink read the data (Unix time).").sample(
        "faqlink_report_generated_timestamp_seconds",
        &[],
        info.generated_at.timestamp(),
    );
    if let Some(t) = info.window.since {
        f.head("faqlink_report_window_start_timestamp_seconds", "Start of the report window, included (Unix time).")
            .sample("faqlink_report_window_start_timestamp_seconds", &[], t.timestamp());
    }
    if let Some(t) = info.window.until {
        f.head("faqlink_report_window_end_timestamp_seconds", "End of the report window, excluded (Unix time).")
            .sample("faqlink_report_window_end_timestamp_seconds", &[], t.timestamp());
    }

    if let Some(t) = &doc.totals {
        totals(&mut f, t);
    }
    if let Some(c) = &doc.orphans {
        f.head("faqlink_orphan_rows", "Rows of the orphans report (orphaned and dangling links).").sample(
            "faqlink_orphan_rows",
            &[],
            c.total_rows,
        );
    }
    if let Some(c) = &doc.duplicates {
        f.head("faqlink_duplicate_queries", "Queries that produced more than one FAQ.").sample(
            "faqlink_duplicate_queries",
            &[],
            c.total_rows,
        );
    }
    if let Some(c) = &doc.experts {
        experts(&mut f, c);
    }
    expectations(&mut f, &doc.expectations);
    text
}

/// The funnel, the feedback by verdict, the broken links and the conversion of `t`.
fn totals(f: &mut Family<'_>, t: &TotalsRow) {
    let c = &t.counters;
    f.head("faqlink_funnel", "Feedback in the window that reached each step, from feedback to a live FAQ.");
    for (step, v) in [
        ("feedback", c.feedback_total),
        ("correct", c.correct_feedback),
        ("workflow_ran", c.workflow_attempted),
        ("published", c.faq_published),
        ("linked", c.faqs_generated),
        ("live", t.faqs_live),
    ] {
        f.sample("faqlink_funnel", &[("step", step)], v);
    }
    f.head("faqlink_feedback", "Feedback in the window by the expert's verdict.");
    for (verdict, v) in
        [("correct", c.correct_feedback), ("incomplete", c.incomplete_feedback), ("incorrect", c.incorrect_feedback)]
    {
        f.sample("faqlink_feedback", &[("verdict", verdict)], v);
    }
    f.head(
        "faqlink_broken_links",
        "Correct feedback whose FAQ link is missing (orphaned) or points at no FAQ (dangling).",
    );
    for (state, v) in [("orphaned", c.orphaned_links), ("dangling", t.dangling_links)] {
        f.sample("faqlink_broken_links", &[("state", state)], v);
    }
    // Undefined (no feedback): no sample, rather than a made-up 0.
    if let Some(p) = t.conversion_rate_pct() {
        f.head("faqlink_conversion_ratio", "FAQs linked per feedback in the window (0-1).").sample(
            "faqlink_conversion_ratio",
            &[],
            ratio(p),
        );
    }
}

/// `faqlink_expectation_passed{expectation="…",level="expect|warn"}`: 1 for PASS (and SKIP,
/// which is not a failure), 0 for WARN and FAIL.
fn expectations(f: &mut Family<'_>, results: &[crate::expect::Evaluated]) {
    if results.is_empty() {
        return;
    }
    f.head(
        "faqlink_expectation_passed",
        "Whether each --expect/--warn condition held (1) or not (0); a skipped one counts as 1.",
    );
    for r in results {
        let passed = u8::from(!matches!(r.status, crate::expect::Status::Fail | crate::expect::Status::Warn));
        f.sample(
            "faqlink_expectation_passed",
            &[("expectation", &r.expectation.text), ("level", r.expectation.level.name())],
            passed,
        );
    }
}

/// The leaderboard's first [`MAX_EXPERTS`] experts, and the rest as `expert="other"`.
fn experts(f: &mut Family<'_>, c: &Listing<ExpertRow>) {
    let mut series: Vec<(String, String, i64, i64)> = Vec::new();
    let (mut other_fb, mut other_faqs, mut others) = (0, 0, 0);
    for (i, r) in c.rows.iter().enumerate() {
        let (fb, faqs) = (r.total_feedback, r.faqs_generated);
        if i < MAX_EXPERTS {
            // An expert without a registration number: an empty label value.
            let reg = r.professional_registration_number.clone().unwrap_or_default();
            series.push((reg, r.expert_id.clone(), fb, faqs));
        } else {
            other_fb += fb;
            other_faqs += faqs;
            others += 1;
        }
    }
    if others > 0 {
        series.push(("other".into(), "other".into(), other_fb, other_faqs));
    }
    f.head("faqlink_experts", "Experts with correct feedback in the window.").sample(
        "faqlink_experts",
        &[],
        c.rows.len(),
    );
    if series.is_empty() {
        return;
    }
    let families: [(&str, &str); 3] = [
        (
            "faqlink_expert_correct_feedback",
            "Correct feedback per expert (first 20 of the leaderboard, the rest as expert=\"other\").",
        ),
        (
            "faqlink_expert_faqs_generated",
            "FAQs generated per expert (first 20 of the leaderboard, the rest as expert=\"other\").",
        ),
        ("faqlink_expert_faq_ratio", "FAQs generated per correct feedback, per expert (0-1)."),
    ];
    for (k, (name, help)) in families.iter().enumerate() {
        f.head(name, &help.replace("20", &MAX_EXPERTS.to_string()));
        for (reg, id, fb, faqs) in &series {
            let labels = [("expert", reg.as_str()), ("expert_id", id.as_str())];
            match k {
                0 => f.sample(name, &labels, fb),
                1 => f.sample(name, &labels, faqs),
                _ => match Pct::of(*faqs, *fb) {
                    Some(p) => f.sample(name, &labels, ratio(p)),
                    None => f,
                },
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_and_labels() {
        assert_eq!(ratio(Pct(5821)), "0.5821");
        assert_eq!(ratio(Pct(10_000)), "1.0000");
        assert_eq!(ratio(Pct(-5)), "-0.0005");
        assert_eq!(label("=HYPERLINK(\"x\")\\\n"), "=HYPERLINK(\\\"x\\\")\\\\\\n");
    }
}
