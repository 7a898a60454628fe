-- faqlink's OWN query for `report totals` on PostgreSQL, as faqlink runs it (not the
-- reference): the SQL text built in src/reports/totals.rs, after the session settings of
-- src/commands/report.rs (jit = off, work_mem = 64MB), inside the read-only snapshot of src/db/mod.rs.
-- psql variable `window`: empty (full history) or the conditions faqlink appends, as in
-- experts.faqlink.postgres.sql. Used by bench/reports.sh.
SET jit = off;
SET work_mem = '64MB';
BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
SELECT COUNT(*) AS feedback_total,
       COUNT(*) FILTER (WHERE ef.feedback_type = 'correct') AS correct_feedback,
       COUNT(*) FILTER (WHERE ef.feedback_type = 'incomplete') AS incomplete_feedback,
       COUNT(*) FILTER (WHERE ef.feedback_type = 'incorrect') AS incorrect_feedback,
       COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_attempted IS TRUE) AS workflow_attempted,
       COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_success IS TRUE) AS faq_published,
       COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.generated_faq_id IS NOT NULL) AS faqs_generated,
       COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND fe.id IS NOT NULL) AS faqs_live,
       COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_success IS TRUE
                              AND ef.generated_faq_id IS NULL) AS orphaned_links,
       COUNT(*) FILTER (WHERE ef.generated_faq_id IS NOT NULL AND fe.id IS NULL) AS dangling_links
FROM expert_feedback ef LEFT JOIN faq_entries fe ON fe.id = ef.generated_faq_id
WHERE 1 = 1 :window;
ROLLBACK;
