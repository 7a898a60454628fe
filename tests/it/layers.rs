//! The layers docs/ARCHITECTURE.md draws, checked on the source: SQL only in `src/db/` and
//! `src/reports/`; the renderers (`src/output/`) import neither the command line, the
//! configuration, the database layer nor the commands (the facts of a run reach them as plain
//! data); no source file over 600 lines.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The statements a string literal may begin with when it is SQL.
const SQL_STARTS: [&str; 14] = [
    "SELECT ",
    "INSERT ",
    "UPDATE ",
    "DELETE ",
    "WITH ",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "PRAGMA ",
    "ALTER ",
    "DROP ",
    "CREATE ",
    "SET LOCAL ",
    "COPY ",
];

/// The string literals of `text` that begin like a statement (after a `"` or `r"`/`r#"`).
fn sql_literals(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for (i, _) in line.match_indices('"') {
            let rest = line[i + 1..].trim_start();
            if let Some(start) = SQL_STARTS.iter().find(|s| rest.starts_with(**s)) {
                found.push(format!("{start}… in: {}", line.trim()));
            }
        }
    }
    found
}

#[test]
fn sql_lives_only_in_the_database_and_reports_layers() {
    let (db, reports) = (src().join("db"), src().join("reports"));
    let mut outside = Vec::new();
    let mut inside = 0;
    for file in sources(&src()) {
        let found = sql_literals(&std::fs::read_to_string(&file).unwrap());
        if file.starts_with(&db) || file.starts_with(&reports) {
            inside += found.len();
        } else {
            outside.extend(found.into_iter().map(|f| format!("{}: {f}", file.display())));
        }
    }
    assert!(outside.is_empty(), "SQL outside src/db and src/reports:\n{}", outside.join("\n"));
    // The scan finds the statements where they are: it is not blind.
    assert!(inside > 50, "only {inside} SQL literals found in src/db and src/reports");
    assert_eq!(sql_literals(r#"let q = "SELECT 1";"#).len(), 1);
    assert!(sql_literals(r#"let m = "cannot execute INSERT in a read-only transaction";"#).is_empty());
}

#[test]
fn renderers_import_no_command_line_configuration_or_database() {
    let mut leaks = Vec::new();
    for file in sources(&src().join("output")) {
        for (n, line) in std::fs::read_to_string(&file).unwrap().lines().enumerate() {
            for layer in ["crate::cli", "crate::config", "crate::db", "crate::commands"] {
                if line.contains(layer) {
                    leaks.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "src/output reaches another layer:\n{}", leaks.join("\n"));
}

#[test]
fn no_source_file_is_over_600_lines() {
    let long: Vec<String> = sources(&src())
        .into_iter()
        .map(|f| (std::fs::read_to_string(&f).unwrap().lines().count(), f))
        .filter(|(n, _)| *n > 600)
        .map(|(n, f)| format!("{}: {n} lines", f.display()))
        .collect();
    assert!(long.is_empty(), "split these files:\n{}", long.join("\n"));
}
