//! The deterministic row generator: experts, FAQs and feedback rows drawn from one ChaCha8
//! stream, in time order, in batches.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{corpus, Plan};
use crate::db::seed::{Batch, NewExpert, NewFaq, NewFeedback};
use crate::db::types::FeedbackCategory;
use crate::db::{FeedbackType, Timestamp, Uuid};

/// The next expert of the stream (the draws keep their order, so ids stay as they were).
pub(super) fn expert(rng: &mut ChaCha8Rng) -> NewExpert {
    let id = uuid(rng);
    let email = format!("esperto.{}@example.it", hex(rng, 6));
    let registration = if rng.gen_bool(0.2) {
        None
    } else {
        let order = if rng.gen_bool(0.8) { "ODCEC" } else { "CDL" };
        let province = corpus::PROVINCES[rng.gen_range(0..corpus::PROVINCES.len())];
        Some(format!("{order}-{province}-{:06}", rng.gen_range(0..1_000_000)))
    };
    let trust = f64::from(rng.gen_range(30..=100u32)) / 100.0;
    let organization = format!("Studio {}", corpus::ORG_NAMES[rng.gen_range(0..corpus::ORG_NAMES.len())]);
    NewExpert { id, email, registration, organization, trust }
}

fn uuid(rng: &mut ChaCha8Rng) -> Uuid {
    let mut b: [u8; 16] = rng.gen();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    Uuid::from_bytes(b)
}

fn hex(rng: &mut ChaCha8Rng, bytes: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * bytes);
    for _ in 0..bytes {
        let byte = rng.gen::<u8>();
        s.push(char::from(HEX[usize::from(byte >> 4)]));
        s.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    s
}

/// The deterministic row generator: an iterator of batches driven by one RNG stream.
pub(super) struct Generator {
    plan: Plan,
    rng: ChaCha8Rng,
    experts: Vec<Uuid>,
    /// Zipf-like cumulative weights: a few experts produce most feedback.
    cumulative: Vec<f64>,
    start: DateTime<Utc>,
    span_us: i64,
    recent_queries: Vec<Uuid>,
    next: u64,
    batch_rows: u64,
}

impl Generator {
    /// A generator of `plan`'s feedback rows for `experts`, `batch_rows` rows per batch.
    pub(super) fn new(plan: Plan, experts: Vec<Uuid>, rng: ChaCha8Rng, batch_rows: usize) -> Self {
        let mut cumulative = Vec::with_capacity(experts.len());
        let mut total = 0.0;
        for i in 0..experts.len() {
            total += 1.0 / ((i + 1) as f64).powf(1.1);
            cumulative.push(total);
        }
        let span_us = i64::from(plan.weeks) * 7 * 24 * 3600 * 1_000_000;
        let start = plan.end - Duration::microseconds(span_us);
        Generator {
            plan,
            rng,
            experts,
            cumulative,
            start,
            span_us,
            recent_queries: Vec::new(),
            next: 0,
            batch_rows: batch_rows as u64,
        }
    }

    /// The slice of the history (microsecond offsets `lo..hi`) row `k` falls in: rows arrive
    /// in time order, as production appends them, each at a random instant of its own slice.
    fn slice(&self, k: u64) -> (i64, i64) {
        let n = i128::from(self.plan.feedback);
        let span = i128::from(self.span_us);
        ((i128::from(k) * span / n) as i64, ((i128::from(k) + 1) * span / n) as i64)
    }

    fn row(&mut self, k: u64, faqs: &mut Vec<NewFaq>) -> NewFeedback {
        let (lo, hi) = self.slice(k);
        let Generator { plan, rng, experts, cumulative, start, recent_queries, .. } = self;
        let total = *cumulative.last().expect("at least one expert");
        let pick = rng.gen::<f64>() * total;
        let expert = experts[cumulative.partition_point(|&c| c < pick).min(experts.len() - 1)].clone();
        let id = uuid(rng);
        let timestamp = if rng.gen_bool(plan.null_timestamp_share) {
            None
        } else {
            let offset = if hi > lo { rng.gen_range(lo..hi) } else { lo };
            Some(Timestamp(*start + Duration::microseconds(offset)))
        };
        let correct = rng.gen_bool(plan.correct_share);
        let repeat = correct && !recent_queries.is_empty() && rng.gen_bool(plan.duplicate_share);
        let query_id = if repeat { recent_queries[rng.gen_range(0..recent_queries.len())].clone() } else { uuid(rng) };
        let (question, answer) = corpus::text(rng);
        let mut row = NewFeedback {
            id,
            query_id: query_id.clone(),
            expert_id: expert,
            feedback_type: FeedbackType::Correct,
            category: None,
            query_text: question,
            original_answer: answer,
            expert_answer: None,
            confidence_score: Some(f64::from(rng.gen_range(50..=100u32)) / 100.0),
            time_spent_seconds: rng.gen_range(30..1800),
            complexity_rating: Some(rng.gen_range(1..=5)),
            feedback_timestamp: timestamp,
            action_taken: None,
            improvement_applied: Some(false),
            created_at: timestamp,
            updated_at: timestamp,
            task_creation_attempted: Some(false),
            task_creation_success: None,
            task_creation_error: None,
            generated_faq_id: None,
        };
        if correct {
            if !repeat {
                remember(rng, recent_queries, query_id);
            }
            if rng.gen_bool(plan.attempted_share) {
                workflow(plan, rng, timestamp, &mut row, faqs);
            }
        } else {
            not_correct(rng, &mut row);
        }
        row
    }
}

/// Keeps `query_id` among the last 64 queries a later `correct` row may repeat.
fn remember(rng: &mut ChaCha8Rng, recent_queries: &mut Vec<Uuid>, query_id: Uuid) {
    if recent_queries.len() >= 64 {
        let i = rng.gen_range(0..recent_queries.len());
        recent_queries[i] = query_id;
    } else {
        recent_queries.push(query_id);
    }
}

/// The FAQ workflow ran for a `correct` row: it succeeds (an FAQ, linked unless deleted since,
/// which leaves what ON DELETE SET NULL leaves: no FAQ row, no link) or fails with a reason.
fn workflow(
    plan: &Plan,
    rng: &mut ChaCha8Rng,
    timestamp: Option<Timestamp>,
    row: &mut NewFeedback,
    faqs: &mut Vec<NewFaq>,
) {
    row.task_creation_attempted = Some(true);
    if rng.gen_bool(plan.success_rate) {
        row.task_creation_success = Some(true);
        let faq_id = format!("faq-{}", hex(rng, 12));
        if !rng.gen_bool(plan.deleted_share) {
            let created = timestamp.map_or(FAQ_FALLBACK_CREATED, |t| faq_created(t, &row.id, plan.end));
            faqs.push(NewFaq {
                id: faq_id.clone(),
                question: row.query_text.clone(),
                answer: row.original_answer.clone(),
                category: "generale",
                language: "it",
                needs_review: false,
                hit_count: 0,
                version: 1,
                created_at: created,
                updated_at: created,
            });
            row.generated_faq_id = Some(faq_id);
        }
    } else {
        row.task_creation_success = Some(false);
        row.task_creation_error =
            Some(if rng.gen_bool(0.7) { "non approvata dal revisore" } else { "timeout del workflow Golden Set" });
    }
}

/// An `incomplete` or `incorrect` row: its category and the expert's correction.
fn not_correct(rng: &mut ChaCha8Rng, row: &mut NewFeedback) {
    row.feedback_type = if rng.gen_bool(0.6) { FeedbackType::Incomplete } else { FeedbackType::Incorrect };
    row.category = Some(FeedbackCategory(corpus::CATEGORIES[rng.gen_range(0..corpus::CATEGORIES.len())]));
    row.expert_answer = Some(format!("Correzione: {}", row.original_answer.chars().take(200).collect::<String>()));
}

/// When the FAQ of a feedback given at `feedback` was created: a log-normal delay with a
/// median of 20 hours (σ = 0.9: about 83% within 48 hours, a tail of days), between 5 minutes
/// and 30 days; one FAQ in 500 predates its feedback by up to 10 minutes (clock skew, as
/// `report latency` must count apart). Never at or after the history's `end`. The draws come
/// from the feedback id's random bytes, not from the RNG stream, so every other seeded value
/// stays as it was.
fn faq_created(feedback: Timestamp, id: &Uuid, end: DateTime<Utc>) -> Timestamp {
    let digits: Vec<u8> = id.0.bytes().filter_map(|c| (c as char).to_digit(16).map(|d| d as u8)).collect();
    let mut b = [0u8; 16];
    for (i, pair) in digits.chunks(2).take(16).enumerate() {
        b[i] = pair[0] << 4 | pair.get(1).copied().unwrap_or(0);
    }
    let unit = |x: &[u8]| (f64::from(u32::from_le_bytes([x[0], x[1], x[2], x[3]])) + 0.5) / 4_294_967_296.0;
    let (u1, u2) = (unit(&b[0..4]), unit(&b[10..14]));
    let micros = if b[14] < 1 && b[15] < 128 {
        -((u1 * 600e6) as i64)
    } else {
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let hours = (20.0 * (0.9 * z).exp()).clamp(5.0 / 60.0, 30.0 * 24.0);
        (hours * 3600e6) as i64
    };
    let last = end - Duration::microseconds(1);
    let created = feedback.0.checked_add_signed(Duration::microseconds(micros)).unwrap_or(last).min(last);
    Timestamp(created)
}

/// `created_at` of an FAQ whose feedback has no timestamp: 2025-11-24T00:00:00Z, the day the
/// link migration shipped.
const FAQ_FALLBACK_CREATED: Timestamp = Timestamp(DateTime::from_timestamp_nanos(1_763_942_400_000_000_000));

impl Iterator for Generator {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        let n = (self.plan.feedback - self.next).min(self.batch_rows);
        if n == 0 {
            return None;
        }
        let mut batch = Batch { faqs: Vec::new(), feedback: Vec::with_capacity(n as usize) };
        for k in self.next..self.next + n {
            let row = self.row(k, &mut batch.faqs);
            batch.feedback.push(row);
        }
        self.next += n;
        Some(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn rows_come_in_time_order_inside_the_history() {
        let end = DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z").unwrap().with_timezone(&Utc);
        let plan = Plan {
            experts: 3,
            feedback: 25_000,
            seed: 4,
            weeks: 2,
            end,
            correct_share: 0.6,
            attempted_share: 0.8,
            success_rate: 0.7,
            deleted_share: 0.1,
            duplicate_share: 0.05,
            null_timestamp_share: 0.1,
        };
        let experts = (1..=3u8).map(|i| Uuid::from_bytes([i; 16])).collect();
        let batches: Vec<Batch> = Generator::new(plan, experts, ChaCha8Rng::seed_from_u64(4), 10_000).collect();
        assert_eq!(batches.len(), 3, "25,000 rows in batches of 10,000");
        let rows: Vec<&NewFeedback> = batches.iter().flat_map(|b| &b.feedback).collect();
        assert_eq!(rows.len(), 25_000);
        let ts: Vec<Timestamp> = rows.iter().filter_map(|r| r.feedback_timestamp).collect();
        assert!((21_500..23_500).contains(&ts.len()), "{} rows with a timestamp", ts.len());
        assert!(ts.windows(2).all(|w| w[0] <= w[1]), "not in time order");
        assert!(ts[0].0 >= end - Duration::weeks(2) && ts[ts.len() - 1].0 < end);
        // Every link points at an FAQ of the same batch or an earlier one.
        let faqs: std::collections::HashSet<&str> =
            batches.iter().flat_map(|b| &b.faqs).map(|f| f.id.as_str()).collect();
        let linked: Vec<&str> = rows.iter().filter_map(|r| r.generated_faq_id.as_deref()).collect();
        assert_eq!(linked.len(), faqs.len());
        assert!(linked.iter().all(|id| faqs.contains(id)));
    }
}
