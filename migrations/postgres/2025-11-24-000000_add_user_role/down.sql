DROP INDEX ix_user_role;
ALTER TABLE "user" DROP COLUMN role;
