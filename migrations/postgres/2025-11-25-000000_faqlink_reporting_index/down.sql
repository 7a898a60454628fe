DROP INDEX ix_faqlink_reporting;
