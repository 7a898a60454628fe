//! Generated datasets for differential tests: small, seeded, and full of edge cases (NULL
//! registration numbers and timestamps, ties, hostile text, orphaned and dangling links,
//! duplicate queries, rows on week boundaries, a daylight-saving week, ISO week 53).
//! Loaded with plain SQL literals that both backends accept, so no faqlink code is involved.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::harness::{sql_text, ExpertRow, FeedbackRow, TestDb};

/// One feedback row.
#[derive(Debug, Clone)]
pub struct Fb {
    pub id: String,
    pub query_id: String,
    pub expert: usize,
    pub kind: &'static str,
    pub ts: Option<DateTime<Utc>>,
    pub attempted: Option<bool>,
    pub success: Option<bool>,
    pub faq: Option<String>,
    /// The link points at no FAQ row (inserted with the FK bypassed).
    pub dangling: bool,
}

/// A dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub experts: Vec<(String, Option<String>)>,
    pub faqs: Vec<String>,
    pub feedback: Vec<Fb>,
}

fn uuid(rng: &mut ChaCha8Rng) -> String {
    let b: [u8; 16] = rng.gen();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-4{}-a{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

const REGISTRATIONS: [&str; 8] = [
    "ODCEC-MI-012345",
    "ODCEC-RM-000001",
    "odcec-mi-000002",
    "=HYPERLINK(\"http://x\")",
    "-ODCEC",
    "@CDL-TO-1",
    "Zeta",
    "ODCEC-MI-012345",
];

/// Instants that matter: Monday 00:00 UTC and Europe/Rome around the DST change and week 53.
pub fn special_instants() -> Vec<DateTime<Utc>> {
    let rome = chrono_tz::Europe::Rome;
    vec![
        Utc.with_ymd_and_hms(2026, 10, 26, 0, 0, 0).unwrap(),
        rome.with_ymd_and_hms(2026, 10, 26, 0, 0, 0).unwrap().with_timezone(&Utc),
        rome.with_ymd_and_hms(2026, 10, 25, 2, 30, 0).earliest().unwrap().with_timezone(&Utc),
        Utc.with_ymd_and_hms(2026, 12, 28, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2027, 1, 3, 23, 59, 59).unwrap(),
        rome.with_ymd_and_hms(2027, 1, 4, 0, 0, 0).unwrap().with_timezone(&Utc) - Duration::microseconds(1),
    ]
}

/// The time span datasets cover: 2026-10-12 to 2027-01-11 (13 weeks).
pub fn span() -> (DateTime<Utc>, DateTime<Utc>) {
    (Utc.with_ymd_and_hms(2026, 10, 12, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2027, 1, 11, 0, 0, 0).unwrap())
}

/// A random dataset.
pub fn generate(seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n_experts = rng.gen_range(1..7);
    let experts: Vec<(String, Option<String>)> = (0..n_experts)
        .map(|_| {
            let reg = if rng.gen_bool(0.3) {
                None
            } else {
                Some(REGISTRATIONS[rng.gen_range(0..REGISTRATIONS.len())].to_string())
            };
            (uuid(&mut rng), reg)
        })
        .collect();
    let n = rng.gen_range(0..60);
    let (lo, hi) = span();
    let specials = special_instants();
    let mut queries: Vec<String> = (0..4).map(|_| uuid(&mut rng)).collect();
    let mut faqs: Vec<String> = Vec::new();
    let mut feedback = Vec::new();
    for i in 0..n {
        let ts = match rng.gen_range(0..10) {
            0 => None,
            1 => Some(specials[rng.gen_range(0..specials.len())]),
            _ => Some(lo + Duration::microseconds(rng.gen_range(0..(hi - lo).num_microseconds().unwrap()))),
        };
        let query_id =
            if rng.gen_bool(0.3) { queries[rng.gen_range(0..queries.len())].clone() } else { uuid(&mut rng) };
        if rng.gen_bool(0.1) {
            queries.push(query_id.clone());
        }
        let kind = ["correct", "correct", "correct", "incomplete", "incorrect"][rng.gen_range(0..5)];
        let mut fb = Fb {
            id: uuid(&mut rng),
            query_id,
            expert: rng.gen_range(0..experts.len()),
            kind,
            ts,
            attempted: [None, Some(false), Some(true), Some(true)][rng.gen_range(0..4)],
            success: None,
            faq: None,
            dangling: false,
        };
        match rng.gen_range(0..8) {
            // linked to a new FAQ, or to an existing one (a shared FAQ)
            0..=2 => {
                if !faqs.is_empty() && rng.gen_bool(0.2) {
                    fb.faq = Some(faqs[rng.gen_range(0..faqs.len())].clone());
                } else {
                    let id = format!("faq-{seed}-{i}");
                    faqs.push(id.clone());
                    fb.faq = Some(id);
                }
                fb.success = Some(true);
            }
            // orphaned: published, then the FAQ was deleted
            3 => fb.success = Some(true),
            // not approved
            4 => fb.success = Some(false),
            // dangling: link to a missing FAQ
            5 => {
                fb.faq = Some(format!("faq-missing-{}", rng.gen_range(0..3)));
                fb.dangling = true;
                fb.success = [None, Some(true)][rng.gen_range(0..2)];
            }
            _ => {}
        }
        feedback.push(fb);
    }
    Dataset { experts, faqs, feedback }
}

/// Canonical timestamp text (what faqlink's SQLite schema stores; PostgreSQL parses it).
pub fn ts_text(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Deletes every row of the four tables.
pub fn clear(db: &TestDb) {
    db.exec("DELETE FROM expert_feedback; DELETE FROM faq_entries; DELETE FROM expert_profiles; DELETE FROM \"user\";");
}

/// Inserts the dataset with plain SQL.
pub fn load(db: &TestDb, ds: &Dataset) {
    let mut sql = String::new();
    for (i, (id, reg)) in ds.experts.iter().enumerate() {
        let email = format!("e{i}@example.it");
        sql.push_str(&ExpertRow { user: i + 1, email, id: id.clone(), registration: reg.clone() }.sql());
    }
    // A fixed creation time (not the column's default, the moment of the insert), so that
    // every database loaded with one dataset gives the same latencies.
    for f in &ds.faqs {
        sql.push_str(&format!(
            "INSERT INTO faq_entries (id, question, answer, created_at) \
             VALUES ({}, 'q?', 'a.', '2026-11-30T12:00:00.000000Z');\n",
            sql_text(f)
        ));
    }
    let row = |f: &Fb| {
        FeedbackRow {
            kind: f.kind.into(),
            timestamp: f.ts.map(|t| ts_text(&t)),
            attempted: f.attempted,
            success: f.success,
            faq: f.faq.clone(),
            ..FeedbackRow::new(&f.id, &f.query_id, &ds.experts[f.expert].0).with_dataset_texts()
        }
        .sql()
    };
    for f in ds.feedback.iter().filter(|f| !f.dangling) {
        sql.push_str(&row(f));
    }
    if !sql.is_empty() {
        db.exec(&sql);
    }
    let dangling: String = ds.feedback.iter().filter(|f| f.dangling).map(row).collect();
    if !dangling.is_empty() {
        let bypass = match db.backend() {
            faqlink::db::Backend::Postgres => "SET session_replication_role = replica;\n",
            faqlink::db::Backend::Sqlite => "PRAGMA foreign_keys = OFF;\n",
        };
        db.exec(&format!("{bypass}{dangling}"));
    }
}
