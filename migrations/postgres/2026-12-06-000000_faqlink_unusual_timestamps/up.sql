-- faqlink-only, SQLite-only: nothing to do on PostgreSQL (this file keeps both chains on the
-- same versions). On SQLite this migration indexes the rows whose feedback_timestamp text is
-- not canonical; PostgreSQL stores timestamptz, which has one reading, so there is nothing
-- to find. The production chain is untouched.
SELECT 1;
