//! `faqlink man`: manual pages in roff, rendered by clap_mangen from the same clap definitions
//! as `--help`, so the page cannot drift from the options. faqlink(1) covers the global options
//! and lists the commands; each command (and `migrate`'s actions) has its own page,
//! faqlink-report(1) and so on, as `git` and `cargo` do.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use roff::{bold, roman, Roff};

use crate::cli::{manual_sections, Cli, ManArgs};
use crate::error::{Error, Result};
use crate::output::Output;

/// One rendered manual page.
#[derive(Debug, Clone)]
pub(crate) struct Page {
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
pub(crate) fn pages() -> Result<Vec<Page>> {
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
    let words: Vec<&str> = path.iter().map(String::as_str).collect();
    render(&man, cmd, &words, &mut roff)
        .map_err(|source| Error::io("cannot render the manual page", Path::new(&man.get_filename()), source))?;
    pages.push(Page { path: path.clone(), file_name: man.get_filename(), roff });
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut sub_path = path.clone();
        sub_path.push(sub.get_name().to_owned());
        collect(sub, sub_path, pages)?;
    }
    Ok(())
}

/// One page: clap_mangen's sections, then EXAMPLES, EXIT STATUS, ENVIRONMENT and FILES from
/// [`manual_sections`] (the text `--help` ends with, which clap_mangen would print as one
/// EXTRA section), then the version.
fn render(man: &clap_mangen::Man, cmd: &clap::Command, path: &[&str], w: &mut Vec<u8>) -> std::io::Result<()> {
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(w)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(w)?;
    }
    let mut roff = Roff::new();
    for section in manual_sections(path).iter().filter(|s| !s.entries.is_empty()) {
        roff.control("SH", [section.heading]);
        for (what, means) in section.entries {
            roff.control("TP", []);
            roff.text([bold(*what)]);
            roff.text([roman(*means)]);
        }
        if !section.note.is_empty() {
            roff.control("PP", []);
            roff.text([roman(section.note)]);
        }
    }
    roff.to_writer(w)?;
    if cmd.get_version().or_else(|| cmd.get_long_version()).is_some() {
        man.render_version_section(w)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every page (each command and `migrate`'s actions) has EXAMPLES, EXIT STATUS,
    /// ENVIRONMENT and FILES, with the same entries as that command's `--help`; every example
    /// is a command line that parses, and runs the page's own command.
    #[test]
    fn every_page_has_examples_exit_status_environment_and_files_as_help_does() {
        let pages = pages().unwrap();
        assert_eq!(pages.len(), 12, "{:?}", pages.iter().map(|p| &p.file_name).collect::<Vec<_>>());
        let mut examples = 0;
        for page in &pages {
            let roff = String::from_utf8(page.roff.clone()).unwrap();
            let path: Vec<&str> = page.path.iter().map(String::as_str).collect();
            let mut cmd = Cli::command();
            cmd.build();
            let mut sub = &cmd;
            for word in &path {
                sub = sub.find_subcommand(word).unwrap();
            }
            // --help wraps lines at the terminal's width: compare words.
            let flat = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
            let help = flat(&sub.clone().render_long_help().to_string());
            for heading in [".SH EXAMPLES", ".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH FILES"] {
                assert_eq!(roff.matches(heading).count(), 1, "{}: {heading}", page.file_name);
            }
            assert!(!roff.contains(".SH EXTRA"), "{}", page.file_name);
            for heading in ["Examples:", "Exit status:", "Environment:", "Files:"] {
                assert!(help.contains(heading), "{:?} --help: {heading}", path);
            }
            let sections = manual_sections(&path);
            assert!(!sections[0].entries.is_empty(), "{} has no example", page.file_name);
            for section in sections {
                for (what, means) in section.entries {
                    assert!(help.contains(&flat(what)) && help.contains(&flat(means)), "{path:?} --help lacks {what}");
                    // roff escapes `-` as `\-`.
                    assert!(roff.contains(&what.replace('-', "\\-")), "{}: {what}", page.file_name);
                }
                // A note follows the entries on both, word for word.
                assert!(help.contains(&flat(section.note)), "{path:?} --help lacks the note of {}", section.heading);
                assert!(flat(&roff).contains(&flat(&section.note.replace('-', "\\-"))), "{}", page.file_name);
            }
            for (line, _) in examples_of(&path) {
                let words: Vec<&str> = line.split_whitespace().collect();
                let parsed = <Cli as clap::Parser>::try_parse_from(&words).unwrap_or_else(|e| panic!("{line}: {e}"));
                let ran: Vec<&str> = words.iter().copied().filter(|w| path.contains(w)).collect();
                assert_eq!(ran, path, "{line} runs another command than {path:?}");
                if let crate::cli::Command::Report(args) = parsed.command {
                    crate::config::report(&args).unwrap_or_else(|e| panic!("{line}: {e}"));
                }
                examples += 1;
            }
        }
        assert!(examples >= 20, "{examples}");
    }

    fn examples_of(path: &[&str]) -> &'static [(&'static str, &'static str)] {
        crate::cli::examples(path)
    }
}
