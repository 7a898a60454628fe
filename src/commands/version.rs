//! `faqlink version`: the facts a support request needs, one per line: faqlink's version and
//! target, the backends compiled in, and the versions of the SQLite and libpq built into the
//! binary. Opens no database.
//!
//! SQLite's version is asked of the linked library itself (`SELECT sqlite_version()` on an
//! in-memory connection). libpq's is the one pq-src compiled it as (see build.rs): its package
//! version, as Cargo resolved it in Cargo.lock, carries the libpq release after `+libpq-`.

use std::io::Write;

use crate::cli::VersionArgs;
use crate::error::{Error, Result};

/// pq-src's package version, e.g. `0.3.14+libpq-18.6` (empty when build.rs could not tell).
pub(crate) const PQ_SRC_VERSION: &str = match option_env!("FAQLINK_PQ_SRC_VERSION") {
    Some(v) => v,
    None => "",
};

/// The target triple the binary was built for (empty when build.rs did not say).
pub(crate) const TARGET: &str = match option_env!("FAQLINK_TARGET") {
    Some(v) => v,
    None => "",
};

/// Runs `faqlink version`.
pub fn run(_args: &VersionArgs) -> Result<()> {
    let text = report()?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(Error::stdout)
}

/// The lines `faqlink version` prints.
pub fn report() -> Result<String> {
    let sqlite = sqlite_version()?;
    let libpq = match libpq_version(PQ_SRC_VERSION) {
        Some(v) => {
            format!("libpq {v} (bundled: pq-src {PQ_SRC_VERSION}, statically linked; TLS by the system's libssl)")
        }
        None => "libpq (bundled; version unknown: the build found no pq-src entry in Cargo.lock)".to_owned(),
    };
    Ok(format!(
        "faqlink {}\ntarget: {TARGET}\nbackends: postgresql, sqlite\nSQLite {sqlite} (bundled, statically linked)\n{libpq}\n",
        env!("CARGO_PKG_VERSION")
    ))
}

/// The libpq release in a pq-src package version: `0.3.14+libpq-18.6` → `18.6`.
pub(crate) fn libpq_version(pq_src: &str) -> Option<&str> {
    pq_src.split_once('+')?.1.strip_prefix("libpq-").filter(|v| !v.is_empty())
}

/// The version of the SQLite library linked into this binary ([`crate::db::catalog`]).
pub(crate) fn sqlite_version() -> Result<String> {
    crate::db::catalog::sqlite_library_version()
}

#[cfg(test)]
mod tests {
    use super::libpq_version;

    #[test]
    fn libpq_release_is_read_from_the_pq_src_version() {
        assert_eq!(libpq_version("0.3.14+libpq-18.6"), Some("18.6"));
        assert_eq!(libpq_version("0.3.14"), None);
        assert_eq!(libpq_version(""), None);
        assert_eq!(libpq_version("0.3.14+libpq-"), None);
    }
}
