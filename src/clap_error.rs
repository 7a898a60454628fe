//! clap's usage errors as one line that quotes nothing the user typed.
//!
//! clap echoes the offending token ("unexpected argument 'postgres://u:pw@h/db' found"), and a
//! token given by mistake may be a connection string or a password. The line is built by the
//! same allow-list rule as every printed connection target (`db::url`): only words of
//! faqlink's own definitions (option and command names, possible values, clap's suggestions
//! drawn from them) are printed; the user's token is named by its position on the command line.

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// The one-line message (without the `faqlink: error: ` prefix) for clap's usage error `e`,
/// raised while parsing `args` (the program name first, as `std::env::args_os` gives them).
pub fn one_line(e: &clap::Error, args: &[OsString]) -> String {
    let c = Context(e);
    let mut line = match e.kind() {
        ErrorKind::UnknownArgument => {
            let token = c.token(ContextKind::InvalidArg);
            let mut line = format!("{} is not expected here", position(&token, args));
            if token.starts_with('-') {
                line.push_str(" (an unknown option)");
            }
            if let Some(s) = c.list(ContextKind::SuggestedArg).first() {
                line.push_str(&format!("; a similar option exists: {s}"));
            }
            line + &connection_hint(&token)
        }
        ErrorKind::InvalidSubcommand => {
            let token = c.token(ContextKind::InvalidSubcommand);
            let mut line = format!("{} is not a command here", position(&token, args));
            let suggested = c.list(ContextKind::SuggestedSubcommand);
            if !suggested.is_empty() {
                line.push_str(&format!("; a similar command exists: {}", suggested.join(", ")));
            }
            line + &connection_hint(&token)
        }
        ErrorKind::InvalidValue => invalid_value(&c, args),
        ErrorKind::ValueValidation => {
            let token = c.token(ContextKind::InvalidValue);
            let arg = token_free(c.text(ContextKind::InvalidArg));
            // clap's integer parsers echo the value only when it is an integer, the kind of
            // value asked for; any other value is not quoted.
            let why = match std::error::Error::source(e) {
                Some(source) if is_integer(&token) => source.to_string(),
                _ => "not a whole number in the accepted range".to_string(),
            };
            format!("{} is not a valid value for {arg}: {why}", position(&token, args))
        }
        ErrorKind::TooManyValues => {
            let token = c.token(ContextKind::InvalidValue);
            let arg = token_free(c.text(ContextKind::InvalidArg));
            format!("{} is one value too many for {arg}", position(&token, args)) + &connection_hint(&token)
        }
        // These name only faqlink's own options and commands: clap's wording, one line.
        ErrorKind::ArgumentConflict
        | ErrorKind::MissingRequiredArgument
        | ErrorKind::MissingSubcommand
        | ErrorKind::WrongNumberOfValues
        | ErrorKind::TooFewValues
        | ErrorKind::NoEquals
        | ErrorKind::InvalidUtf8 => fold(&e.render().to_string()),
        other => format!("the command line is not valid ({other})"),
    };
    line.push_str(" (see --help)");
    line
}

/// The context clap attached to an error, read as text.
struct Context<'e>(&'e clap::Error);

impl Context<'_> {
    fn text(&self, kind: ContextKind) -> Option<String> {
        match self.0.get(kind) {
            Some(ContextValue::String(s)) => Some(s.clone()),
            Some(ContextValue::StyledStr(s)) => Some(s.to_string()),
            _ => None,
        }
    }

    fn list(&self, kind: ContextKind) -> Vec<String> {
        match self.0.get(kind) {
            Some(ContextValue::Strings(v)) => v.clone(),
            Some(ContextValue::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    fn token(&self, kind: ContextKind) -> String {
        self.text(kind).unwrap_or_default()
    }
}

/// A value not among an option's possible values (named by position, never echoed).
fn invalid_value(c: &Context<'_>, args: &[OsString]) -> String {
    let token = c.token(ContextKind::InvalidValue);
    let arg = token_free(c.text(ContextKind::InvalidArg));
    let mut line = if token.is_empty() {
        format!("{arg} needs a value")
    } else {
        format!("{} is not a valid value for {arg}", position(&token, args))
    };
    let valid = c.list(ContextKind::ValidValue);
    if !valid.is_empty() {
        line.push_str(&format!("; possible values: {}", valid.join(", ")));
    }
    if let Some(s) = c.list(ContextKind::SuggestedValue).first() {
        line.push_str(&format!("; a similar value exists: {s}"));
    }
    line
}

/// clap's rendered message folded into one line, without its usage and help hints.
fn fold(text: &str) -> String {
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .collect();
    let line = parts.iter().enumerate().fold(String::new(), |mut acc, (i, part)| {
        if i > 0 {
            acc.push_str(if part.starts_with("tip:") { "; " } else { " " });
        }
        acc.push_str(part);
        acc
    });
    line.strip_prefix("error: ").unwrap_or(&line).to_string()
}

/// An option's definition as clap names it (`--format <FORMAT>`, `<KIND>`): from faqlink's
/// definitions, never the user's token.
fn token_free(arg: Option<String>) -> String {
    arg.map_or_else(|| "this option".to_string(), |a| format!("'{a}'"))
}

/// Where `token` stands on the command line: "argument 3" (counted after `faqlink`), found as
/// a whole argument or as the value of `--option=VALUE`.
fn position(token: &str, args: &[OsString]) -> String {
    let at = args.iter().skip(1).position(|a| {
        let a = a.to_string_lossy();
        a == token || (!token.is_empty() && a.strip_suffix(token).is_some_and(|head| head.ends_with('=')))
    });
    at.map_or_else(|| "an argument".to_string(), |i| format!("argument {}", i + 1))
}

/// A hint for a token that looks like a connection string (it is not shown).
fn connection_hint(token: &str) -> String {
    if token.contains("://") || token.contains('=') || token.contains('@') {
        "; to give the database, use --database-url URL (the argument is not shown: it may hold a password)".to_string()
    } else {
        String::new()
    }
}

fn is_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::Cli;

    fn line(args: &[&str]) -> String {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let e = Cli::try_parse_from(&args).expect_err("a usage error");
        one_line(&e, &args)
    }

    #[test]
    fn user_tokens_are_named_by_position_never_echoed() {
        let secret = "Qz9s3cret";
        for (args, expected) in [
            (vec!["faqlink", "report", "experts", "postgres://u:Qz9s3cret@h/db"], "argument 3 is not expected here"),
            (vec!["faqlink", "check", "host=h password=Qz9s3cret"], "argument 2 is not expected here"),
            (vec!["faqlink", "--Qz9s3cret", "check"], "argument 1 is not expected here (an unknown option)"),
            (vec!["faqlink", "postgres://u:Qz9s3cret@h/db", "check"], "argument 1 is not a command here"),
            (vec!["faqlink", "report", "Qz9s3cret"], "argument 2 is not a valid value for '<KIND>'"),
            (
                vec!["faqlink", "report", "all", "--format", "postgres://u:Qz9s3cret@h/db"],
                "argument 4 is not a valid value for '--format <FORMAT>'; possible values: table",
            ),
            (vec!["faqlink", "report", "all", "--format=Qz9s3cret"], "argument 3 is not a valid value"),
            (
                vec!["faqlink", "report", "all", "--statement-timeout", "Qz9s3cret"],
                "argument 4 is not a valid value for '--statement-timeout <SECS>': not a whole number",
            ),
            (vec!["faqlink", "seed", "--feedback", "Qz9s3cret"], "argument 3 is not a valid value for '--feedback"),
            (vec!["faqlink", "completions", "Qz9s3cret"], "argument 2 is not a valid value"),
        ] {
            let got = line(&args);
            assert!(got.starts_with(expected), "{args:?}: {got}");
            assert!(!got.contains(secret) && !got.contains("s3cr"), "{args:?}: {got}");
        }
        assert!(line(&["faqlink", "report", "experts", "postgres://u:pw@h/db"]).contains("--database-url"));
        assert!(line(&["faqlink", "reprot", "all"]).contains("a similar command exists: report"));
        assert!(line(&["faqlink", "--databse-url", "x", "check"]).contains("a similar option exists: --database-url"));
        // A number is the kind of value asked for: clap's reason may say it.
        assert!(line(&["faqlink", "report", "all", "--trend-weeks", "600"]).contains("600 is not in 1..=520"));
        // Conflicts and missing pieces name faqlink's own options only.
        assert!(
            line(&["faqlink", "report", "all", "--week", "2026-W01", "--last-week"]).contains("cannot be used with")
        );
    }
}
