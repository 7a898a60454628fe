DROP INDEX ix_faqlink_orphaned;
DROP INDEX ix_faqlink_experts;
