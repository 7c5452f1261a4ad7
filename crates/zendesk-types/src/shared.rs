//! Where the project's reference material lives for the tests that compare against it:
//! `shared/` beside the repository (Zendesk's recorded traffic, the tool spec), read where it
//! is and never copied into the project.
//!
//! A clone of the repository alone has none. A test that needs it is then skipped, with one
//! line on stderr saying what was skipped and why; under `ZD_REQUIRE_SHARED=1` (as CI runs) its
//! absence is a failure instead.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The variable that turns missing reference material from a skip into a failure.
pub const REQUIRE_VAR: &str = "ZD_REQUIRE_SHARED";

/// `shared/<relative>` beside the repository holding the crate whose `CARGO_MANIFEST_DIR` is
/// `manifest_dir` (crates sit at `crates/<name>`), when it exists.
///
/// When it does not: `None`, after one line on stderr naming `what` is skipped and why (written
/// past the test harness's capture, so it shows in a passing run); with `ZD_REQUIRE_SHARED=1`,
/// a panic naming the missing path.
pub fn path(manifest_dir: &str, relative: &str, what: &str) -> Option<PathBuf> {
    let repository = Path::new(manifest_dir)
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new(manifest_dir));
    let beside = repository.parent().unwrap_or(repository);
    let wanted = beside.join("shared").join(relative);
    if wanted.exists() {
        return Some(wanted);
    }
    let required = std::env::var(REQUIRE_VAR).is_ok_and(|value| value.trim() == "1");
    assert!(
        !required,
        "{what} needs {}, which is missing; {REQUIRE_VAR}=1 makes that a failure \
         (the project's shared/ directory belongs beside the repository)",
        wanted.display()
    );
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {what}: {} is not beside this repository (set {REQUIRE_VAR}=1 to fail instead)",
        wanted.display()
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn material_beside_the_repository_is_found_and_missing_material_is_none() {
        let root = std::env::temp_dir().join(format!("zd-shared-{}", std::process::id()));
        let crate_dir = root.join("repo").join("crates").join("zendesk-types");
        std::fs::create_dir_all(&crate_dir).unwrap();
        std::fs::create_dir_all(root.join("shared").join("spec")).unwrap();
        let manifest = crate_dir.to_str().unwrap();
        assert_eq!(
            path(manifest, "spec", "this module's own test"),
            Some(root.join("shared").join("spec"))
        );
        // Missing: a skip, unless the run requires the material (then the call panics).
        let what = "nothing (zendesk_types::shared's own test of a missing path)";
        if std::env::var(REQUIRE_VAR).as_deref() != Ok("1") {
            assert_eq!(path(manifest, "reference/nowhere", what), None);
        } else {
            let refused = std::panic::catch_unwind(|| path(manifest, "reference/nowhere", what));
            assert!(refused.is_err());
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}
