-- faqlink-only (not part of the production chain): two small partial indexes.
--
-- ix_faqlink_experts holds the `correct` rows only, keyed on the expert: the per-expert
-- report over the whole history reads 60 % of the rows from an index a third the size of
-- ix_faqlink_reporting (10M rows: 320 MB; `report experts` 1.6 s -> 0.5 s).
--
-- ix_faqlink_orphaned holds the orphaned links only (a `correct` row whose FAQ was published
-- and deleted, so ON DELETE SET NULL cleared the link): the orphans report finds them
-- without reading every row (10M rows: 180k entries; that branch 1.4 s -> a few ms).
--
-- On a production database create them yourself, without blocking writers
-- (`faqlink check` prints the statements):
--   CREATE INDEX CONCURRENTLY ix_faqlink_experts ON expert_feedback (expert_id)
--       INCLUDE (generated_faq_id) WHERE feedback_type = 'correct';
--   CREATE INDEX CONCURRENTLY ix_faqlink_orphaned ON expert_feedback (feedback_timestamp, id)
--       INCLUDE (expert_id) WHERE feedback_type = 'correct' AND task_creation_success IS TRUE AND generated_faq_id IS NULL;
CREATE INDEX ix_faqlink_experts ON expert_feedback (expert_id)
    INCLUDE (generated_faq_id) WHERE feedback_type = 'correct';
CREATE INDEX ix_faqlink_orphaned ON expert_feedback (feedback_timestamp, id)
    INCLUDE (expert_id) WHERE feedback_type = 'correct' AND task_creation_success IS TRUE AND generated_faq_id IS NULL;
