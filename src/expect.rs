//! Expectations as code: `--expect` / `--warn` / `--expect-file` conditions on a run's numbers,
//! checked in the run's snapshot, reported on stderr, in JSON and in JUnit XML, and mapped to
//! exit code 4.
//!
//! Grammar (whitespace between tokens is free):
//!
//! ```text
//! expectation := term OP NUMBER [ "when" term OP NUMBER ]
//! term        := METRIC | FUNC "(" METRIC ")" | ("min" | "max") "(" "experts.faq_rate_pct" ")"
//! OP          := "<" | "<=" | "==" | "!=" | ">=" | ">"
//! FUNC        := "wow_pp" | "wow_pct"
//! METRIC      := a column of `totals` | "within_sla_pct" | "p50_seconds" | "p90_seconds"
//! ```
//!
//! Parsing happens before any I/O; an error names the expression, the column and the token at
//! fault, and the nearest known name.

use std::cell::RefCell;
use std::rc::Rc;

mod parse;

pub use parse::parse;
pub(crate) use parse::read_file;

use crate::error::{Error, Result};
use crate::reports::latency::LatencyRow;
use crate::reports::totals::{self, TotalsRow};
use crate::reports::{Cell, Pct, Row, Section, Sink, Window};

/// Whether a failed condition fails the run (`--expect`) or only warns (`--warn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `--expect`, `--expect-file`.
    Expect,
    /// `--warn`.
    Warn,
}

impl Level {
    /// `expect` or `warn`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Level::Expect => "expect",
            Level::Warn => "warn",
        }
    }
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>=`
    Ge,
    /// `>`
    Gt,
}

impl Op {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Ge => a >= b,
            Op::Gt => a > b,
        }
    }
}

/// What a term reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// A `totals` column, by its JSON name.
    Total(&'static str),
    /// `wow_pp(col)`: the change against the previous period, in the column's unit
    /// (percentage points for a percentage).
    WowPp(&'static str),
    /// `wow_pct(col)`: the relative change against the previous period, in percent.
    WowPct(&'static str),
    /// The latency over the whole window: `within_sla_pct`, `p50_seconds`, `p90_seconds`.
    Latency(&'static str),
    /// `min(experts.faq_rate_pct)` (false) or `max(…)` (true).
    ExpertRate { max: bool },
}

/// The latency metrics an expectation may read.
pub(crate) const LATENCY_METRICS: [&str; 3] = ["within_sla_pct", "p50_seconds", "p90_seconds"];

/// One parsed expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// The text as given (trimmed).
    pub text: String,
    /// expect or warn.
    pub level: Level,
    /// What is read.
    pub term: Term,
    /// The comparison.
    pub op: Op,
    /// The number compared with.
    pub threshold: f64,
    /// `when …`: evaluated first; not met means SKIP.
    pub guard: Option<(Term, Op, f64)>,
}

impl Expectation {
    /// Whether evaluating it needs the totals, the previous totals, the experts, the latency.
    pub(crate) fn needs(&self) -> Needs {
        let mut n = Needs::default();
        for t in std::iter::once(&self.term).chain(self.guard.as_ref().map(|g| &g.0)) {
            match t {
                Term::Total(_) => n.totals = true,
                Term::WowPp(_) | Term::WowPct(_) => {
                    n.totals = true;
                    n.previous = true
                }
                Term::Latency(_) => n.latency = true,
                Term::ExpertRate { .. } => n.experts = true,
            }
        }
        n
    }
}

/// What a set of expectations reads.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Needs {
    /// The `totals` section.
    pub totals: bool,
    /// The previous period's totals.
    pub previous: bool,
    /// The `experts` section.
    pub experts: bool,
    /// The latency over the window.
    pub latency: bool,
}

/// An expectation's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The condition holds.
    Pass,
    /// A `--warn` condition does not hold.
    Warn,
    /// An `--expect` condition does not hold.
    Fail,
    /// The guard is not met, or the value is undefined (no base to compare with).
    Skip,
}

impl Status {
    /// `pass`, `warn`, `fail`, `skip`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// One evaluated expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    /// The expectation.
    pub expectation: Expectation,
    /// Its status.
    pub status: Status,
    /// The value read (`None`: undefined).
    pub observed: Option<f64>,
}

impl Evaluated {
    /// `FAIL conversion_rate_pct >= 50 (observed 43.20)`.
    pub fn line(&self) -> String {
        let observed = self.observed.map_or("none".to_string(), format_observed);
        format!("{} {} (observed {observed})", self.status.name().to_uppercase(), self.expectation.text)
    }
}

/// Two decimals for fractions, none for whole numbers.
pub(crate) fn format_observed(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// What a run showed, for the expectations.
#[derive(Debug, Default, Clone)]
pub(crate) struct Observed {
    /// The totals row.
    pub totals: Option<TotalsRow>,
    /// The previous period's totals row.
    pub previous: Option<TotalsRow>,
    /// Every expert's `faq_rate_pct`.
    pub expert_rates: Vec<f64>,
    /// The latency over the window.
    pub latency: Option<LatencyRow>,
}

fn number(cell: Option<&Cell>) -> Option<f64> {
    match cell? {
        Cell::Int(v) => v.map(|v| v as f64),
        Cell::Pct(p) => p.map(|p| p.as_f64()),
        Cell::Seconds(s) => *s,
        _ => None,
    }
}

/// The `totals` column an expectation names (`metric` is a column name the parser checked),
/// read from the typed row's cells ([`Row::cells`], the one place a row's columns are laid out).
fn total(row: Option<&TotalsRow>, name: &str) -> Option<f64> {
    let i = totals::SECTION.columns.iter().position(|c| c.name == name)?;
    number(Row::Totals(row?).cells().get(i))
}

impl Observed {
    fn value(&self, term: &Term) -> Option<f64> {
        match term {
            Term::Total(m) => total(self.totals.as_ref(), m),
            Term::WowPp(m) => {
                let (now, before) = (total(self.totals.as_ref(), m)?, total(self.previous.as_ref(), m)?);
                // In hundredths first, so 52.74 - 50.10 is 2.64, not 2.6400000000000006.
                Some(((now * 100.0).round() - (before * 100.0).round()) / 100.0)
            }
            Term::WowPct(m) => {
                let (now, before) = (total(self.totals.as_ref(), m)?, total(self.previous.as_ref(), m)?);
                (before != 0.0).then(|| ((now - before) / before * 10_000.0).round() / 100.0)
            }
            Term::Latency(m) => {
                let l = self.latency.as_ref()?;
                match *m {
                    "within_sla_pct" => l.within_sla_pct().map(|p| p.as_f64()),
                    "p50_seconds" => l.percentiles[0],
                    _ => l.percentiles[1],
                }
            }
            Term::ExpertRate { max } => {
                let it = self.expert_rates.iter().copied();
                if *max {
                    it.reduce(f64::max)
                } else {
                    it.reduce(f64::min)
                }
            }
        }
    }

    /// Evaluates every expectation.
    pub(crate) fn evaluate(&self, expectations: &[Expectation]) -> Vec<Evaluated> {
        expectations
            .iter()
            .map(|e| {
                let observed = self.value(&e.term);
                let guarded = match &e.guard {
                    None => true,
                    Some((t, op, n)) => self.value(t).is_some_and(|v| op.holds(v, *n)),
                };
                let status = match (guarded, observed) {
                    (false, _) | (_, None) => Status::Skip,
                    (true, Some(v)) if e.op.holds(v, e.threshold) => Status::Pass,
                    (true, Some(_)) => match e.level {
                        Level::Expect => Status::Fail,
                        Level::Warn => Status::Warn,
                    },
                };
                Evaluated { expectation: e.clone(), status, observed }
            })
            .collect()
    }
}

/// The results shared between the [`Observer`] and the command after the run.
pub(crate) type Shared = Rc<RefCell<Vec<Evaluated>>>;

/// A sink in front of the output's: notes what the expectations read, evaluates them before
/// the output is finished, and hands the results to the output ([`Sink::expectations`]).
pub(crate) struct Observer {
    inner: Box<dyn Sink>,
    expectations: Vec<Expectation>,
    wants_previous: bool,
    observed: Observed,
    results: Shared,
}

impl Observer {
    /// Wraps `inner`; the results land in `results`.
    pub fn new(inner: Box<dyn Sink>, expectations: Vec<Expectation>, results: Shared) -> Self {
        let wants_previous = expectations.iter().any(|e| e.needs().previous);
        Observer { inner, expectations, wants_previous, observed: Observed::default(), results }
    }
}

impl Sink for Observer {
    fn begin(&mut self, section: &Section, by: crate::reports::Protocol<'_>) -> Result<()> {
        self.inner.begin(section, by)
    }
    fn row(&mut self, row: Row<'_>, by: crate::reports::Protocol<'_>) -> Result<()> {
        match row {
            Row::Totals(t) => self.observed.totals = Some(*t),
            Row::Expert(e) => self.observed.expert_rates.extend(e.faq_rate_pct().map(Pct::as_f64)),
            _ => {}
        }
        self.inner.row(row, by)
    }
    fn end(&mut self, by: crate::reports::Protocol<'_>) -> Result<()> {
        self.inner.end(by)
    }
    fn finish(mut self: Box<Self>, by: crate::reports::Complete) -> Result<()> {
        let results = self.observed.evaluate(&self.expectations);
        self.inner.expectations(&results)?;
        *self.results.borrow_mut() = results;
        self.inner.finish(by)
    }
    fn wants_previous_totals(&self) -> bool {
        self.wants_previous || self.inner.wants_previous_totals()
    }
    fn previous_totals(&mut self, window: &Window, row: &TotalsRow) -> Result<()> {
        self.observed.previous = Some(*row);
        if self.inner.wants_previous_totals() {
            self.inner.previous_totals(window, row)?;
        }
        Ok(())
    }
    fn latency_overall(&mut self, row: &LatencyRow) -> Result<()> {
        self.observed.latency = Some(row.clone());
        self.inner.latency_overall(row)
    }
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// The JUnit XML report: one testcase per expectation, a `<failure>` for each FAIL, a
/// `<skipped>` for each SKIP; a WARN passes with its line in `<system-out>`.
pub(crate) fn junit(results: &[Evaluated]) -> String {
    let failures = results.iter().filter(|r| r.status == Status::Fail).count();
    let skipped = results.iter().filter(|r| r.status == Status::Skip).count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<testsuites name=\"faqlink\" tests=\"{n}\" failures=\"{failures}\">\n  <testsuite name=\"faqlink expectations\" tests=\"{n}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n",
        n = results.len()
    ));
    for r in results {
        let name = xml(&r.expectation.text);
        s.push_str(&format!("    <testcase classname=\"faqlink.{}\" name=\"{name}\">", r.expectation.level.name()));
        match r.status {
            Status::Fail => {
                s.push_str(&format!("\n      <failure message=\"{}\" type=\"expectation\"/>\n    ", xml(&r.line())))
            }
            Status::Skip => s.push_str(&format!("\n      <skipped message=\"{}\"/>\n    ", xml(&r.line()))),
            Status::Warn => s.push_str(&format!("\n      <system-out>{}</system-out>\n    ", xml(&r.line()))),
            Status::Pass => {}
        }
        s.push_str("</testcase>\n");
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(t: &str) -> Expectation {
        parse(t, Level::Expect).unwrap_or_else(|e| panic!("{t}: {e}"))
    }

    fn bad(t: &str) -> String {
        parse(t, Level::Expect).unwrap_err().to_string()
    }

    #[test]
    fn the_grammar() {
        let e = ok("conversion_rate_pct >= 50");
        assert_eq!((e.term, e.op, e.threshold), (Term::Total("conversion_rate_pct"), Op::Ge, 50.0));
        assert_eq!(ok("wow_pp(conversion_rate_pct)>=-5").term, Term::WowPp("conversion_rate_pct"));
        assert_eq!(ok("wow_pct( feedback_total ) > -20.5").threshold, -20.5);
        assert_eq!(ok("min(experts.faq_rate_pct) > 10").term, Term::ExpertRate { max: false });
        assert_eq!(ok("within_sla_pct >= 90").term, Term::Latency("within_sla_pct"));
        let g = ok("wow_pct(faqs_generated) >= -10 when feedback_total >= 100");
        assert_eq!(g.guard, Some((Term::Total("feedback_total"), Op::Ge, 100.0)));
        for (t, op) in [("<", Op::Lt), ("<=", Op::Le), ("==", Op::Eq), ("!=", Op::Ne), (">", Op::Gt)] {
            assert_eq!(ok(&format!("orphaned_links {t} 0")).op, op);
        }
    }

    /// Every error path: the message names the expression, the column and the token, and
    /// suggests a name where one helps.
    #[test]
    fn every_error_path() {
        let cases: [(&str, &[&str]); 14] = [
            ("conversion_rate_pc >= 50", &["'conversion_rate_pc >= 50'", "column 1", "`conversion_rate_pct`"]),
            ("wow_p(conversion_rate_pct) > 1", &["column 1", "unknown function `wow_p`", "`wow_pp`"]),
            ("wow_pp(conversion_rate) > 1", &["column 8", "did you mean `conversion_rate_pct`"]),
            ("wow_pp(p50_seconds) > 1", &["column 8", "is a latency"]),
            ("min(faq_rate_pct) > 1", &["column 5", "applies to `experts.faq_rate_pct`"]),
            ("orphaned_links = 0", &["column 16", "unexpected `=`"]),
            ("orphaned_links 0", &["column 16", "expected a comparison"]),
            ("orphaned_links ==", &["column 18", "expected a number at the end"]),
            ("orphaned_links == zero", &["column 19", "expected a number, found `zero`"]),
            ("orphaned_links == 0 if x", &["column 21", "expected the end or `when"]),
            ("orphaned_links == 0 when feedback_totl > 1", &["column 26", "`feedback_total`"]),
            ("orphaned_links == 0 when feedback_total > 1 x", &["column 45", "after the guard"]),
            ("wow_pp(conversion_rate_pct > 1", &["column 28", "expected `)`"]),
            ("", &["expected a metric at the end"]),
        ];
        for (t, wants) in cases {
            let m = bad(t);
            for w in wants {
                assert!(m.contains(w), "{t:?}: {m:?} lacks {w:?}");
            }
            assert!(m.starts_with("--expect '"), "{m}");
        }
        assert!(bad("x ~ 1").contains("unexpected `~`"));
        assert!(bad("== 1").contains("expected a metric, found `==`"));
        assert!(bad("min(1) > 1").contains("expected a metric, found `1`"));
    }

    #[test]
    fn evaluation_and_guards() {
        // `conv` hundredths of a percent: that many FAQs linked per 10 000 correct feedback.
        let totals = |conv: i64, fb: i64| {
            let counters = crate::reports::counters::Counters {
                feedback_total: fb,
                correct_feedback: 10_000,
                faqs_generated: conv,
                ..Default::default()
            };
            TotalsRow { counters, ..Default::default() }
        };
        let o = Observed {
            totals: Some(totals(4320, 50)),
            previous: Some(totals(5000, 40)),
            expert_rates: vec![10.0, 55.5],
            latency: None,
        };
        let es: Vec<Expectation> = [
            "conversion_rate_pct >= 50",
            "wow_pp(conversion_rate_pct) >= -5",
            "wow_pct(feedback_total) == 25",
            "max(experts.faq_rate_pct) == 55.5",
            "conversion_rate_pct >= 50 when feedback_total >= 100",
            "within_sla_pct >= 90",
        ]
        .iter()
        .map(|t| ok(t))
        .collect();
        let r = o.evaluate(&es);
        let st: Vec<Status> = r.iter().map(|e| e.status).collect();
        assert_eq!(st, [Status::Fail, Status::Fail, Status::Pass, Status::Pass, Status::Skip, Status::Skip]);
        assert_eq!(r[0].line(), "FAIL conversion_rate_pct >= 50 (observed 43.20)");
        assert_eq!(r[1].observed, Some(-6.8));
        let w = o.evaluate(&[parse("conversion_rate_pct >= 50", Level::Warn).unwrap()]);
        assert_eq!(w[0].status, Status::Warn);
        let x = junit(&r);
        assert!(x.contains("failures=\"2\"") && x.contains("<failure message=\"FAIL conversion_rate_pct &gt;= 50"));
    }
}
