//! The `faqlink` binary: load `.env`, parse, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use faqlink::cli::Cli;

fn main() -> ExitCode {
    // A .env in the current directory may set DATABASE_URL; the real environment wins.
    if std::path::Path::new(".env").is_file() {
        if let Err(e) = dotenvy::from_path(".env") {
            eprintln!("faqlink: error: cannot read .env: {e}");
            return ExitCode::from(1);
        }
    }
    let cli = Cli::parse();
    let verbose = cli.verbose;
    match faqlink::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // `faqlink report … | head` is a normal way to use a report.
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("faqlink: error: {e}");
            if verbose {
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    eprintln!("  caused by: {s}");
                    source = s.source();
                }
            }
            ExitCode::from(e.exit_code())
        }
    }
}
