//! `report moved`: why conversion moved. The change in conversion (FAQs linked per `correct`
//! feedback) between two periods is split into per-expert contributions that add up exactly to
//! the change, with the symmetric Kitagawa decomposition.
//!
//! For expert i: w its share of the period's `correct` feedback, r its rate (linked / correct),
//! R the overall rate; 0 is the period before, 1 the period after; r̄ᵢ = (r0ᵢ + r1ᵢ)/2 and
//! R̄ = (R0 + R1)/2:
//!
//! - mixᵢ = (w1ᵢ − w0ᵢ) · (r̄ᵢ − R̄)
//! - rateᵢ = (r1ᵢ − r0ᵢ) · (w0ᵢ + w1ᵢ)/2
//!
//! Σ mixᵢ + Σ rateᵢ = R1 − R0 exactly: (w1 − w0)·r̄ + (r1 − r0)·w̄ = w1·r1 − w0·r0 for every
//! expert, Σ w·r = R in each period, and Σ (w1 − w0)·R̄ = 0 because the shares of each period
//! sum to 1. An expert present in one period only has r0 := r1 (new) or r1 := r0 (gone), so
//! all of their contribution is mix. Every sum is done in exact rational arithmetic over the
//! integer counts (`BigRational`); each shown number is its exact value rounded once to
//! hundredths of a point, halves away from zero. Rounded rows may therefore differ from the
//! rounded total by a few hundredths; the exact values never do.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::QueryableByName;
use num_bigint::BigInt as Big;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive};

use super::{col, Cell, Pct, Section};
use super::{ReportKind, Window};
use crate::db::{Database, Param, Sql, Timestamp};
use crate::error::Result;

/// The headline: the two periods and the change, split into mix and rate.
pub(crate) const SUMMARY: Section = Section {
    kind: ReportKind::MovedSummary,
    title: "What moved conversion",
    columns: &[
        col("before_since", "Before: from (UTC)", false),
        col("before_until", "Before: until (UTC)", false),
        col("after_since", "After: from (UTC)", false),
        col("after_until", "After: until (UTC)", false),
        col("correct_before", "Correct before", true),
        col("correct_after", "Correct after", true),
        col("rate_before_pct", "Rate before %", true),
        col("rate_after_pct", "Rate after %", true),
        col("change_pp", "Change pts", true),
        col("mix_pp", "Mix pts", true),
        col("rate_pp", "Rate pts", true),
    ],
    single_row: true,
};

/// One row per expert, then the total (empty `expert_id`).
pub const SECTION: Section = Section {
    kind: ReportKind::Moved,
    title: "What moved conversion, by expert",
    columns: &[
        col("expert_id", "Expert", false),
        col("professional_registration_number", "Registration no.", false),
        col("share_before_pct", "Share before %", true),
        col("share_after_pct", "Share after %", true),
        col("rate_before_pct", "Rate before %", true),
        col("rate_after_pct", "Rate after %", true),
        col("mix_pp", "Mix pts", true),
        col("rate_pp", "Rate pts", true),
        col("total_pp", "Total pts", true),
    ],
    single_row: false,
};

/// An expert's `correct` feedback and linked FAQs in each period.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct ExpertCounts {
    /// `expert_feedback.expert_id`.
    #[diesel(sql_type = Text)]
    pub expert_id: String,
    /// From the profile; NULL without one.
    #[diesel(sql_type = Nullable<Text>)]
    pub professional_registration_number: Option<String>,
    /// `correct` rows in the period before.
    #[diesel(sql_type = BigInt)]
    pub correct_before: i64,
    /// Of those, linked to an FAQ.
    #[diesel(sql_type = BigInt)]
    pub linked_before: i64,
    /// `correct` rows in the period after.
    #[diesel(sql_type = BigInt)]
    pub correct_after: i64,
    /// Of those, linked to an FAQ.
    #[diesel(sql_type = BigInt)]
    pub linked_after: i64,
}

/// One expert's contribution, exact.
#[derive(Debug, Clone, PartialEq)]
pub struct MovedRow {
    /// The expert's counts.
    pub counts: ExpertCounts,
    /// mixᵢ as a fraction (not yet in points); `None` when a period has no correct feedback.
    pub mix: Option<BigRational>,
    /// rateᵢ as a fraction.
    pub rate: Option<BigRational>,
}

impl MovedRow {
    /// mixᵢ + rateᵢ.
    pub(crate) fn total(&self) -> Option<BigRational> {
        Some(self.mix.clone()? + self.rate.clone()?)
    }
}

/// The report: the periods, the experts' rows (sorted), and the exact headline.
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    /// The period before.
    pub before: Window,
    /// The period after (the report's window).
    pub after: Window,
    /// Sorted by |total| descending, then expert_id.
    pub rows: Vec<MovedRow>,
    /// Σ correct and Σ linked before, and after.
    pub sums: [i64; 4],
}

/// A fraction in hundredths of a point (`fraction × 10 000`), halves away from zero.
pub(crate) fn points(fraction: &BigRational) -> Pct {
    let hundredths = (fraction * BigRational::from_integer(Big::from(10_000))).round();
    Pct(hundredths.to_integer().to_i64().unwrap_or(if fraction.is_negative() { i64::MIN } else { i64::MAX }))
}

fn ratio(n: i64, d: i64) -> Option<BigRational> {
    (d != 0).then(|| BigRational::new(Big::from(n), Big::from(d)))
}

impl Moved {
    /// R0, the rate before (`None` without correct feedback).
    pub(crate) fn rate_before(&self) -> Option<BigRational> {
        ratio(self.sums[1], self.sums[0])
    }

    /// R1, the rate after.
    pub(crate) fn rate_after(&self) -> Option<BigRational> {
        ratio(self.sums[3], self.sums[2])
    }

    /// R1 − R0.
    pub(crate) fn change(&self) -> Option<BigRational> {
        Some(self.rate_after()? - self.rate_before()?)
    }

    /// Σ mixᵢ (`None` when the change is undefined).
    pub(crate) fn mix(&self) -> Option<BigRational> {
        self.change()?;
        self.rows.iter().map(|r| r.mix.clone()).sum()
    }

    /// Σ rateᵢ (`None` when the change is undefined).
    pub(crate) fn rate(&self) -> Option<BigRational> {
        self.change()?;
        self.rows.iter().map(|r| r.rate.clone()).sum()
    }

    /// The summary row.
    pub(crate) fn summary_cells(&self) -> Vec<Cell> {
        let pp = |x: Option<BigRational>| Cell::Pct(x.map(|x| points(&x)));
        vec![
            Cell::Timestamp(self.before.since),
            Cell::Timestamp(self.before.until),
            Cell::Timestamp(self.after.since),
            Cell::Timestamp(self.after.until),
            Cell::Int(Some(self.sums[0])),
            Cell::Int(Some(self.sums[2])),
            Cell::Pct(Pct::of(self.sums[1], self.sums[0])),
            Cell::Pct(Pct::of(self.sums[3], self.sums[2])),
            pp(self.change()),
            pp(self.mix()),
            pp(self.rate()),
        ]
    }

    /// The experts' rows, then the total row (empty expert_id and registration number).
    #[cfg(test)]
    pub(crate) fn rows_cells(&self) -> Vec<Vec<Cell>> {
        self.lines().map(|line| self.line_cells(line)).collect()
    }

    /// The section's lines: each expert's row (`Some`), then the total row (`None`).
    pub(crate) fn lines(&self) -> impl Iterator<Item = Option<&MovedRow>> {
        self.rows.iter().map(Some).chain(std::iter::once(None))
    }

    /// One line of the section as cells: an expert's row, or the total row (`None`: empty
    /// expert_id and registration number, the headline's mix, rate and change).
    pub(crate) fn line_cells(&self, line: Option<&MovedRow>) -> Vec<Cell> {
        let pp = |x: Option<BigRational>| Cell::Pct(x.map(|x| points(&x)));
        let [c0, f0, c1, f1] = self.sums;
        match line {
            Some(r) => {
                let k = &r.counts;
                vec![
                    Cell::Text(Some(k.expert_id.clone())),
                    Cell::Text(k.professional_registration_number.clone()),
                    Cell::Pct(Pct::of(k.correct_before, c0)),
                    Cell::Pct(Pct::of(k.correct_after, c1)),
                    Cell::Pct(Pct::of(k.linked_before, k.correct_before)),
                    Cell::Pct(Pct::of(k.linked_after, k.correct_after)),
                    pp(r.mix.clone()),
                    pp(r.rate.clone()),
                    pp(r.total()),
                ]
            }
            None => vec![
                Cell::Text(None),
                Cell::Text(None),
                Cell::Pct(Pct::of(c0, c0)),
                Cell::Pct(Pct::of(c1, c1)),
                Cell::Pct(Pct::of(f0, c0)),
                Cell::Pct(Pct::of(f1, c1)),
                pp(self.mix()),
                pp(self.rate()),
                pp(self.change()),
            ],
        }
    }
}

/// The decomposition of per-expert counts (any order); `before` and `after` are carried to
/// the output.
pub(crate) fn decompose(counts: Vec<ExpertCounts>, before: Window, after: Window) -> Moved {
    let sums = counts.iter().fold([0i64; 4], |s, c| {
        [s[0] + c.correct_before, s[1] + c.linked_before, s[2] + c.correct_after, s[3] + c.linked_after]
    });
    let [c0, f0, c1, f1] = sums;
    let defined = c0 > 0 && c1 > 0;
    let half = BigRational::new(Big::from(1), Big::from(2));
    let mean_rate = defined.then(|| (ratio(f0, c0).unwrap() + ratio(f1, c1).unwrap()) * &half);
    let mut rows: Vec<MovedRow> = counts
        .into_iter()
        .filter(|c| c.correct_before > 0 || c.correct_after > 0)
        .map(|k| {
            let (mix, rate) = match &mean_rate {
                None => (None, None),
                Some(mean_rate) => {
                    let w0 = ratio(k.correct_before, c0).unwrap();
                    let w1 = ratio(k.correct_after, c1).unwrap();
                    // A new expert's rate before is taken as their rate after, and the reverse.
                    let r0 = ratio(k.linked_before, k.correct_before);
                    let r1 = ratio(k.linked_after, k.correct_after);
                    let (r0, r1) = match (r0, r1) {
                        (Some(a), Some(b)) => (a, b),
                        (None, Some(b)) => (b.clone(), b),
                        (Some(a), None) => (a.clone(), a),
                        (None, None) => unreachable!("filtered: present in a period"),
                    };
                    let mean_r = (&r0 + &r1) * &half;
                    let mix = (&w1 - &w0) * (mean_r - mean_rate);
                    let rate = (r1 - r0) * ((w0 + w1) * &half);
                    (Some(mix), Some(rate))
                }
            };
            MovedRow { counts: k, mix, rate }
        })
        .collect();
    rows.sort_by(|a, b| {
        let mag = |r: &MovedRow| r.total().map(|t| t.abs());
        match (mag(a), mag(b)) {
            (Some(x), Some(y)) => y.cmp(&x),
            _ => Ordering::Equal,
        }
        .then_with(|| a.counts.expert_id.as_bytes().cmp(b.counts.expert_id.as_bytes()))
    });
    Moved { before, after, rows, sums }
}

/// Computes the report for `after` (bounded on both sides) against `before` (by default
/// [`Window::previous`]): one statement over both periods, grouped by expert.
pub(crate) fn compute(db: &mut Database, before: &Window, after: &Window) -> Result<Moved> {
    let (Some(b0), Some(b1), Some(a0), Some(a1)) = (before.since, before.until, after.since, after.until) else {
        return Err(crate::error::Error::Usage(
            "report moved needs a window bounded on both sides: --week, --last-week, or --since with --until".into(),
        ));
    };
    let sql = statement(db, [b0, b1, a0, a1]);
    let counts: Vec<ExpertCounts> = db.load("the moved report", &sql)?;
    Ok(decompose(counts, before.clone(), after.clone()))
}

/// The statement of [`compute`]: per expert, the correct and linked rows in
/// `[b0, b1)` (before) and `[a0, a1)` (after).
pub fn statement(db: &Database, [b0, b1, a0, a1]: [DateTime<Utc>; 4]) -> Sql {
    let ts = |t: DateTime<Utc>| Param::Ts(Timestamp(t));
    let mut sql = db.sql();
    // The feedback timestamp as the run reads it (`Sql::ts`: on SQLite every accepted stored
    // form reads as its instant), in every comparison.
    let at = sql.ts("ef.feedback_timestamp");
    let between = |sql: &mut Sql, from: DateTime<Utc>, to: DateTime<Utc>| {
        sql.push(&format!("{at} >= ")).bind(ts(from)).push(&format!(" AND {at} < ")).bind(ts(to));
    };
    sql.push(
        "SELECT CAST(s.expert_id AS TEXT) AS expert_id, \
                ep.professional_registration_number AS professional_registration_number, \
                s.correct_before AS correct_before, s.linked_before AS linked_before, \
                s.correct_after AS correct_after, s.linked_after AS linked_after \
         FROM (SELECT ef.expert_id AS expert_id, COUNT(*) FILTER (WHERE ",
    );
    between(&mut sql, b0, b1);
    sql.push(") AS correct_before, COUNT(ef.generated_faq_id) FILTER (WHERE ");
    between(&mut sql, b0, b1);
    sql.push(") AS linked_before, COUNT(*) FILTER (WHERE ");
    between(&mut sql, a0, a1);
    sql.push(") AS correct_after, COUNT(ef.generated_faq_id) FILTER (WHERE ");
    between(&mut sql, a0, a1);
    sql.push(") AS linked_after FROM expert_feedback ef WHERE ef.feedback_type = 'correct'");
    if b1 == a0 {
        // Adjacent periods (always, from `Window::previous`): one range, which the timestamp
        // index reads (an OR of two ranges made SQLite read every `correct` row).
        let both = Window { since: Some(b0), until: Some(a1), tz: chrono_tz::UTC };
        super::push_window(&mut sql, "ef.feedback_timestamp", &both);
    } else {
        sql.push(" AND ((");
        between(&mut sql, b0, b1);
        sql.push(") OR (");
        between(&mut sql, a0, a1);
        sql.push("))");
    }
    sql.push(
        " GROUP BY ef.expert_id) s \
         LEFT JOIN expert_profiles ep ON ep.id = s.expert_id",
    );
    sql
}

/// The statement of [`before_counts`]: per expert, the correct and linked rows in `[b0, b1)`
/// as the period before (the period after's counts 0).
pub(crate) fn before_statement(db: &Database, b0: DateTime<Utc>, b1: DateTime<Utc>) -> Sql {
    let mut sql = db.sql();
    sql.push(
        "SELECT CAST(s.expert_id AS TEXT) AS expert_id, \
                ep.professional_registration_number AS professional_registration_number, \
                s.correct_before AS correct_before, s.linked_before AS linked_before, \
                CAST(0 AS BIGINT) AS correct_after, CAST(0 AS BIGINT) AS linked_after \
         FROM (SELECT ef.expert_id AS expert_id, COUNT(*) AS correct_before, \
                      COUNT(ef.generated_faq_id) AS linked_before \
               FROM expert_feedback ef WHERE ef.feedback_type = 'correct'",
    );
    let period = Window { since: Some(b0), until: Some(b1), tz: chrono_tz::UTC };
    super::push_window(&mut sql, "ef.feedback_timestamp", &period);
    sql.push(" GROUP BY ef.expert_id) s LEFT JOIN expert_profiles ep ON ep.id = s.expert_id");
    sql
}

/// The period before's counts per expert (`before` bounded on both sides), for a run that
/// counts the period after itself ([`super::window_pass`]).
pub(crate) fn before_counts(db: &mut Database, before: &Window) -> Result<Vec<ExpertCounts>> {
    let (Some(b0), Some(b1)) = (before.since, before.until) else {
        return Err(crate::error::Error::Usage("the period before must be bounded on both sides".into()));
    };
    db.load("the moved report (the period before)", &before_statement(db, b0, b1))
}

/// The period after's counts per expert, gathered from groups of rows (any order, an expert
/// in several), then joined to the period before's.
#[derive(Debug, Default)]
pub(crate) struct AfterCounts {
    index: std::collections::HashMap<String, usize>,
    experts: Vec<ExpertCounts>,
}

impl AfterCounts {
    /// Adds a group of `expert`'s rows: `correct` of them correct, `linked` of those linked.
    pub(crate) fn add(&mut self, expert: &str, registration: Option<&String>, correct: i64, linked: i64) {
        if correct == 0 {
            return;
        }
        let experts = &mut self.experts;
        let i = *self.index.entry(expert.to_string()).or_insert_with(|| {
            experts.push(ExpertCounts {
                expert_id: expert.to_string(),
                professional_registration_number: registration.cloned(),
                correct_before: 0,
                linked_before: 0,
                correct_after: 0,
                linked_after: 0,
            });
            experts.len() - 1
        });
        experts[i].correct_after += correct;
        experts[i].linked_after += linked;
    }

    /// Both periods' counts per expert, `before` being [`before_counts`]'s.
    pub(crate) fn join(mut self, before: Vec<ExpertCounts>) -> Vec<ExpertCounts> {
        for b in before {
            match self.index.get(&b.expert_id) {
                Some(&i) => {
                    self.experts[i].correct_before += b.correct_before;
                    self.experts[i].linked_before += b.linked_before;
                }
                None => self.experts.push(b),
            }
        }
        self.experts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_traits::Zero;
    use proptest::prelude::*;

    fn counts(id: &str, c0: i64, f0: i64, c1: i64, f1: i64) -> ExpertCounts {
        ExpertCounts {
            expert_id: id.into(),
            professional_registration_number: None,
            correct_before: c0,
            linked_before: f0,
            correct_after: c1,
            linked_after: f1,
        }
    }

    fn w() -> Window {
        Window::all(chrono_tz::UTC)
    }

    #[test]
    fn simpsons_paradox_an_expert_falls_while_the_whole_rises() {
        // A: 50% of 100 before, 40% of 400 after (share 0.1 -> 0.8); B: 10% of 900 -> 10% of 100.
        let m = decompose(vec![counts("a", 100, 50, 400, 160), counts("b", 900, 90, 100, 10)], w(), w());
        let a = m.rows.iter().find(|r| r.counts.expert_id == "a").unwrap();
        assert!(m.change().unwrap().is_positive(), "the overall rate rose: 14% -> 34%");
        assert!(a.rate.clone().unwrap().is_negative(), "A's own rate fell");
        assert!(a.mix.clone().unwrap().is_positive(), "A's growing share of an above-average rate");
        assert_eq!(points(&m.change().unwrap()), Pct(2000));
        assert_eq!(m.mix().unwrap() + m.rate().unwrap(), m.change().unwrap());
    }

    #[test]
    fn new_and_gone_experts_move_only_the_mix() {
        let m = decompose(
            vec![counts("new", 0, 0, 10, 9), counts("gone", 10, 1, 0, 0), counts("x", 10, 5, 10, 5)],
            w(),
            w(),
        );
        for r in &m.rows {
            if r.counts.expert_id != "x" {
                assert!(r.rate.clone().unwrap().is_zero(), "{r:?}");
            }
        }
        assert_eq!(m.mix().unwrap() + m.rate().unwrap(), m.change().unwrap());
    }

    #[test]
    fn an_empty_period_leaves_contributions_undefined() {
        let m = decompose(vec![counts("a", 0, 0, 10, 9)], w(), w());
        assert_eq!(m.change(), None);
        assert_eq!(m.rows[0].mix, None);
        assert!(matches!(m.rows_cells().last().unwrap()[8], Cell::Pct(None)));
    }

    #[test]
    fn points_round_halves_away_from_zero() {
        let r = |n: i64, d: i64| points(&BigRational::new(Big::from(n), Big::from(d)));
        assert_eq!(r(1, 8), Pct(1250));
        assert_eq!(r(1, 20_000), Pct(1));
        assert_eq!(r(-1, 20_000), Pct(-1));
        assert_eq!(r(1, 20_001), Pct(0));
        assert_eq!(r(1, 3), Pct(3333));
    }

    proptest! {
        /// The rows add up to the headline change, exactly, whatever the counts.
        #[test]
        fn rows_sum_to_the_change(experts in proptest::collection::vec((0i64..500, 0i64..500, 0i64..500, 0i64..500), 1..40)) {
            let cs: Vec<ExpertCounts> = experts.iter().enumerate()
                .map(|(i, &(c0, f0, c1, f1))| counts(&format!("e{i}"), c0, f0.min(c0), c1, f1.min(c1)))
                .collect();
            let m = decompose(cs, w(), w());
            if let Some(change) = m.change() {
                let total: BigRational = m.rows.iter().map(|r| r.total().unwrap()).sum();
                prop_assert_eq!(total, change.clone());
                prop_assert_eq!(m.mix().unwrap() + m.rate().unwrap(), change);
                // Sorted by |total| descending.
                for pair in m.rows.windows(2) {
                    prop_assert!(pair[0].total().unwrap().abs() >= pair[1].total().unwrap().abs());
                }
            }
        }
    }
}
