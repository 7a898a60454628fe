-- faqlink-only (not part of the production chain): a covering index keyed on the report
-- window's column, so windowed reports (--last-week, --week) read one index range and every
-- report section (orphan ids and duplicate query ids included) reads the index only.
-- On a production database create it yourself, without blocking writers
-- (`faqlink check` prints the statement):
--   CREATE INDEX CONCURRENTLY ix_faqlink_reporting ON expert_feedback (feedback_timestamp)
--       INCLUDE (feedback_type, expert_id, generated_faq_id, task_creation_attempted, task_creation_success, id, query_id);
CREATE INDEX ix_faqlink_reporting ON expert_feedback (feedback_timestamp)
    INCLUDE (feedback_type, expert_id, generated_faq_id, task_creation_attempted, task_creation_success, id, query_id);
