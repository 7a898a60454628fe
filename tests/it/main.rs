//! faqlink's integration tests: one binary, real databases (a fresh SQLite file or a fresh
//! PostgreSQL database per test), the real migrations, and the real `faqlink` executable.

mod bad_values;
mod bench_sql;
mod check;
mod cli;
mod data;
mod differential;
mod documents;
mod edge;
mod expect;
mod explain;
mod files;
mod harness;
mod hostile_cells;
mod html_json;
mod latency;
mod layers;
mod migrate;
mod moved;
mod ops;
mod output;
mod parallel;
mod readonly_sqlite;
mod reliability;
mod secrets;
mod seed;
mod split;
mod standby;
mod trend;
mod writers;
