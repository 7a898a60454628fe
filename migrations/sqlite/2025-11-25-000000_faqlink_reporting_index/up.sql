-- faqlink-only (not part of the production chain): a covering index for the per-expert and
-- totals aggregates (SQLite has no INCLUDE: the extra columns are trailing key columns).
CREATE INDEX ix_faqlink_reporting ON expert_feedback
    (feedback_type, expert_id, generated_faq_id, task_creation_attempted, task_creation_success, feedback_timestamp);
