//! faqlink's integration tests: one binary, real databases (a fresh SQLite file or a fresh
//! PostgreSQL database per test), the real migrations, and the real `faqlink` executable.

mod data;
mod differential;
mod harness;
mod cli;
mod output;
mod migrate;
mod check;
mod seed;
mod edge;
