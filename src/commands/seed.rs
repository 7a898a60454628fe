//! `faqlink seed`: a deterministic synthetic data set. The same arguments give the same rows,
//! ids and timestamps included, on SQLite and PostgreSQL. Rows are generated in time order, in
//! batches, on a second thread while the previous batch is written (binary `COPY` on
//! PostgreSQL, prepared multi-row `INSERT`s on SQLite), all inside one transaction: memory
//! stays flat and a failed seed leaves nothing behind.

use std::io::IsTerminal;

use chrono::{DateTime, Duration, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::cli::SeedArgs;
use crate::commands::Global;
use crate::db::migrations::{self, Management};

use crate::db::schema::{expert_feedback, faq_entries};
use crate::db::types::FeedbackCategory;
use diesel::sql_types::Text;
use diesel::{Insertable, QueryableByName, RunQueryDsl};

use crate::db::{Access, Backend, Conn, Count, Database, FeedbackType, Timestamp, Uuid, Value};
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
    let weeks = count("--weeks", args.weeks, 1, 1040)? as u32;
    // Every stored timestamp (end excluded, the history before it included) must be one that
    // faqlink's reports read back on both backends.
    let start = end - Duration::weeks(i64::from(weeks));
    if end > crate::config::latest_instant() + Duration::microseconds(1) || start < crate::config::earliest_instant() {
        return Err(Error::Usage(format!(
            "--end {}: with --weeks {weeks} the history ({} to {}) leaves the range faqlink handles on both \
             backends (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z, in UTC)",
            args.end.as_deref().unwrap_or("(today)"),
            start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            end.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        )));
    }
    Ok(Plan {
        experts: count("--experts", args.experts, 1, 1_000_000)?,
        feedback: count("--feedback", args.feedback, 1, 1_000_000_000)?,
        seed: args.seed,
        weeks,
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
    if let Some(path) = global.url.sqlite_path().filter(|p| args.append && !p.exists()) {
        return Err(Error::Refused(format!(
            "SQLite database {} does not exist: --append adds to existing data; leave --append out to create it",
            path.display()
        )));
    }
    let mut db = Database::open(&global.url, Access::Create)?;
    let started = std::time::Instant::now();
    let done = db.writing(|db| {
        prepare(db, args.allow_external)?;
        seed(db, &plan, args.append)
    })?;
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

/// Migrates a database faqlink manages when migrations are pending; refuses an external one
/// unless `allow_external`, and a read-only one (a hot standby) before anything else.
pub fn prepare(db: &mut Database, allow_external: bool) -> Result<()> {
    if db.is_read_only()? {
        return Err(Error::Refused(format!(
            "{} is read-only (a hot standby, or default_transaction_read_only = on): seeding writes rows; \
             point --database-url at the primary",
            db.url
        )));
    }
    match migrations::management(db)? {
        Management::External { .. } if allow_external => Ok(()),
        Management::External { .. } => Err(Error::Refused(format!(
            "{} is not managed by faqlink (no {} table; production databases are managed by Alembic): \
             refusing to seed it; pass --allow-external to insert synthetic rows anyway",
            db.url,
            migrations::DIESEL_TABLE
        ))),
        // Only when something is pending: the harness writes even when nothing is.
        _ if migrations::status(db)?.iter().all(|m| m.applied) => Ok(()),
        _ => migrations::run_pending(db).map(|_| ()),
    }
}

/// Rows of feedback already present.
pub fn feedback_count(db: &mut Database) -> Result<i64> {
    row_count(db, "expert_feedback")
}

/// Rows in one of faqlink's own tables (`table` is a constant, never user input).
fn row_count(db: &mut Database, table: &'static str) -> Result<i64> {
    let mut sql = db.sql();
    sql.push(&format!("SELECT COUNT(*) AS n FROM {table}"));
    let rows: Vec<Count> = db.load(&format!("counting {table}"), &sql)?;
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
    let bulk = existing == 0 && migrations::management(db)? == Management::Embedded;
    let sqlite = db.backend() == Backend::Sqlite;
    if sqlite {
        db.batch("sizing the SQLite page cache", &format!("PRAGMA cache_size = -{SQLITE_SEED_CACHE_KIB}"))?;
        if bulk {
            db.batch("pausing foreign-key checks for the bulk load", "PRAGMA foreign_keys = OFF")?;
            // A rollback journal instead of the WAL: pages added to the end of the file need no
            // journal entry, so the bulk load writes its data once instead of twice (WAL, then
            // checkpoint). It needs the file to itself; if another connection holds it, the
            // switch fails and the seed simply stays on the WAL.
            let _ = db.batch("leaving WAL mode for the bulk load", "PRAGMA journal_mode = DELETE");
        }
    }
    db.batch("starting the seed transaction", "BEGIN")?;
    let result = (|| {
        // An empty table of faqlink's own is bulk loaded with its indexes and foreign keys set
        // aside, rebuilt (by sorting, and checked in one pass) in the same transaction.
        // expert_feedback first: its foreign key to faq_entries must go before faq_entries' key.
        let mut aside = Vec::new();
        if bulk {
            if !sqlite {
                db.batch("sizing the index build memory", "SET LOCAL maintenance_work_mem = '256MB'")?;
            }
            aside.push(SetAside::take(db, "expert_feedback")?);
            if row_count(db, "faq_entries")? == 0 {
                aside.push(SetAside::take(db, "faq_entries")?);
            }
        }
        let done = insert_all(db, plan, stream)?;
        for set_aside in aside.into_iter().rev() {
            set_aside.restore(db)?;
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
        db.batch("returning to WAL mode", "PRAGMA journal_mode = WAL")?;
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
    /// `table` is one of faqlink's own table names (a constant, never user input).
    fn take(db: &mut Database, table: &'static str) -> Result<Self> {
        let mut sql = db.sql();
        match db.backend() {
            Backend::Postgres => sql.push(&format!(
                "SELECT CAST(conname AS TEXT) AS name, pg_get_constraintdef(oid) AS def, CAST(contype AS TEXT) AS kind \
                 FROM pg_constraint WHERE conrelid = '{table}'::regclass AND contype IN ('p', 'f') \
                 UNION ALL \
                 SELECT CAST(indexname AS TEXT), indexdef, 'i' FROM pg_indexes \
                 WHERE schemaname = current_schema() AND tablename = '{table}' \
                   AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = '{table}'::regclass)"
            )),
            Backend::Sqlite => sql.push(&format!(
                "SELECT name, sql AS def, 'i' AS kind FROM sqlite_master \
                 WHERE type = 'index' AND tbl_name = '{table}' AND sql IS NOT NULL"
            )),
        };
        let defs: Vec<Definition> = db.load("reading index definitions", &sql)?;
        let of = |k: &'static str| defs.iter().filter(move |d| d.kind == k);
        let mut drop = Vec::new();
        let mut restore = Vec::new();
        for d in of("f").chain(of("p")) {
            drop.push(format!("ALTER TABLE {table} DROP CONSTRAINT {}", quoted(&d.name)));
        }
        for d in of("i") {
            drop.push(format!("DROP INDEX {}", quoted(&d.name)));
            restore.push(d.def.clone());
        }
        for d in of("p").chain(of("f")) {
            restore.push(format!("ALTER TABLE {table} ADD CONSTRAINT {} {}", quoted(&d.name), d.def));
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

/// Feedback rows per batch: the generator thread fills one batch while the previous one is
/// written, so at most a few batches are in memory at any time. PostgreSQL writes a batch as
/// one `COPY`, and the server idles between two of them, so its batches are larger (measured
/// at 1M rows: 11.8 s with 10,000 rows, 13.8 s with 5,000); SQLite has no such gap.
const BATCH_ROWS_POSTGRES: usize = 10_000;
/// See [`BATCH_ROWS_POSTGRES`].
const BATCH_ROWS_SQLITE: usize = 2_000;

/// SQLite page cache of a seed, in KiB: holds the primary-key indexes while rows are added.
const SQLITE_SEED_CACHE_KIB: u32 = 64 * 1024;

/// Rows per multi-row `INSERT` on SQLite (1,000 bound values for feedback): per-statement costs
/// dominate single-row inserts (measured: 29 s against 22 s for 1,000,000 rows).
const SQLITE_ROWS_PER_INSERT: usize = 50;

/// Batches the generator may run ahead of the writer.
const BATCHES_AHEAD: usize = 1;

const CATEGORIES: [&str; 5] =
    ["normativa_obsoleta", "interpretazione_errata", "caso_mancante", "calcolo_sbagliato", "troppo_generico"];

fn insert_all(db: &mut Database, plan: &Plan, stream: u64) -> Result<Seeded> {
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
    rng.set_stream(stream);
    let experts = insert_experts(db, plan, &mut rng)?;
    let mut done = Seeded { experts: experts.len() as u64, ..Seeded::default() };
    let batch_rows = match db.backend() {
        Backend::Postgres => BATCH_ROWS_POSTGRES,
        Backend::Sqlite => BATCH_ROWS_SQLITE,
    };
    let generator = Generator::new(plan.clone(), experts, rng, batch_rows);
    let progress = progress_bar(plan.feedback);
    // Rows are generated on a second thread while this one writes the previous batch. The
    // rows depend only on the RNG, never on the writer, so the output stays deterministic.
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_AHEAD);
        scope.spawn(move || {
            for batch in generator {
                if tx.send(batch).is_err() {
                    break; // the writer stopped on an error
                }
            }
        });
        for batch in rx {
            let (faqs, feedback) = (batch.faqs.len() as u64, batch.feedback.len() as u64);
            write_batch(db, batch)?;
            done.faqs += faqs;
            done.feedback += feedback;
            progress.inc(feedback);
        }
        Ok::<_, Error>(())
    })?;
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
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * bytes);
    for _ in 0..bytes {
        let byte = rng.gen::<u8>();
        s.push(char::from(HEX[usize::from(byte >> 4)]));
        s.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    s
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

/// One generated batch: the FAQs first, then the feedback rows that may link to them.
struct Batch {
    faqs: Vec<NewFaq>,
    feedback: Vec<NewFeedback>,
}

/// A published FAQ, as the Golden Set workflow writes it.
#[derive(Insertable)]
#[diesel(table_name = faq_entries, treat_none_as_default_value = false)]
struct NewFaq {
    id: String,
    question: String,
    answer: String,
    category: &'static str,
    language: &'static str,
    needs_review: bool,
    hit_count: i32,
    version: i32,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// One feedback row; `None` is written as NULL.
#[derive(Insertable)]
#[diesel(table_name = expert_feedback, treat_none_as_default_value = false)]
struct NewFeedback {
    id: Uuid,
    query_id: Uuid,
    expert_id: Uuid,
    feedback_type: FeedbackType,
    category: Option<FeedbackCategory>,
    query_text: String,
    original_answer: String,
    expert_answer: Option<String>,
    confidence_score: Option<f64>,
    time_spent_seconds: i32,
    complexity_rating: Option<i32>,
    feedback_timestamp: Option<Timestamp>,
    action_taken: Option<&'static str>,
    improvement_applied: Option<bool>,
    created_at: Option<Timestamp>,
    updated_at: Option<Timestamp>,
    task_creation_attempted: Option<bool>,
    task_creation_success: Option<bool>,
    task_creation_error: Option<&'static str>,
    generated_faq_id: Option<String>,
}

/// The deterministic row generator: an iterator of batches driven by one RNG stream.
struct Generator {
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
    fn new(plan: Plan, experts: Vec<Uuid>, rng: ChaCha8Rng, batch_rows: usize) -> Self {
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
        let (question, answer) = text(rng);
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
                if recent_queries.len() >= 64 {
                    let i = rng.gen_range(0..recent_queries.len());
                    recent_queries[i] = query_id;
                } else {
                    recent_queries.push(query_id);
                }
            }
            if rng.gen_bool(plan.attempted_share) {
                row.task_creation_attempted = Some(true);
                if rng.gen_bool(plan.success_rate) {
                    row.task_creation_success = Some(true);
                    let faq_id = format!("faq-{}", hex(rng, 12));
                    // A deleted FAQ leaves what ON DELETE SET NULL leaves: no FAQ row, no link.
                    if !rng.gen_bool(plan.deleted_share) {
                        let created = timestamp.unwrap_or(FAQ_FALLBACK_CREATED);
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
                    row.task_creation_error = Some(if rng.gen_bool(0.7) {
                        "non approvata dal revisore"
                    } else {
                        "timeout del workflow Golden Set"
                    });
                }
            }
        } else {
            row.feedback_type = if rng.gen_bool(0.6) { FeedbackType::Incomplete } else { FeedbackType::Incorrect };
            row.category = Some(FeedbackCategory(CATEGORIES[rng.gen_range(0..CATEGORIES.len())]));
            row.expert_answer =
                Some(format!("Correzione: {}", row.original_answer.chars().take(200).collect::<String>()));
        }
        row
    }
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
    let mut answer = String::with_capacity(800);
    answer.push_str("In merito a ");
    answer.push_str(topic);
    answer.push_str(" per il ");
    answer.push_str(&year.to_string());
    answer.push_str(": ");
    for _ in 0..rng.gen_range(3..7) {
        answer.push_str(SENTENCES[rng.gen_range(0..SENTENCES.len())]);
        answer.push(' ');
    }
    answer.pop();
    (question, answer)
}

/// Writes one batch: binary `COPY` on PostgreSQL, one cached prepared `INSERT` per row on SQLite.
fn write_batch(db: &mut Database, batch: Batch) -> Result<()> {
    use diesel::prelude::ExecuteCopyFromDsl;
    let Batch { faqs, feedback } = batch;
    let written = match &mut db.conn {
        Conn::Pg(pg) => (|| {
            if !faqs.is_empty() {
                diesel::copy_from(faq_entries::table).from_insertable(faqs).execute(pg)?;
            }
            diesel::copy_from(expert_feedback::table).from_insertable(feedback).execute(pg)?;
            Ok(())
        })(),
        Conn::Sqlite(lite) => (|| {
            for rows in faqs.chunks(SQLITE_ROWS_PER_INSERT) {
                diesel::insert_into(faq_entries::table).values(rows).execute(lite)?;
            }
            for rows in feedback.chunks(SQLITE_ROWS_PER_INSERT) {
                diesel::insert_into(expert_feedback::table).values(rows).execute(lite)?;
            }
            Ok(())
        })(),
    };
    written.map_err(|e| db.error("inserting seeded rows", e))
}

#[cfg(test)]
mod tests {
    use super::*;

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
