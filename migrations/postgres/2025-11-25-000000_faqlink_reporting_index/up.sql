-- faqlink-only (not part of the production chain): a covering index that turns the per-expert
-- and totals aggregates into index-only scans. On a production database create it yourself,
-- without blocking writers (`faqlink check` prints the statement):
--   CREATE INDEX CONCURRENTLY ix_faqlink_reporting ON expert_feedback (feedback_type, expert_id)
--       INCLUDE (generated_faq_id, task_creation_attempted, task_creation_success, feedback_timestamp);
CREATE INDEX ix_faqlink_reporting ON expert_feedback (feedback_type, expert_id)
    INCLUDE (generated_faq_id, task_creation_attempted, task_creation_success, feedback_timestamp);
