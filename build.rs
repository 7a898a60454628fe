//! Build script:
//! - rebuilds the crate when a migration changes: `embed_migrations!` reads `migrations/` at
//!   compile time, and Cargo does not know that on its own;
//! - records for `faqlink version` the libpq version bundled by pq-src and the target triple.
//!
//! pq-src compiles libpq and defines its `PG_VERSION` (what `PQlibVersion()` returns) from its
//! own package version, `0.3.14+libpq-18.6`: the part after `+libpq-`. The version Cargo
//! resolved is read from Cargo.lock (what `cargo build` and `cargo install --locked` use);
//! calling `PQlibVersion` itself would need `unsafe`, which this crate forbids.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=Cargo.lock");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("set by Cargo");
    let pq_src = locked_version(&Path::new(&manifest_dir).join("Cargo.lock"), "pq-src").unwrap_or_default();
    println!("cargo:rustc-env=FAQLINK_PQ_SRC_VERSION={pq_src}");
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=FAQLINK_TARGET={target}");
}

/// The version of `package` in a Cargo.lock (`[[package]]` / `name = "…"` / `version = "…"`).
fn locked_version(lock: &Path, package: &str) -> Option<String> {
    let text = std::fs::read_to_string(lock).ok()?;
    let name_line = format!("name = \"{package}\"");
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line == name_line {
            let version = lines.next()?.strip_prefix("version = \"")?.strip_suffix('"')?;
            return Some(version.to_owned());
        }
    }
    None
}
