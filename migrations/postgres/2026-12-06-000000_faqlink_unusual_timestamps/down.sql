-- faqlink-only, SQLite-only: nothing to undo on PostgreSQL (see up.sql).
SELECT 1;
