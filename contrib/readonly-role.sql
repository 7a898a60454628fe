-- faqlink's read-only PostgreSQL role (docs/OPERATIONS.md).
--
-- A login role that can read exactly the tables `faqlink check` and `faqlink report` read,
-- and whose every transaction is read-only. Run it once per database, as its owner or a
-- superuser, with psql (it uses psql variables):
--
--   psql -d aifinance -f contrib/readonly-role.sql                       # role faqlink_reader
--   psql -d aifinance -v reader=faqlink_ro -f contrib/readonly-role.sql  # another name
--
-- It sets no password: give one with `\password faqlink_reader` (or use a client certificate),
-- as your pg_hba.conf requires. Everything happens in one transaction: on an error nothing is
-- left behind (CREATE ROLE fails if the role already exists).

\set ON_ERROR_STOP on
\if :{?reader}
\else
  \set reader faqlink_reader
\endif

BEGIN;

CREATE ROLE :"reader" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
-- Every transaction of this role is read-only, even one that does not ask to be.
ALTER ROLE :"reader" SET default_transaction_read_only = on;

SELECT current_database() AS faqlink_database, current_schema() AS faqlink_schema \gset
GRANT CONNECT ON DATABASE :"faqlink_database" TO :"reader";
GRANT USAGE ON SCHEMA :"faqlink_schema" TO :"reader";

-- The reports read these three tables; `check` reads them and the catalog.
GRANT SELECT ON TABLE expert_feedback, faq_entries, expert_profiles TO :"reader";

-- `check` also says how the schema is managed: Alembic's table on production, Diesel's on a
-- database faqlink migrated. Whichever exists is granted.
SELECT to_regclass('alembic_version') IS NOT NULL AS faqlink_has_alembic,
       to_regclass('__diesel_schema_migrations') IS NOT NULL AS faqlink_has_diesel \gset
\if :faqlink_has_alembic
GRANT SELECT ON TABLE alembic_version TO :"reader";
\endif
\if :faqlink_has_diesel
GRANT SELECT ON TABLE __diesel_schema_migrations TO :"reader";
\endif

COMMIT;
