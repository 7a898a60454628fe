//! The funnel's counters: one named type, one SQL text per counter, one sum.
//!
//! `totals` is these counters over the window, `weekly` the same per week, and `report all`
//! on PostgreSQL the same per (expert, week) ([`super::shared`]); a split SQLite scan adds
//! two parts' counters ([`super::split`]). A new counter is a field here and a column of
//! [`SQL`]: the [`Add`] impl destructures every field without `..`, so the compiler points
//! at the sum until the new field is added there too, and `QueryableByName` fails at run
//! time (in every test) until [`SQL`] selects it.

use std::ops::{Add, AddAssign};

use diesel::sql_types::BigInt;
use diesel::QueryableByName;

/// The funnel's counters over a set of feedback rows.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct Counters {
    /// Every feedback row.
    #[diesel(sql_type = BigInt)]
    pub feedback_total: i64,
    /// `correct` rows.
    #[diesel(sql_type = BigInt)]
    pub correct_feedback: i64,
    /// `incomplete` rows.
    #[diesel(sql_type = BigInt)]
    pub incomplete_feedback: i64,
    /// `incorrect` rows.
    #[diesel(sql_type = BigInt)]
    pub incorrect_feedback: i64,
    /// Correct rows with `task_creation_attempted` TRUE.
    #[diesel(sql_type = BigInt)]
    pub workflow_attempted: i64,
    /// Correct rows with `task_creation_success` TRUE.
    #[diesel(sql_type = BigInt)]
    pub faq_published: i64,
    /// Correct rows with `generated_faq_id` set.
    #[diesel(sql_type = BigInt)]
    pub faqs_generated: i64,
    /// Correct rows with success TRUE and no link (FAQ deleted, SET NULL fired).
    #[diesel(sql_type = BigInt)]
    pub orphaned_links: i64,
}

// Each counter's aggregate over feedback rows `ef`, written once; the select lists below
// are made of them.
macro_rules! feedback_total {
    () => {
        "COUNT(*) AS feedback_total"
    };
}
macro_rules! correct_feedback {
    () => {
        "COUNT(*) FILTER (WHERE ef.feedback_type = 'correct') AS correct_feedback"
    };
}
macro_rules! incomplete_feedback {
    () => {
        "COUNT(*) FILTER (WHERE ef.feedback_type = 'incomplete') AS incomplete_feedback"
    };
}
macro_rules! incorrect_feedback {
    () => {
        "COUNT(*) FILTER (WHERE ef.feedback_type = 'incorrect') AS incorrect_feedback"
    };
}
macro_rules! workflow_attempted {
    () => {
        "COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_attempted IS TRUE) AS workflow_attempted"
    };
}
macro_rules! faq_published {
    () => {
        "COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_success IS TRUE) AS faq_published"
    };
}
macro_rules! faqs_generated {
    () => {
        "COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.generated_faq_id IS NOT NULL) AS faqs_generated"
    };
}
macro_rules! orphaned_links {
    () => {
        "COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_success IS TRUE \
         AND ef.generated_faq_id IS NULL) AS orphaned_links"
    };
}

/// The select list computing every [`Counters`] field over feedback rows `ef` (aggregates:
/// the statement's GROUP BY decides the grouping).
pub const SQL: &str = concat!(
    feedback_total!(),
    ", ",
    correct_feedback!(),
    ", ",
    incomplete_feedback!(),
    ", ",
    incorrect_feedback!(),
    ", ",
    workflow_attempted!(),
    ", ",
    faq_published!(),
    ", ",
    faqs_generated!(),
    ", ",
    orphaned_links!()
);

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
pub const WEEK_SQL: &str =
    concat!(feedback_total!(), ", ", correct_feedback!(), ", ", faqs_generated!(), ", ", orphaned_links!());

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

impl Add for Counters {
    type Output = Counters;

    /// The counters of two disjoint sets of rows.
    fn add(self, other: Counters) -> Counters {
        // Every field by name, no `..`: a new counter does not compile until it is summed.
        let Counters {
            feedback_total,
            correct_feedback,
            incomplete_feedback,
            incorrect_feedback,
            workflow_attempted,
            faq_published,
            faqs_generated,
            orphaned_links,
        } = self;
        Counters {
            feedback_total: feedback_total + other.feedback_total,
            correct_feedback: correct_feedback + other.correct_feedback,
            incomplete_feedback: incomplete_feedback + other.incomplete_feedback,
            incorrect_feedback: incorrect_feedback + other.incorrect_feedback,
            workflow_attempted: workflow_attempted + other.workflow_attempted,
            faq_published: faq_published + other.faq_published,
            faqs_generated: faqs_generated + other.faqs_generated,
            orphaned_links: orphaned_links + other.orphaned_links,
        }
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
        }
        let w = WeekCounters::from(a);
        assert_eq!(w + w, WeekCounters::from(sum));
        for field in format!("{w:?}").split(['{', ',', '}']).filter_map(|f| f.split_once(':')).map(|(n, _)| n.trim()) {
            assert!(WEEK_SQL.contains(&format!("AS {field}")), "WEEK_SQL lacks {field}");
        }
    }
}
