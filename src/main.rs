//! The `faqlink` binary: parse, find the database (flag, environment, else `./.env`), run,
//! map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use faqlink::cli::{Cli, Command};
use faqlink::output::escape::Visible;

fn main() -> ExitCode {
    let mut cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(e),
    };
    let verbose = cli.verbose;
    // Temporary files removed on SIGTERM/SIGINT/SIGHUP/SIGQUIT; SIGXFSZ reported as an error.
    faqlink::output::cleanup::install();
    // A .env in the current directory is read only by a command that opens the database, and
    // only when neither the flag nor the environment gave it (`--help` and `--version` have
    // already exited).
    let needs_database = !matches!(cli.command, Command::Completions(_) | Command::Man(_) | Command::Version(_));
    let outcome = match cli.database_url {
        Some(_) => Ok(()),
        None if !needs_database => Ok(()),
        None => faqlink::db::url::database_url_from_dotenv(std::path::Path::new(faqlink::db::url::DOTENV_FILE))
            .map(|url| cli.database_url = url),
    };
    match outcome.and_then(|()| faqlink::commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        // `faqlink report … | head` is a normal way to use a report.
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            // Whatever a message quotes (a value, a path, a server's words) reaches the
            // terminal with its control and bidi characters escaped, on one line.
            eprintln!("faqlink: error: {}", Visible::line(&e.to_string()));
            if verbose {
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    eprintln!("  caused by: {}", Visible::line(&s.to_string()));
                    source = s.source();
                }
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// `--help` and `--version` print as clap does; a usage error becomes the one-line
/// `faqlink: error: …` every other error uses (exit 2), quoting nothing the user typed
/// ([`faqlink::clap_error`]).
fn clap_exit(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    eprintln!("faqlink: error: {}", Visible::line(&faqlink::clap_error::one_line(&e, &args)));
    ExitCode::from(2)
}
