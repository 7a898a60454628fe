//! `faqlink seed`: a deterministic synthetic data set. The same arguments give the same rows,
//! ids and timestamps included, on SQLite and PostgreSQL. Rows are generated in batches and
//! inserted with multi-row INSERTs inside one transaction, so memory stays flat and a failed
//! seed leaves nothing behind.

use std::io::IsTerminal;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::cli::SeedArgs;
use crate::commands::Global;
use crate::db::migrations::{self, Management};
use std::io::Write;

use crate::db::schema::{expert_feedback, faq_entries};
use crate::db::types::canonical_timestamp;
use diesel::sql_types::Text;
use diesel::QueryableByName;

use crate::db::{Access, Backend, Conn, Count, Database, FeedbackType, Sql, Timestamp, Uuid, Value};
use crate::error::{Error, Result};

/// A checked seed plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Experts to create.
    pub experts: u64,
    /// Feedback rows to create.
    pub feedback: u64,
    /// RNG seed.
    pub seed: u64,
    /// History length.
    pub weeks: u32,
    /// End of history (exclusive).
    pub end: DateTime<Utc>,
    /// Share of correct feedback.
    pub correct_share: f64,
    /// Share of correct feedback whose workflow ran.
    pub attempted_share: f64,
    /// Share of runs that published.
    pub success_rate: f64,
    /// Share of published FAQs later deleted.
    pub deleted_share: f64,
    /// Share of correct feedback repeating an earlier query.
    pub duplicate_share: f64,
    /// Share of rows without a timestamp.
    pub null_timestamp_share: f64,
}

/// Checks `faqlink seed` arguments (usage errors, exit 2).
pub fn plan(args: &SeedArgs) -> Result<Plan> {
    let count = |flag: &str, v: i64, min: i64, max: i64| -> Result<u64> {
        if v < min || v > max {
            return Err(Error::Usage(format!("{flag}: {v} is out of range ({min} to {max})")));
        }
        Ok(v as u64)
    };
    let share = |flag: &str, v: f64| -> Result<f64> {
        if !(0.0..=1.0).contains(&v) || v.is_nan() {
            return Err(Error::Usage(format!("{flag}: {v} is not a share between 0 and 1")));
        }
        Ok(v)
    };
    let end = match &args.end {
        Some(s) => crate::config::parse_when("--end", s, chrono_tz::UTC)?,
        None => crate::config::now()?.date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
    };
    Ok(Plan {
        experts: count("--experts", args.experts, 1, 1_000_000)?,
        feedback: count("--feedback", args.feedback, 1, 1_000_000_000)?,
        seed: args.seed,
        weeks: count("--weeks", args.weeks, 1, 1040)? as u32,
        end,
        correct_share: share("--correct-share", args.correct_share)?,
        attempted_share: share("--attempted-share", args.attempted_share)?,
        success_rate: share("--success-rate", args.success_rate)?,
        deleted_share: share("--deleted-share", args.deleted_share)?,
        duplicate_share: share("--duplicate-share", args.duplicate_share)?,
        null_timestamp_share: share("--null-timestamp-share", args.null_timestamp_share)?,
    })
}

/// What a seed run inserted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    /// Experts (and their users).
    pub experts: u64,
    /// Feedback rows.
    pub feedback: u64,
    /// FAQ rows.
    pub faqs: u64,
}

/// Runs `faqlink seed`.
pub fn run(args: &SeedArgs, global: &Global) -> Result<()> {
    let plan = plan(args)?;
    let mut db = Database::open(&global.url, Access::Create)?;
    prepare(&mut db, args.allow_external)?;
    let started = std::time::Instant::now();
    let done = seed(&mut db, &plan, args.append)?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "seeded {} expert(s), {} feedback row(s), {} FAQ(s) into {} in {:.1} s ({:.0} feedback rows/s)",
        done.experts,
        done.feedback,
        done.faqs,
        db.url,
        secs,
        done.feedback as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// Migrates a database faqlink manages; refuses an external one unless `allow_external`.
pub fn prepare(db: &mut Database, allow_external: bool) -> Result<()> {
    match migrations::management(db)? {
        Management::External { .. } if allow_external => Ok(()),
        Management::External { .. } => Err(Error::Refused(format!(
            "{} is not managed by faqlink (no {} table; production databases are managed by Alembic): \
             refusing to seed it; pass --allow-external to insert synthetic rows anyway",
            db.url,
            migrations::DIESEL_TABLE
        ))),
        _ => migrations::run_pending(db).map(|_| ()),
    }
}

/// Rows of feedback already present.
pub fn feedback_count(db: &mut Database) -> Result<i64> {
    let mut sql = db.sql();
    sql.push("SELECT COUNT(*) AS n FROM expert_feedback");
    let rows: Vec<Count> = db.load("counting feedback", &sql)?;
    Ok(rows.first().map_or(0, |r| r.n))
}

/// Inserts the plan's rows in one transaction.
pub fn seed(db: &mut Database, plan: &Plan, append: bool) -> Result<Seeded> {
    let existing = feedback_count(db)?;
    if existing > 0 && !append {
        return Err(Error::Refused(format!(
            "{} already holds {existing} feedback row(s): refusing to mix data sets; pass --append to add to them",
            db.url
        )));
    }
    // Appending draws from another stream of the generator, so new ids never repeat old ones.
    let stream = if existing > 0 { existing as u64 } else { 0 };
    // An empty table of faqlink's own is bulk loaded: indexes and foreign keys are set aside
    // and rebuilt (by sorting, and checked in one pass) in the same transaction.
    let bulk = existing == 0 && migrations::management(db)? == Management::Embedded;
    let sqlite = db.backend() == Backend::Sqlite;
    if sqlite {
        // A large page cache keeps one big transaction from spilling pages to the WAL early.
        db.batch("sizing the SQLite page cache", "PRAGMA cache_size = -65536")?;
        if bulk {
            db.batch("pausing foreign-key checks for the bulk load", "PRAGMA foreign_keys = OFF")?;
        }
    }
    db.batch("starting the seed transaction", "BEGIN")?;
    let result = (|| {
        let aside = if bulk { Some(SetAside::take(db)?) } else { None };
        let done = insert_all(db, plan, stream)?;
        if let Some(aside) = aside {
            aside.restore(db)?;
        }
        if sqlite && bulk {
            let bad = migrations::fk_violations(db)?;
            if bad > 0 {
                return Err(Error::Schema(format!("the seed would leave {bad} foreign-key violation(s); rolled back")));
            }
        }
        Ok(done)
    })();
    let result = match result {
        Ok(done) => db.batch("committing the seed", "COMMIT").map(|_| done),
        Err(e) => {
            let _ = db.batch("rolling back the seed", "ROLLBACK");
            Err(e)
        }
    };
    if sqlite && bulk {
        db.batch("re-enabling foreign keys", "PRAGMA foreign_keys = ON")?;
    }
    result
}

#[derive(QueryableByName)]
struct Definition {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    def: String,
    #[diesel(sql_type = Text)]
    kind: String,
}

/// The secondary indexes and constraints of `expert_feedback`, dropped for a bulk load and
/// recreated from their own catalog definitions afterwards.
struct SetAside {
    restore: Vec<String>,
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl SetAside {
    fn take(db: &mut Database) -> Result<Self> {
        let mut sql = db.sql();
        match db.backend() {
            Backend::Postgres => sql.push(
                "SELECT CAST(conname AS TEXT) AS name, pg_get_constraintdef(oid) AS def, CAST(contype AS TEXT) AS kind \
                 FROM pg_constraint WHERE conrelid = 'expert_feedback'::regclass AND contype IN ('p', 'f') \
                 UNION ALL \
                 SELECT CAST(indexname AS TEXT), indexdef, 'i' FROM pg_indexes \
                 WHERE schemaname = current_schema() AND tablename = 'expert_feedback' \
                   AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'expert_feedback'::regclass)",
            ),
            Backend::Sqlite => sql.push(
                "SELECT name, sql AS def, 'i' AS kind FROM sqlite_master \
                 WHERE type = 'index' AND tbl_name = 'expert_feedback' AND sql IS NOT NULL",
            ),
        };
        let defs: Vec<Definition> = db.load("reading index definitions", &sql)?;
        let of = |k: &'static str| defs.iter().filter(move |d| d.kind == k);
        let mut drop = Vec::new();
        let mut restore = Vec::new();
        for d in of("f").chain(of("p")) {
            drop.push(format!("ALTER TABLE expert_feedback DROP CONSTRAINT {}", quoted(&d.name)));
        }
        for d in of("i") {
            drop.push(format!("DROP INDEX {}", quoted(&d.name)));
            restore.push(d.def.clone());
        }
        for d in of("p").chain(of("f")) {
            restore.push(format!("ALTER TABLE expert_feedback ADD CONSTRAINT {} {}", quoted(&d.name), d.def));
        }
        for statement in &drop {
            db.batch("setting an index aside for the bulk load", statement)?;
        }
        Ok(SetAside { restore })
    }

    fn restore(self, db: &mut Database) -> Result<()> {
        for statement in &self.restore {
            db.batch("rebuilding an index after the bulk load", statement)?;
        }
        Ok(())
    }
}

const BATCH_ROWS: usize = 1000;

/// The columns a seed writes, in the order of `schema::expert_feedback` (COPY writes them all).
const FEEDBACK_COLUMNS: &str = "id, query_id, expert_id, feedback_type, category, query_text, original_answer, \
     expert_answer, confidence_score, time_spent_seconds, complexity_rating, feedback_timestamp, action_taken, \
     improvement_applied, created_at, updated_at, task_creation_attempted, task_creation_success, \
     task_creation_error, generated_faq_id";

const CATEGORIES: [&str; 5] =
    ["normativa_obsoleta", "interpretazione_errata", "caso_mancante", "calcolo_sbagliato", "troppo_generico"];

fn insert_all(db: &mut Database, plan: &Plan, stream: u64) -> Result<Seeded> {
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
    rng.set_stream(stream);
    let experts = insert_experts(db, plan, &mut rng)?;
    // A few experts produce most feedback: Zipf-like weights.
    let mut cumulative = Vec::with_capacity(experts.len());
    let mut total = 0.0;
    for i in 0..experts.len() {
        total += 1.0 / ((i + 1) as f64).powf(1.1);
        cumulative.push(total);
    }
    let progress = progress_bar(plan.feedback);
    let span_us = i64::from(plan.weeks) * 7 * 24 * 3600 * 1_000_000;
    let start = plan.end - Duration::microseconds(span_us);
    let mut recent_queries: Vec<Uuid> = Vec::new();
    let mut done = Seeded { experts: experts.len() as u64, ..Seeded::default() };
    let mut remaining = plan.feedback;
    while remaining > 0 {
        let n = remaining.min(BATCH_ROWS as u64) as usize;
        let mut faqs = Vec::new();
        let mut rows = Vec::with_capacity(n);
        for _ in 0..n {
            let pick = rng.gen::<f64>() * total;
            let expert = &experts[cumulative.partition_point(|&c| c < pick).min(experts.len() - 1)];
            let row = feedback_row(&mut rng, plan, expert, start, span_us, &mut recent_queries, &mut faqs);
            rows.push(row);
        }
        if !faqs.is_empty() {
            insert_faqs(db, &faqs)?;
        }
        insert_feedback(db, &rows)?;
        done.faqs += faqs.len() as u64;
        done.feedback += n as u64;
        remaining -= n as u64;
        progress.inc(n as u64);
    }
    progress.finish_and_clear();
    Ok(done)
}

fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("seeding {bar:40} {pos}/{len} feedback rows ({per_sec}, {eta} left)")
            .expect("valid template"),
    );
    bar
}

fn uuid(rng: &mut ChaCha8Rng) -> Uuid {
    let mut b: [u8; 16] = rng.gen();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    Uuid::from_bytes(b)
}

fn hex(rng: &mut ChaCha8Rng, bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rng.gen::<u8>())).collect()
}

const PROVINCES: [&str; 10] = ["MI", "RM", "TO", "NA", "BO", "FI", "VE", "GE", "BA", "PA"];

fn insert_experts(db: &mut Database, plan: &Plan, rng: &mut ChaCha8Rng) -> Result<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(plan.experts as usize);
    for _ in 0..plan.experts {
        let id = uuid(rng);
        let email = format!("esperto.{}@example.it", hex(rng, 6));
        let registration = if rng.gen_bool(0.2) {
            None
        } else {
            let order = if rng.gen_bool(0.8) { "ODCEC" } else { "CDL" };
            Some(format!("{order}-{}-{:06}", PROVINCES[rng.gen_range(0..PROVINCES.len())], rng.gen_range(0..1_000_000)))
        };
        let trust = f64::from(rng.gen_range(30..=100u32)) / 100.0;
        let mut sql = db.sql();
        sql.push("INSERT INTO \"user\" (email, role) VALUES (").bind(Value::Text(email.clone())).push(", 'user')");
        db.execute("inserting a user", &sql)?;
        let mut sql = db.sql();
        sql.push("INSERT INTO expert_profiles (id, user_id, professional_registration_number, organization, trust_score, is_verified, is_active) SELECT ")
            .bind(Value::Uuid(id.clone()))
            .push(", u.id, ")
            .bind(Value::OptText(registration))
            .push(", ")
            .bind(Value::OptText(Some(format!("Studio {}", ORG_NAMES[rng.gen_range(0..ORG_NAMES.len())]))))
            .push(", ")
            .bind(Value::Double(trust))
            .push(", ")
            .bind(Value::Bool(true))
            .push(", ")
            .bind(Value::Bool(true))
            .push(" FROM \"user\" u WHERE u.email = ")
            .bind(Value::Text(email));
        db.execute("inserting an expert profile", &sql)?;
        ids.push(id);
    }
    Ok(ids)
}

const ORG_NAMES: [&str; 6] = [
    "Rossi & Associati",
    "Bianchi Commercialisti",
    "Fiscale Verdi",
    "Ferrari STP",
    "Esposito Consulting",
    "Romano Tax",
];

struct Faq {
    id: String,
    question: String,
    answer: String,
    created_at: Option<Timestamp>,
}

struct FeedbackRow {
    id: Uuid,
    query_id: Uuid,
    expert_id: Uuid,
    feedback_type: FeedbackType,
    category: Option<&'static str>,
    query_text: String,
    original_answer: String,
    expert_answer: Option<String>,
    confidence: f64,
    time_spent: i32,
    complexity: i32,
    timestamp: Option<Timestamp>,
    attempted: bool,
    success: Option<bool>,
    error: Option<String>,
    faq_id: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn feedback_row(
    rng: &mut ChaCha8Rng,
    plan: &Plan,
    expert: &Uuid,
    start: DateTime<Utc>,
    span_us: i64,
    recent_queries: &mut Vec<Uuid>,
    faqs: &mut Vec<Faq>,
) -> FeedbackRow {
    let id = uuid(rng);
    let timestamp = if rng.gen_bool(plan.null_timestamp_share) {
        None
    } else {
        Some(Timestamp(start + Duration::microseconds(rng.gen_range(0..span_us))))
    };
    let correct = rng.gen_bool(plan.correct_share);
    let repeat = correct && !recent_queries.is_empty() && rng.gen_bool(plan.duplicate_share);
    let query_id = if repeat { recent_queries[rng.gen_range(0..recent_queries.len())].clone() } else { uuid(rng) };
    let (question, answer) = text(rng);
    let mut row = FeedbackRow {
        id,
        query_id: query_id.clone(),
        expert_id: expert.clone(),
        feedback_type: FeedbackType::Correct,
        category: None,
        query_text: question,
        original_answer: answer,
        expert_answer: None,
        confidence: f64::from(rng.gen_range(50..=100u32)) / 100.0,
        time_spent: rng.gen_range(30..1800),
        complexity: rng.gen_range(1..=5),
        timestamp,
        attempted: false,
        success: None,
        error: None,
        faq_id: None,
    };
    if correct {
        if !repeat {
            if recent_queries.len() >= 64 {
                let i = rng.gen_range(0..recent_queries.len());
                recent_queries[i] = query_id;
            } else {
                recent_queries.push(query_id);
            }
        }
        if rng.gen_bool(plan.attempted_share) {
            row.attempted = true;
            if rng.gen_bool(plan.success_rate) {
                row.success = Some(true);
                let faq_id = format!("faq-{}", hex(rng, 12));
                // A deleted FAQ leaves what ON DELETE SET NULL leaves: no FAQ row, no link.
                if !rng.gen_bool(plan.deleted_share) {
                    faqs.push(Faq {
                        id: faq_id.clone(),
                        question: row.query_text.clone(),
                        answer: row.original_answer.clone(),
                        created_at: row.timestamp,
                    });
                    row.faq_id = Some(faq_id);
                }
            } else {
                row.success = Some(false);
                row.error = Some(
                    if rng.gen_bool(0.7) { "non approvata dal revisore" } else { "timeout del workflow Golden Set" }
                        .into(),
                );
            }
        }
    } else {
        row.feedback_type = if rng.gen_bool(0.6) { FeedbackType::Incomplete } else { FeedbackType::Incorrect };
        row.category = Some(CATEGORIES[rng.gen_range(0..CATEGORIES.len())]);
        row.expert_answer = Some(format!("Correzione: {}", row.original_answer.chars().take(200).collect::<String>()));
    }
    row
}

const TOPICS: [&str; 12] = [
    "l'IVA nel regime forfettario",
    "la detrazione IRPEF per le spese mediche",
    "il credito d'imposta per ricerca e sviluppo",
    "la cedolare secca sugli affitti brevi",
    "il ravvedimento operoso per l'F24 tardivo",
    "l'IMU sulla seconda casa",
    "il superbonus per i condomini",
    "la fattura elettronica verso la PA",
    "i contributi INPS della gestione separata",
    "la rottamazione delle cartelle esattoriali",
    "l'assegno unico per i figli",
    "la tassazione delle plusvalenze sulle criptovalute",
];

const OPENERS: [&str; 4] = ["Come si calcola", "Quali sono le regole per", "Chi ha diritto a", "Quando scade"];

const SENTENCES: [&str; 8] = [
    "Secondo la normativa vigente, il contribuente deve verificare i requisiti soggettivi e oggettivi previsti dalla legge.",
    "L'Agenzia delle Entrate ha chiarito il punto con una circolare che distingue i casi ordinari da quelli particolari.",
    "Il termine ordinario coincide con la scadenza della dichiarazione dei redditi dell'anno di riferimento.",
    "In caso di errore è possibile regolarizzare la posizione con il ravvedimento operoso e sanzioni ridotte.",
    "Occorre conservare la documentazione giustificativa per tutto il periodo di accertamento.",
    "Le soglie sono aggiornate annualmente dalla legge di bilancio e vanno verificate caso per caso.",
    "Per i soggetti con partita IVA si applicano regole specifiche sul versamento degli acconti.",
    "Si consiglia di consultare un commercialista iscritto all'albo per le situazioni più complesse.",
];

fn text(rng: &mut ChaCha8Rng) -> (String, String) {
    let topic = TOPICS[rng.gen_range(0..TOPICS.len())];
    let opener = OPENERS[rng.gen_range(0..OPENERS.len())];
    let year = rng.gen_range(2023..=2026);
    let question = format!(
        "{opener} {topic} nel {year}? Sono un libero professionista con un fatturato di circa {} euro e vorrei sapere cosa cambia per me.",
        rng.gen_range(10..90) * 1000
    );
    let mut answer = format!("In merito a {topic} per il {year}: ");
    for _ in 0..rng.gen_range(3..7) {
        answer.push_str(SENTENCES[rng.gen_range(0..SENTENCES.len())]);
        answer.push(' ');
    }
    answer.pop();
    (question, answer)
}

/// Appends one field in PostgreSQL COPY text format, followed by a tab.
fn copy_field(out: &mut String, value: Option<&str>) {
    match value {
        None => out.push_str("\\N"),
        Some(v) => {
            for c in v.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
    }
    out.push('\t');
}

/// Runs `COPY table (all declared columns) FROM STDIN` with `data` in text format.
macro_rules! copy_text {
    ($pg:expr, $table:expr, $data:expr) => {{
        use diesel::prelude::ExecuteCopyFromDsl;
        let data: String = $data;
        diesel::copy_from($table)
            .from_raw_data($table, move |w: &mut dyn Write| {
                w.write_all(data.as_bytes()).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
            })
            .execute($pg)
            .map(|_| ())
    }};
}

fn insert_faqs(db: &mut Database, faqs: &[Faq]) -> Result<()> {
    let fallback =
        Timestamp(NaiveDate::from_ymd_opt(2025, 11, 24).expect("date").and_hms_opt(0, 0, 0).expect("time").and_utc());
    if let Conn::Pg(pg) = &mut db.conn {
        // COPY in text format, columns in the order of schema::faq_entries.
        let mut data = String::new();
        for f in faqs {
            let ts = canonical_timestamp(&f.created_at.unwrap_or(fallback).0);
            for field in [f.id.as_str(), &f.question, &f.answer, "generale", "it", "f", "0", "1", &ts, &ts] {
                copy_field(&mut data, Some(field));
            }
            data.pop();
            data.push('\n');
        }
        return copy_text!(pg, faq_entries::table, data).map_err(|e| db.error("copying FAQ entries", e));
    }
    let mut sql = db.sql();
    sql.push("INSERT INTO faq_entries (id, question, answer, category, language, created_at, updated_at) VALUES ");
    for (i, f) in faqs.iter().enumerate() {
        let ts = f.created_at.unwrap_or(fallback);
        sql.push(if i == 0 { "(" } else { ", (" })
            .bind(Value::Text(f.id.clone()))
            .push(", ")
            .bind(Value::Text(f.question.clone()))
            .push(", ")
            .bind(Value::Text(f.answer.clone()))
            .push(", 'generale', 'it', ")
            .bind(Value::Ts(ts))
            .push(", ")
            .bind(Value::Ts(ts))
            .push(")");
    }
    db.execute("inserting FAQ entries", &sql).map(|_| ())
}

fn insert_feedback(db: &mut Database, rows: &[FeedbackRow]) -> Result<()> {
    if let Conn::Pg(pg) = &mut db.conn {
        let mut data = String::with_capacity(rows.len() * 1200);
        for r in rows {
            let ts = r.timestamp.map(|t| canonical_timestamp(&t.0));
            let fields: [Option<&str>; 20] = [
                Some(&r.id.0),
                Some(&r.query_id.0),
                Some(&r.expert_id.0),
                Some(r.feedback_type.label()),
                r.category,
                Some(&r.query_text),
                Some(&r.original_answer),
                r.expert_answer.as_deref(),
                Some(&r.confidence.to_string()),
                Some(&r.time_spent.to_string()),
                Some(&r.complexity.to_string()),
                ts.as_deref(),
                None,
                Some("f"),
                ts.as_deref(),
                ts.as_deref(),
                Some(if r.attempted { "t" } else { "f" }),
                r.success.map(|s| if s { "t" } else { "f" }),
                r.error.as_deref(),
                r.faq_id.as_deref(),
            ];
            for f in fields {
                copy_field(&mut data, f);
            }
            data.pop();
            data.push('\n');
        }
        return copy_text!(pg, expert_feedback::table, data).map_err(|e| db.error("copying feedback", e));
    }
    let mut sql: Sql = db.sql();
    sql.push("INSERT INTO expert_feedback (").push(FEEDBACK_COLUMNS).push(") VALUES ");
    for (i, r) in rows.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(Value::Uuid(r.id.clone())).push(", ");
        sql.bind(Value::Uuid(r.query_id.clone())).push(", ");
        sql.bind(Value::Uuid(r.expert_id.clone())).push(", ");
        sql.bind(Value::Feedback(r.feedback_type)).push(", ");
        sql.bind(Value::OptText(r.category.map(str::to_string))).push(", ");
        sql.bind(Value::Text(r.query_text.clone())).push(", ");
        sql.bind(Value::Text(r.original_answer.clone())).push(", ");
        sql.bind(Value::OptText(r.expert_answer.clone())).push(", ");
        sql.bind(Value::Double(r.confidence)).push(", ");
        sql.bind(Value::Int(r.time_spent)).push(", ");
        sql.bind(Value::Int(r.complexity)).push(", ");
        sql.bind(Value::OptTs(r.timestamp)).push(", NULL, ");
        sql.bind(Value::Bool(false)).push(", ");
        sql.bind(Value::OptTs(r.timestamp)).push(", ");
        sql.bind(Value::OptTs(r.timestamp)).push(", ");
        sql.bind(Value::Bool(r.attempted)).push(", ");
        sql.bind(Value::OptBool(r.success)).push(", ");
        sql.bind(Value::OptText(r.error.clone())).push(", ");
        sql.bind(Value::OptText(r.faq_id.clone())).push(")");
    }
    db.execute("inserting feedback", &sql).map(|_| ())
}
