-- Production revision 20251121_expert_feedback: enum types, expert_profiles, expert_feedback.
CREATE TYPE feedback_type AS ENUM ('correct', 'incomplete', 'incorrect');
CREATE TYPE italian_feedback_category AS ENUM (
    'normativa_obsoleta', 'interpretazione_errata', 'caso_mancante',
    'calcolo_sbagliato', 'troppo_generico'
);

CREATE TABLE expert_profiles (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id INTEGER NOT NULL UNIQUE REFERENCES "user" (id) ON DELETE CASCADE,
    credentials TEXT[],
    experience_years INTEGER,
    specializations TEXT[],
    professional_registration_number VARCHAR(50),
    organization VARCHAR(200),
    location_city VARCHAR(100),
    feedback_count INTEGER DEFAULT 0,
    feedback_accuracy_rate DOUBLE PRECISION,
    average_response_time_seconds INTEGER,
    trust_score DOUBLE PRECISION DEFAULT 0.5 CHECK (trust_score >= 0 AND trust_score <= 1),
    is_verified BOOLEAN DEFAULT false,
    verification_date TIMESTAMPTZ,
    is_active BOOLEAN DEFAULT true,
    created_at TIMESTAMPTZ DEFAULT now(),
    updated_at TIMESTAMPTZ DEFAULT now()
);

CREATE TABLE expert_feedback (
    id UUID PRIMARY KEY,
    query_id UUID NOT NULL,
    expert_id UUID NOT NULL REFERENCES expert_profiles (id) ON DELETE CASCADE,
    feedback_type feedback_type NOT NULL,
    category italian_feedback_category,
    query_text TEXT NOT NULL,
    original_answer TEXT NOT NULL,
    expert_answer TEXT,
    improvement_suggestions TEXT[],
    regulatory_references TEXT[],
    confidence_score DOUBLE PRECISION DEFAULT 0.0 CHECK (confidence_score >= 0 AND confidence_score <= 1),
    time_spent_seconds INTEGER NOT NULL CHECK (time_spent_seconds > 0),
    complexity_rating INTEGER CHECK (complexity_rating >= 1 AND complexity_rating <= 5),
    feedback_timestamp TIMESTAMPTZ DEFAULT now(),
    processing_time_ms INTEGER,
    action_taken VARCHAR(100),
    improvement_applied BOOLEAN DEFAULT false,
    created_at TIMESTAMPTZ DEFAULT now(),
    updated_at TIMESTAMPTZ DEFAULT now(),
    additional_details TEXT,
    generated_task_id VARCHAR(50),
    task_creation_attempted BOOLEAN DEFAULT false,
    task_creation_success BOOLEAN,
    task_creation_error TEXT
);
CREATE INDEX ix_expert_feedback_query_id ON expert_feedback (query_id);
CREATE INDEX ix_expert_feedback_expert_id ON expert_feedback (expert_id);
CREATE INDEX ix_expert_feedback_feedback_timestamp ON expert_feedback (feedback_timestamp DESC);
