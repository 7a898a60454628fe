//! `faqlink man`: manual pages in roff, rendered by clap_mangen from the same clap definitions
//! as `--help`, so the page cannot drift from the options. faqlink(1) covers the global options
//! and lists the commands; each command (and `migrate`'s actions) has its own page,
//! faqlink-report(1) and so on, as `git` and `cargo` do.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};
use crate::error::{Error, Result};
use crate::output::Output;

/// One rendered manual page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The command path after `faqlink`, e.g. `["migrate", "revert"]`; empty for faqlink(1).
    pub path: Vec<String>,
    /// The file name, e.g. `faqlink-migrate-revert.1`.
    pub file_name: String,
    /// The page in roff.
    pub roff: Vec<u8>,
}

/// Runs `faqlink man`: prints one page, or writes every page into `--output-dir`.
pub fn run(args: &ManArgs) -> Result<()> {
    let pages = pages()?;
    if let Some(dir) = &args.output_dir {
        return write_pages(&pages, dir);
    }
    let page = pages.iter().find(|p| p.path == args.command).ok_or_else(|| {
        let known: Vec<String> = pages.iter().filter(|p| !p.path.is_empty()).map(|p| p.path.join(" ")).collect();
        // The words are not echoed: a stray connection string or password given here would
        // be (see `clap_error`).
        Error::Usage(format!(
            "no manual page for the {} word(s) after `man` (not shown); pages exist for: {}",
            args.command.len(),
            known.join(", ")
        ))
    })?;
    let mut out = std::io::stdout().lock();
    out.write_all(&page.roff).and_then(|()| out.flush()).map_err(Error::stdout)
}

/// Every page: faqlink(1) first, then each command's page, depth first.
pub fn pages() -> Result<Vec<Page>> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    collect(&cmd, Vec::new(), &mut pages)?;
    Ok(pages)
}

fn collect(cmd: &clap::Command, path: Vec<String>, pages: &mut Vec<Page>) -> Result<()> {
    // Every page names faqlink's version (a subcommand has none of its own).
    let man = clap_mangen::Man::new(cmd.clone()).source(format!("faqlink {}", env!("CARGO_PKG_VERSION")));
    let mut roff = Vec::new();
    man.render(&mut roff)
        .map_err(|source| Error::io("cannot render the manual page", Path::new(&man.get_filename()), source))?;
    pages.push(Page { path: path.clone(), file_name: man.get_filename(), roff });
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut sub_path = path.clone();
        sub_path.push(sub.get_name().to_owned());
        collect(sub, sub_path, pages)?;
    }
    Ok(())
}

/// Writes each page into `dir` (created when missing), each file complete or not at all
/// (the same atomic files as the reports: [`Output::file`]).
fn write_pages(pages: &[Page], dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create the folder", dir, e))?;
    for page in pages {
        let mut out = Output::file(&dir.join(&page.file_name))?;
        out.write_all(&page.roff).map_err(|e| out.error(e))?;
        out.commit()?;
    }
    eprintln!("faqlink: wrote {} manual pages into {}", pages.len(), dir.display());
    Ok(())
}
