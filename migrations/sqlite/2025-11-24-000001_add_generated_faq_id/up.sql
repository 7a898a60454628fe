-- Production revision 20251124_add_generated_faq_id, SQLite dialect. SQLite adds the
-- foreign key with the column (it cannot add a constraint to an existing table); the
-- constraint keeps the production name. faqlink runs this with foreign keys enforced
-- on every connection, so ON DELETE SET NULL fires as it does on PostgreSQL.
ALTER TABLE expert_feedback ADD COLUMN generated_faq_id VARCHAR(100) NULL
    CONSTRAINT fk_expert_feedback_generated_faq_id
    REFERENCES faq_entries (id) ON DELETE SET NULL;
CREATE INDEX idx_expert_feedback_generated_faq_id ON expert_feedback (generated_faq_id);
