-- Production revision add_faq_tables_20250805 (faq_entries only).
CREATE TABLE faq_entries (
    id VARCHAR(100) PRIMARY KEY,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    category VARCHAR(100) NOT NULL DEFAULT 'generale',
    tags VARCHAR(50)[],
    language VARCHAR(10) NOT NULL DEFAULT 'it',
    needs_review BOOLEAN NOT NULL DEFAULT false,
    hit_count INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    previous_version_id VARCHAR(100),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ix_faq_entries_category ON faq_entries (category);
