//! `faqlink migrate [status|revert|redo]`: faqlink's embedded migrations.

use crate::cli::{MigrateAction, MigrateArgs};
use crate::commands::Global;
use crate::db::migrations::{self, Management};
use crate::db::{Access, Database};
use crate::error::{Error, Result};
use crate::output::escape::Visible;

/// Runs `faqlink migrate`.
pub fn run(args: &MigrateArgs, global: &Global) -> Result<()> {
    match &args.action {
        None => {
            // A new SQLite file is built under a temporary name and appears complete.
            let mut db = Database::open_to_write(&global.url)?;
            let done = db.writing(migrations::run_pending)?;
            if done.is_empty() {
                println!("{}: up to date, no pending migrations", db.url);
            } else {
                for v in &done {
                    println!("applied {v}");
                }
                println!("{}: {} migration(s) applied", db.url, done.len());
            }
            Ok(())
        }
        Some(MigrateAction::Status) => status(global),
        Some(MigrateAction::Revert(r)) => {
            let mut db = open_existing(global)?;
            let steps = if r.all { u32::MAX } else { r.steps };
            let reverted = db.writing(|db| {
                let mut reverted = 0;
                while reverted < steps {
                    match migrations::revert_last(db)? {
                        Some(v) => {
                            println!("reverted {v}");
                            reverted += 1;
                        }
                        None => break,
                    }
                }
                Ok(reverted)
            })?;
            if reverted == 0 {
                println!("{}: nothing to revert", db.url);
            }
            Ok(())
        }
        Some(MigrateAction::Redo) => {
            let mut db = open_existing(global)?;
            db.writing(|db| {
                match migrations::revert_last(db)? {
                    Some(v) => {
                        println!("reverted {v}");
                        let again = migrations::run_next(db)?;
                        println!("applied {again}");
                    }
                    None => println!("{}: nothing to redo", db.url),
                }
                Ok(())
            })
        }
    }
}

/// Opens the database for `revert` or `redo`, which have nothing to do on a SQLite file that
/// does not exist (it is not created).
fn open_existing(global: &Global) -> Result<Database> {
    if let Some(path) = global.url.sqlite_path().filter(|p| std::fs::symlink_metadata(p).is_err()) {
        return Err(Error::MissingDatabase { path: path.to_path_buf() });
    }
    Database::open_to_write(&global.url)
}

fn status(global: &Global) -> Result<()> {
    let mut db = Database::open(&global.url, Access::ReadOnly)?;
    let (management, states) = db.read_snapshot(|db| Ok((migrations::management(db)?, migrations::status(db)?)))?;
    if let Management::External { alembic_revision } = &management {
        println!(
            "{}: no {} table; the schema is managed externally{}",
            db.url,
            migrations::DIESEL_TABLE,
            alembic_revision.as_ref().map_or(String::new(), |r| format!(" (Alembic revision {})", Visible::line(r)))
        );
        return Ok(());
    }
    for s in &states {
        println!("[{}] {}", if s.applied { "X" } else { " " }, s.name);
    }
    let pending = states.iter().filter(|s| !s.applied).count();
    println!("{}: {} applied, {} pending", db.url, states.len() - pending, pending);
    Ok(())
}
