-- faqlink's OWN query for `report totals` on SQLite, full history (not the reference): the
-- SQL text built in src/reports/totals.rs (with src/reports/mod.rs's push_dangling), inside one
-- read transaction as faqlink runs it. Used by bench/reports.sh.
BEGIN DEFERRED;
SELECT a.feedback_total AS feedback_total, a.correct_feedback AS correct_feedback,
       a.incomplete_feedback AS incomplete_feedback, a.incorrect_feedback AS incorrect_feedback,
       a.workflow_attempted AS workflow_attempted, a.faq_published AS faq_published,
       a.faqs_generated AS faqs_generated, a.orphaned_links AS orphaned_links,
       a.faqs_generated - b.dangling_correct AS faqs_live, b.dangling_links AS dangling_links
FROM (SELECT COUNT(*) AS feedback_total,
             COUNT(*) FILTER (WHERE ef.feedback_type = 'correct') AS correct_feedback,
             COUNT(*) FILTER (WHERE ef.feedback_type = 'incomplete') AS incomplete_feedback,
             COUNT(*) FILTER (WHERE ef.feedback_type = 'incorrect') AS incorrect_feedback,
             COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_attempted IS TRUE) AS workflow_attempted,
             COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_success IS TRUE) AS faq_published,
             COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.generated_faq_id IS NOT NULL) AS faqs_generated,
             COUNT(*) FILTER (WHERE ef.feedback_type = 'correct' AND ef.task_creation_success IS TRUE
                                    AND ef.generated_faq_id IS NULL) AS orphaned_links
      FROM expert_feedback ef WHERE 1 = 1) a
CROSS JOIN (SELECT COUNT(*) AS dangling_links,
                   COUNT(*) FILTER (WHERE ef.feedback_type = 'correct') AS dangling_correct
            FROM expert_feedback ef
            WHERE 1 = 1 AND ef.generated_faq_id IN (SELECT d.generated_faq_id FROM expert_feedback d
                  WHERE d.generated_faq_id IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM faq_entries fe WHERE fe.id = d.generated_faq_id))) b;
ROLLBACK;
