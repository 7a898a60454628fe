//! One pass for three sections of `report all` on PostgreSQL: experts, totals and weekly
//! are sums of the same per-(expert, week) counters, so they are read together.
//!
//! Measured on PostgreSQL (full history): the three statements cost 0.45 s at 1M rows and
//! 4.4-4.8 s at 10M; this grouping costs 0.28 s and 2.6 s. SQLite is not offered it: its
//! GROUP BY sorts every row, and with 200 × 105 groups the pass took 1.1-1.4 s at 1M rows
//! against 0.82 s for the three statements.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Bool, Integer, Nullable, Text};
use diesel::QueryableByName;

use super::counters::{self, Counters, WeekCounters};
use super::experts::ExpertRow;
use super::totals::{self, TotalsRow};
use super::weekly::{self, WeekRow};
use super::{ReportKind, Window};
use crate::db::{Backend, Database, Param, Sql, Timestamp};
use crate::error::Result;

/// The experts, totals and weekly sections, computed together.
#[derive(Debug, Clone, PartialEq)]
pub struct Shared {
    /// The experts section, in report order.
    pub experts: Vec<ExpertRow>,
    /// The totals section.
    pub totals: TotalsRow,
    /// The weekly section.
    pub weeks: Vec<WeekRow>,
}

/// Whether a run of `kinds` on `backend` computes experts, totals and weekly in one pass.
pub fn applies(backend: Backend, kinds: &[ReportKind]) -> bool {
    backend == Backend::Postgres
        && [ReportKind::Experts, ReportKind::Totals, ReportKind::Weekly].iter().all(|k| kinds.contains(k))
}

#[derive(QueryableByName)]
struct Group {
    #[diesel(sql_type = Text)]
    expert_id: String,
    #[diesel(sql_type = Bool)]
    has_profile: bool,
    #[diesel(sql_type = Nullable<Text>)]
    professional_registration_number: Option<String>,
    /// 1-based week between the boundaries; NULL for a NULL timestamp.
    #[diesel(sql_type = Nullable<Integer>)]
    week: Option<i32>,
    /// The funnel's counters of the group.
    #[diesel(embed)]
    counters: Counters,
}

/// Reads the counters per (expert, week) in one statement and sums them into the three
/// sections; the dangling links (totals) are counted apart, as `report totals` does.
pub fn compute(db: &mut Database, window: &Window, now: DateTime<Utc>) -> Result<Shared> {
    let span = weekly::bounds(db, window)?;
    let bounds = span.as_ref().map(|w| w.bounds.as_slice());
    let mut sql = db.sql();
    sql.push(
        "SELECT CAST(s.expert_id AS TEXT) AS expert_id, ep.id IS NOT NULL AS has_profile, \
                ep.professional_registration_number AS professional_registration_number, s.week AS week, \
                s.feedback_total AS feedback_total, s.correct_feedback AS correct_feedback, \
                s.incomplete_feedback AS incomplete_feedback, s.incorrect_feedback AS incorrect_feedback, \
                s.workflow_attempted AS workflow_attempted, s.faq_published AS faq_published, \
                s.faqs_generated AS faqs_generated, s.orphaned_links AS orphaned_links \
         FROM (SELECT ef.expert_id AS expert_id, ",
    );
    push_week(&mut sql, bounds);
    sql.push(" AS week, ").push(counters::SQL).push(" FROM expert_feedback ef WHERE 1 = 1");
    super::push_window(&mut sql, "ef.feedback_timestamp", window);
    sql.push(" GROUP BY 1, 2) s LEFT JOIN expert_profiles ep ON ep.id = s.expert_id");

    let mut weeks = span.as_ref().map_or_else(Vec::new, |w| weekly::empty_weeks(w, window, now));
    let mut all = Counters::default();
    // One entry per expert (at most a few thousand), in the order their groups arrive.
    let mut experts: Vec<ExpertRow> = Vec::new();
    let mut expert_index = std::collections::HashMap::new();
    db.for_each("the experts, totals and weekly reports", &sql, |g: Group| {
        let c = &g.counters;
        all += *c;
        // The experts report lists experts with a profile and correct feedback in the window.
        if g.has_profile && c.correct_feedback > 0 {
            let i = *expert_index.entry(g.expert_id.clone()).or_insert_with(|| {
                experts.push(ExpertRow {
                    expert_id: g.expert_id.clone(),
                    professional_registration_number: g.professional_registration_number.clone(),
                    total_feedback: 0,
                    faqs_generated: 0,
                });
                experts.len() - 1
            });
            experts[i].total_feedback += c.correct_feedback;
            experts[i].faqs_generated += c.faqs_generated;
        }
        // The weekly report leaves NULL timestamps out (they have no week).
        if let Some(w) = g.week.and_then(|w| usize::try_from(w).ok()?.checked_sub(1)).and_then(|w| weeks.get_mut(w)) {
            w.counters += WeekCounters::from(*c);
        }
        Ok(())
    })?;
    super::experts::sort(&mut experts);
    weekly::link_previous(&mut weeks);
    let totals = TotalsRow::new(all, totals::dangling(db, window)?);
    Ok(Shared { experts, totals, weeks })
}

/// The 1-based week of `ef.feedback_timestamp` between `bounds` (`width_bucket` over the
/// boundary array: a binary search per row), or NULL when there are no weeks.
fn push_week(sql: &mut Sql, bounds: Option<&[DateTime<Utc>]>) {
    match bounds {
        Some(bounds) => {
            sql.push("width_bucket(ef.feedback_timestamp, ARRAY[");
            for (i, b) in bounds.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(Param::Ts(Timestamp(*b)));
            }
            sql.push("])");
        }
        None => {
            sql.push("CAST(NULL AS INTEGER)");
        }
    }
}
