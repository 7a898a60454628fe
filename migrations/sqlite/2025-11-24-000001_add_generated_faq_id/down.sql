-- Drops the index, the constraint and the column, nothing else. SQLite cannot drop a
-- column that carries a foreign key, so the table is rebuilt without it; faqlink runs
-- migrations with foreign-key enforcement off and checks integrity afterwards, so the
-- rebuild cascades nothing.
DROP INDEX idx_expert_feedback_generated_faq_id;
CREATE TABLE expert_feedback_new (
    id TEXT PRIMARY KEY NOT NULL,
    query_id TEXT NOT NULL,
    expert_id TEXT NOT NULL REFERENCES expert_profiles (id) ON DELETE CASCADE,
    feedback_type TEXT NOT NULL CHECK (feedback_type IN ('correct', 'incomplete', 'incorrect')),
    category TEXT CHECK (category IN ('normativa_obsoleta', 'interpretazione_errata',
        'caso_mancante', 'calcolo_sbagliato', 'troppo_generico')),
    query_text TEXT NOT NULL,
    original_answer TEXT NOT NULL,
    expert_answer TEXT,
    improvement_suggestions TEXT,
    regulatory_references TEXT,
    confidence_score DOUBLE PRECISION DEFAULT 0.0 CHECK (confidence_score >= 0 AND confidence_score <= 1),
    time_spent_seconds INTEGER NOT NULL CHECK (time_spent_seconds > 0),
    complexity_rating INTEGER CHECK (complexity_rating >= 1 AND complexity_rating <= 5),
    feedback_timestamp TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')),
    processing_time_ms INTEGER,
    action_taken VARCHAR(100),
    improvement_applied BOOLEAN DEFAULT 0,
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')),
    updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')),
    additional_details TEXT,
    generated_task_id VARCHAR(50),
    task_creation_attempted BOOLEAN DEFAULT 0,
    task_creation_success BOOLEAN,
    task_creation_error TEXT
);
INSERT INTO expert_feedback_new (
    id, query_id, expert_id, feedback_type, category, query_text, original_answer,
    expert_answer, improvement_suggestions, regulatory_references, confidence_score,
    time_spent_seconds, complexity_rating, feedback_timestamp, processing_time_ms,
    action_taken, improvement_applied, created_at, updated_at, additional_details,
    generated_task_id, task_creation_attempted, task_creation_success, task_creation_error)
SELECT
    id, query_id, expert_id, feedback_type, category, query_text, original_answer,
    expert_answer, improvement_suggestions, regulatory_references, confidence_score,
    time_spent_seconds, complexity_rating, feedback_timestamp, processing_time_ms,
    action_taken, improvement_applied, created_at, updated_at, additional_details,
    generated_task_id, task_creation_attempted, task_creation_success, task_creation_error
FROM expert_feedback;
DROP TABLE expert_feedback;
ALTER TABLE expert_feedback_new RENAME TO expert_feedback;
CREATE INDEX ix_expert_feedback_query_id ON expert_feedback (query_id);
CREATE INDEX ix_expert_feedback_expert_id ON expert_feedback (expert_id);
CREATE INDEX ix_expert_feedback_feedback_timestamp ON expert_feedback (feedback_timestamp DESC);
