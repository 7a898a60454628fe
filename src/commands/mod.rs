//! One module per command; each owns a `run` taking its arguments and the global options.

pub mod check;
pub mod demo;
pub mod migrate;
pub mod report;
pub mod seed;

use crate::cli::{Cli, Command};
use crate::db::DatabaseUrl;
use crate::error::Result;

/// Options shared by every command.
#[derive(Debug, Clone)]
pub struct Global {
    /// The database.
    pub url: DatabaseUrl,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let global = Global { url: DatabaseUrl::parse(cli.database_url.as_deref())? };
    match cli.command {
        Command::Migrate(args) => migrate::run(&args, &global),
        Command::Check(args) => check::run(&args, &global),
        Command::Seed(args) => seed::run(&args, &global),
        Command::Demo(args) => demo::run(&args, &global),
        Command::Report(args) => report::run(&args, &global),
    }
}
