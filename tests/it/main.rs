//! faqlink's integration tests: one binary, real databases (a fresh SQLite file or a fresh
//! PostgreSQL database per test), the real migrations, and the real `faqlink` executable.

mod check;
mod cli;
mod data;
mod differential;
mod documents;
mod edge;
mod harness;
mod migrate;
mod output;
mod reliability;
mod seed;
mod split;
