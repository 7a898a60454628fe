-- Production revision 20251121_expert_feedback, SQLite dialect: the enum types become
-- TEXT with CHECK constraints, UUIDs are lowercase hyphenated TEXT, arrays are JSON TEXT.
CREATE TABLE expert_profiles (
    id TEXT PRIMARY KEY NOT NULL DEFAULT (lower(
        hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
        substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id INTEGER NOT NULL UNIQUE REFERENCES "user" (id) ON DELETE CASCADE,
    credentials TEXT,
    experience_years INTEGER,
    specializations TEXT,
    professional_registration_number VARCHAR(50),
    organization VARCHAR(200),
    location_city VARCHAR(100),
    feedback_count INTEGER DEFAULT 0,
    feedback_accuracy_rate DOUBLE PRECISION,
    average_response_time_seconds INTEGER,
    trust_score DOUBLE PRECISION DEFAULT 0.5 CHECK (trust_score >= 0 AND trust_score <= 1),
    is_verified BOOLEAN DEFAULT 0,
    verification_date TEXT,
    is_active BOOLEAN DEFAULT 1,
    created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')),
    updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
);

CREATE TABLE expert_feedback (
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
CREATE INDEX ix_expert_feedback_query_id ON expert_feedback (query_id);
CREATE INDEX ix_expert_feedback_expert_id ON expert_feedback (expert_id);
CREATE INDEX ix_expert_feedback_feedback_timestamp ON expert_feedback (feedback_timestamp DESC);
