//! faqlink: reports on the link between expert feedback and the FAQ entries generated from
//! it, over PostgreSQL (production) or an embedded SQLite file.
//!
//! The binary is a thin shell around [`commands::run`]; everything here is a library so the
//! integration tests can reach the same code.

pub mod clap_error;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod error;
pub mod expect;
pub mod output;
pub mod reports;

pub use error::{Error, Result};
