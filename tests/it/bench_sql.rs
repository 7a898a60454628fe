//! The benchmarks run faqlink's own SQL in psql/sqlite3 from copies in `bench/sql/`; these
//! tests keep each copy's statement equal to the text faqlink builds (whole history, one
//! connection), so a change to a report's SQL cannot leave the benchmark measuring the old one.

use faqlink::db::{Backend, Sql};
use faqlink::reports::Window;
use faqlink::reports::{experts, totals};

/// Whitespace-insensitive form of a statement: runs of blanks become one space, none after
/// `(` or before `)`, no trailing `;`, and the benchmark's `:window` psql variable (empty for
/// the whole history) removed.
fn normal(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().filter(|w| *w != ":window").collect();
    words.join(" ").replace("( ", "(").replace(" )", ")").trim_end_matches(';').to_string()
}

/// The statement of a bench file: from its first `SELECT` line to the `;` that ends it.
fn bench_statement(path: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let body: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with("--")).collect();
    let body = body.join("\n");
    let start = body.find("SELECT").unwrap_or_else(|| panic!("{path}: no SELECT"));
    let end = body[start..].find(';').map(|i| start + i).unwrap_or_else(|| panic!("{path}: no ';'"));
    normal(&body[start..end])
}

#[test]
fn bench_copies_are_faqlink_s_own_statements() {
    let all = Window::all(chrono_tz::UTC);
    for (backend, name) in [(Backend::Postgres, "postgres"), (Backend::Sqlite, "sqlite")] {
        let totals_sql = totals::statement(Sql::new(backend), &all);
        assert_eq!(
            bench_statement(&format!("bench/sql/totals.faqlink.{name}.sql")),
            normal(totals_sql.text()),
            "bench/sql/totals.faqlink.{name}.sql differs from src/reports/totals.rs"
        );
        let experts_sql = experts::statement(Sql::new(backend), &all, None);
        assert_eq!(
            bench_statement(&format!("bench/sql/experts.faqlink.{name}.sql")),
            normal(experts_sql.text()),
            "bench/sql/experts.faqlink.{name}.sql differs from src/reports/experts.rs"
        );
    }
}
