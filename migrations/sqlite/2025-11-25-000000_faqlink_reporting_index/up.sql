-- faqlink-only (not part of the production chain): a covering index for the report queries
-- (SQLite has no INCLUDE: the extra columns are trailing key columns). Keyed on
-- (feedback_type, expert_id) because SQLite's planner otherwise walks the expert_id index
-- with a table lookup per row for the per-expert report; windowed reports use the
-- timestamp index instead.
CREATE INDEX ix_faqlink_reporting ON expert_feedback
    (feedback_type, expert_id, generated_faq_id, task_creation_attempted, task_creation_success, feedback_timestamp,
     id, query_id);
