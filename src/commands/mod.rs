//! One module per command; each owns a `run` taking its arguments and the global options.

pub mod check;
pub mod completions;
pub mod demo;
pub mod man;
pub mod migrate;
pub mod report;
pub mod seed;
pub mod version;

use crate::cli::{Cli, Command};
use crate::db::DatabaseUrl;
use crate::error::Result;

impl From<crate::db::Backend> for crate::output::Engine {
    /// The engine the outputs name for a connection's backend (the commands are where the
    /// database and the output meet).
    fn from(b: crate::db::Backend) -> Self {
        match b {
            crate::db::Backend::Postgres => crate::output::Engine::Postgres,
            crate::db::Backend::Sqlite => crate::output::Engine::Sqlite,
        }
    }
}

/// Options shared by every command.
#[derive(Debug, Clone)]
pub struct Global {
    /// The database.
    pub url: DatabaseUrl,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let command = match cli.command {
        // About faqlink itself: they open no database, so a bad DATABASE_URL does not stop them.
        Command::Completions(args) => return completions::run(&args),
        Command::Man(args) => return man::run(&args),
        Command::Version(args) => return version::run(&args),
        command => command,
    };
    let global = Global { url: DatabaseUrl::parse(cli.database_url.as_deref())? };
    match command {
        Command::Migrate(args) => migrate::run(&args, &global),
        Command::Check(args) => check::run(&args, &global),
        Command::Seed(args) => seed::run(&args, &global),
        Command::Demo(args) => demo::run(&args, &global),
        Command::Report(args) => report::run(&args, &global),
        Command::Completions(_) | Command::Man(_) | Command::Version(_) => unreachable!("answered above"),
    }
}
