-- Production revision 20251124_add_generated_faq_id (the design document's migration).
ALTER TABLE expert_feedback ADD COLUMN generated_faq_id VARCHAR(100) NULL;
ALTER TABLE expert_feedback
    ADD CONSTRAINT fk_expert_feedback_generated_faq_id
    FOREIGN KEY (generated_faq_id) REFERENCES faq_entries (id) ON DELETE SET NULL;
CREATE INDEX idx_expert_feedback_generated_faq_id ON expert_feedback (generated_faq_id);
