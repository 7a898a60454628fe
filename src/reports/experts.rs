//! `report experts`: per-expert FAQ generation rates over `correct` feedback (the design
//! document's reference analytics query, with the expert id and a total order).

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::QueryableByName;

use super::split::{self, Part, Sample};
use super::{col, Cell, Pct, Section};
use super::{ReportKind, Window};
use crate::db::{Database, Sql};
use crate::error::Result;

/// Column layout (fixed by docs/CLI.md).
pub const SECTION: Section = Section {
    kind: ReportKind::Experts,
    title: "FAQ generation by expert",
    columns: &[
        col("expert_id", "Expert", false),
        col("professional_registration_number", "Registration no.", false),
        col("total_feedback", "Correct feedback", true),
        col("faqs_generated", "FAQs generated", true),
        col("faq_rate_pct", "FAQ rate %", true),
    ],
    single_row: false,
};

/// One expert with at least one `correct` feedback in the window.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct ExpertRow {
    /// `expert_profiles.id`.
    #[diesel(sql_type = Text)]
    pub expert_id: String,
    /// May be NULL.
    #[diesel(sql_type = Nullable<Text>)]
    pub professional_registration_number: Option<String>,
    /// The expert's `correct` feedback rows.
    #[diesel(sql_type = BigInt)]
    pub total_feedback: i64,
    /// Of those, rows whose `generated_faq_id` is set.
    #[diesel(sql_type = BigInt)]
    pub faqs_generated: i64,
}

impl ExpertRow {
    /// faqs_generated / total_feedback as a percentage.
    pub(crate) fn faq_rate_pct(&self) -> Option<Pct> {
        Pct::of(self.faqs_generated, self.total_feedback)
    }

    /// The row as report cells.
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Text(Some(self.expert_id.clone())),
            Cell::Text(self.professional_registration_number.clone()),
            Cell::Int(Some(self.total_feedback)),
            Cell::Int(Some(self.faqs_generated)),
            Cell::Pct(self.faq_rate_pct()),
        ]
    }
}

/// The experts report, sorted: faqs_generated desc, faq_rate_pct desc, registration number
/// asc (byte order, NULLs last), expert_id asc.
///
/// With `reader` (a second connection on the same SQLite snapshot, see
/// [`Database::read_snapshot_with_reader`]) and no window, a large table is split by expert
/// ([`split::split_point`] over the `correct` rows) and the two parts are counted at once
/// (1M rows: 63 ms -> 40 ms). Each expert falls in exactly one part.
pub fn rows(db: &mut Database, reader: Option<split::Reader<'_>>, window: &Window) -> Result<Vec<ExpertRow>> {
    let mut rows = match split::plan(db, reader, Sample::Correct, "the experts report")? {
        Some((reader, pivot)) => {
            let (mut lower, upper) = split::both(db, reader, &pivot, |db, part| query(db, window, Some(part)))?;
            lower.extend(upper);
            lower
        }
        None => query(db, window, None)?,
    };
    sort(&mut rows);
    Ok(rows)
}

/// The unsorted report, for the experts on one side of a pivot when given.
pub fn query(db: &mut Database, window: &Window, part: Option<Part<'_>>) -> Result<Vec<ExpertRow>> {
    let sql = statement(db.sql(), window, part);
    db.load("the experts report", &sql)
}

/// The statement of [`query`] (bench/sql/experts.faqlink.*.sql are its text for the whole
/// history on one connection; a test keeps them equal).
pub fn statement(empty: Sql, window: &Window, part: Option<Part<'_>>) -> Sql {
    // `empty` comes from `Database::sql`: it carries how the snapshot reads timestamps.
    let mut sql = empty;
    // Aggregate on the feedback table alone (one pass, one grouping column), then attach
    // the profile: one row per expert leaves the database.
    sql.push(
        "SELECT CAST(ep.id AS TEXT) AS expert_id, \
                ep.professional_registration_number AS professional_registration_number, \
                s.total_feedback AS total_feedback, s.faqs_generated AS faqs_generated \
         FROM (SELECT ef.expert_id AS expert_id, COUNT(*) AS total_feedback, \
                      COUNT(ef.generated_faq_id) AS faqs_generated \
               FROM expert_feedback ef WHERE ef.feedback_type = 'correct'",
    );
    if let Some(part) = part {
        part.push_expert(&mut sql);
    }
    super::push_window(&mut sql, "ef.feedback_timestamp", window);
    sql.push(" GROUP BY ef.expert_id) s JOIN expert_profiles ep ON ep.id = s.expert_id");
    sql
}

/// The report's order; byte order for text, as `COLLATE "C"` does.
pub fn sort(rows: &mut [ExpertRow]) {
    rows.sort_by(|a, b| {
        b.faqs_generated
            .cmp(&a.faqs_generated)
            .then_with(|| b.faq_rate_pct().cmp(&a.faq_rate_pct()))
            .then_with(|| match (&a.professional_registration_number, &b.professional_registration_number) {
                (Some(x), Some(y)) => x.as_bytes().cmp(y.as_bytes()),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.expert_id.as_bytes().cmp(b.expert_id.as_bytes()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, reg: Option<&str>, total: i64, faqs: i64) -> ExpertRow {
        ExpertRow {
            expert_id: id.into(),
            professional_registration_number: reg.map(Into::into),
            total_feedback: total,
            faqs_generated: faqs,
        }
    }

    #[test]
    fn order_is_faqs_then_rate_then_registration_nulls_last_then_id() {
        let mut rows = vec![
            row("b", None, 4, 2),
            row("a", None, 4, 2),
            row("c", Some("Z"), 4, 2),
            row("d", Some("B"), 4, 2),
            row("e", Some("a"), 2, 2),
            row("f", Some("x"), 9, 3),
        ];
        sort(&mut rows);
        let ids: Vec<_> = rows.iter().map(|r| r.expert_id.as_str()).collect();
        assert_eq!(ids, ["f", "e", "d", "c", "a", "b"]);
    }
}
