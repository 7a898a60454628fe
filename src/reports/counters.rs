//! The funnel's counters, each declared once (its name, its doc, its aggregate) in the
//! `counters!` list below: the [`Counters`] struct, its sum, [`SQL`] and every other select
//! list over counters ([`select_as`], [`columns`], [`zeros`]; `WEEK_SQL`) are generated from
//! it, so no statement types a counter's alias.
//!
//! `totals` is these counters over the window, `weekly` the same per week, and `report all`
//! on PostgreSQL the same per (expert, week) ([`super::shared`], [`super::window_pass`]); a
//! split SQLite scan adds two parts' counters ([`super::split`]). A new counter is one line
//! here; the compiler then points at `From<Counters> for WeekCounters` (shown weekly or not)
//! and `TotalsRow::cells` (its column in `totals`), which destructure every field.

use std::ops::{Add, AddAssign};
use std::sync::LazyLock;

use diesel::sql_types::BigInt;
use diesel::QueryableByName;

/// Declares the counters, each once: its doc, its name and its aggregate over feedback rows
/// `ef`. From this one list come the [`Counters`] struct, [`SQL`] (every aggregate `AS` its
/// name), [`NAMES`] (for the select lists other statements build: [`select_as`],
/// [`zeros`], [`columns`]) and the sum.
macro_rules! counters {
    ($( $(#[doc = $doc:expr])* $name:ident = $agg:expr ),+ $(,)?) => {
        /// The funnel's counters over a set of feedback rows.
        #[derive(Debug, Default, Clone, Copy, PartialEq, Eq, QueryableByName)]
        pub struct Counters {
            $( $(#[doc = $doc])* #[diesel(sql_type = BigInt)] pub $name: i64, )+
        }

        /// Every counter's name, in declaration order (each is also its column alias).
        pub(crate) const NAMES: &[&str] = &[$(stringify!($name)),+];

        /// Each counter's aggregate over feedback rows `ef`, by name.
        const AGGREGATES: &[(&str, &str)] = &[$((stringify!($name), $agg)),+];

        impl Add for Counters {
            type Output = Counters;

            /// The counters of two disjoint sets of rows.
            fn add(self, other: Counters) -> Counters {
                Counters { $( $name: self.$name + other.$name, )+ }
            }
        }
    };
}

counters! {
    /// Every feedback row.
    feedback_total = "COUNT(*)",
    /// `correct` rows.
    correct_feedback = "COUNT(*) FILTER (WHERE ef.feedback_type = 'correct')",
    /// `incomplete` rows.
    incomplete_feedback = "COUNT(*) FILTER (WHERE ef.feedback_type = 'incomplete')",
    /// `incorrect` rows.
    incorrect_feedback = "COUNT(*) FILTER (WHERE ef.feedback_type = 'incorrect')",
    /// Correct rows with `task_creation_attempted` TRUE.
    workflow_attempted = "COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_attempted IS TRUE)",
    /// Correct rows with `task_creation_success` TRUE.
    faq_published = "COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_success IS TRUE)",
    /// Correct rows with `generated_faq_id` set.
    faqs_generated = "COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.generated_faq_id IS NOT NULL)",
    /// Correct rows with success TRUE and no link (FAQ deleted, SET NULL fired).
    orphaned_links = "COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_success IS TRUE \
         AND ef.generated_faq_id IS NULL)",
}

/// `agg AS name, …` for `names` (each must be a counter).
fn select(names: &[&str]) -> String {
    let agg = |name: &&str| AGGREGATES.iter().find(|(n, _)| n == name).map(|(_, a)| *a).expect("a counter's name");
    names.iter().map(|n| format!("{} AS {n}", agg(n))).collect::<Vec<_>>().join(", ")
}

/// The select list computing every [`Counters`] field over feedback rows `ef` (aggregates:
/// the statement's GROUP BY decides the grouping).
pub(crate) static SQL: LazyLock<String> = LazyLock::new(|| select(NAMES));

/// `alias.name AS name, …` for every counter: the counters of a subquery `alias`.
pub(crate) fn select_as(alias: &str) -> String {
    NAMES.iter().map(|n| format!("{alias}.{n} AS {n}")).collect::<Vec<_>>().join(", ")
}

/// `alias.name, …` for every counter (a later branch of a UNION takes the first's aliases).
pub(crate) fn columns(alias: &str) -> String {
    NAMES.iter().map(|n| format!("{alias}.{n}")).collect::<Vec<_>>().join(", ")
}

/// `0 AS name, …` for every counter (the parts of a result that are not counted).
pub(crate) fn zeros() -> String {
    NAMES.iter().map(|n| format!("0 AS {n}")).collect::<Vec<_>>().join(", ")
}

/// The part of the funnel the weekly report shows, per week: four of the [`Counters`],
/// computed by the same aggregates ([`WEEK_SQL`]). The weekly scan reads every row of the
/// history, and the four counters it does not show cost it 13 % (1M rows, both backends).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct WeekCounters {
    /// Every feedback row.
    #[diesel(sql_type = BigInt)]
    pub feedback_total: i64,
    /// `correct` rows.
    #[diesel(sql_type = BigInt)]
    pub correct_feedback: i64,
    /// Correct rows with `generated_faq_id` set.
    #[diesel(sql_type = BigInt)]
    pub faqs_generated: i64,
    /// Correct rows with success TRUE and no link.
    #[diesel(sql_type = BigInt)]
    pub orphaned_links: i64,
}

/// The select list computing every [`WeekCounters`] field (the same aggregates as [`SQL`]).
pub(crate) static WEEK_SQL: LazyLock<String> =
    LazyLock::new(|| select(&["feedback_total", "correct_feedback", "faqs_generated", "orphaned_links"]));

impl From<Counters> for WeekCounters {
    /// The weekly part of a group's counters (`report all`'s shared pass counts them all).
    fn from(c: Counters) -> Self {
        // Every field by name, no `..`: a new counter does not compile until it is shown
        // weekly or left out here on purpose.
        let Counters {
            feedback_total,
            correct_feedback,
            incomplete_feedback: _,
            incorrect_feedback: _,
            workflow_attempted: _,
            faq_published: _,
            faqs_generated,
            orphaned_links,
        } = c;
        WeekCounters { feedback_total, correct_feedback, faqs_generated, orphaned_links }
    }
}

impl Add for WeekCounters {
    type Output = WeekCounters;

    /// The counters of two disjoint sets of rows.
    fn add(self, other: WeekCounters) -> WeekCounters {
        let WeekCounters { feedback_total, correct_feedback, faqs_generated, orphaned_links } = self;
        WeekCounters {
            feedback_total: feedback_total + other.feedback_total,
            correct_feedback: correct_feedback + other.correct_feedback,
            faqs_generated: faqs_generated + other.faqs_generated,
            orphaned_links: orphaned_links + other.orphaned_links,
        }
    }
}

impl AddAssign for WeekCounters {
    fn add_assign(&mut self, other: WeekCounters) {
        *self = *self + other;
    }
}

impl AddAssign for Counters {
    fn add_assign(&mut self, other: Counters) {
        *self = *self + other;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_counter_is_summed_and_selected() {
        let a = Counters {
            feedback_total: 1,
            correct_feedback: 2,
            incomplete_feedback: 3,
            incorrect_feedback: 4,
            workflow_attempted: 5,
            faq_published: 6,
            faqs_generated: 7,
            orphaned_links: 8,
        };
        let sum = a + a;
        assert_eq!(sum.feedback_total, 2);
        assert_eq!(sum.orphaned_links, 16);
        let mut b = Counters::default();
        b += a;
        assert_eq!(b, a);
        // Each field has its column in the one select list (Debug prints `name: value`).
        for field in format!("{a:?}").split(['{', ',', '}']).filter_map(|f| f.split_once(':')).map(|(n, _)| n.trim()) {
            assert!(SQL.contains(&format!("AS {field}")), "SQL lacks {field}");
            assert!(NAMES.contains(&field), "NAMES lacks {field}");
        }
        let w = WeekCounters::from(a);
        assert_eq!(w + w, WeekCounters::from(sum));
        for field in format!("{w:?}").split(['{', ',', '}']).filter_map(|f| f.split_once(':')).map(|(n, _)| n.trim()) {
            assert!(WEEK_SQL.contains(&format!("AS {field}")), "WEEK_SQL lacks {field}");
        }
    }
}
