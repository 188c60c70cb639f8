//! Where the plan's commands live, looked up once, by the root init.
//!
//! execvp walks PATH in every process: a failed execve for each PATH entry before the one that
//! holds the program, in every process of every namespace (on a developer's PATH, ten of them
//! for `true`). The root init looks each command up once before it starts anything; the inits
//! below are its forks and inherit the answer. A process then execs the path directly, and
//! falls back to execvp if that fails, so the errors (and the ENOEXEC shell fallback) stay
//! execvp's own.
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;

use nix::unistd::{access, AccessFlags};
use pidns_model::{Plan, ProcessSpec};

use crate::sys::exec;

#[derive(Default)]
pub struct CommandPaths {
    /// (program, the spec's own PATH if it sets one) → the file execvp would run.
    found: HashMap<(String, Option<String>), CString>,
}

impl CommandPaths {
    /// Looks up every command of the plan's processes (and users' PID 1s) that execvp would
    /// search for.
    pub fn resolve(plan: &Plan) -> CommandPaths {
        let inherited = std::env::var_os("PATH").map(|p| p.as_bytes().to_vec());
        let mut paths = CommandPaths::default();
        let specs = plan.nodes.iter().flat_map(|n| n.processes.iter().chain(n.init.command.iter()));
        for spec in specs {
            let Some(key) = key_of(spec) else { continue };
            if paths.found.contains_key(&key) {
                continue;
            }
            let search = key.1.as_ref().map(|p| p.as_bytes().to_vec()).or_else(|| inherited.clone());
            if let Some(file) = search_path(&key.0, search.as_deref().unwrap_or(exec::DEFAULT_PATH)) {
                paths.found.insert(key, file);
            }
        }
        paths
    }

    /// The file to exec for `spec`, when it was looked up.
    pub fn get(&self, spec: &ProcessSpec) -> Option<&CStr> {
        self.found.get(&key_of(spec)?).map(CString::as_c_str)
    }
}

/// Only bare names are searched (a name with a slash is a path already).
fn key_of(spec: &ProcessSpec) -> Option<(String, Option<String>)> {
    let program = spec.command.first()?;
    if program.is_empty() || program.contains('/') {
        return None;
    }
    let path = spec.env.iter().rev().find(|(k, _)| k == "PATH").map(|(_, v)| v.clone());
    Some((program.clone(), path))
}

/// The first `dir/program` on `search` that is an executable regular file, as execvp would
/// find it: the same candidates, in the same order (`exec::candidates`). None when any entry is
/// relative or empty (the current directory): that depends on each process's cwd, so such
/// lookups stay with execvp.
fn search_path(program: &str, search: &[u8]) -> Option<CString> {
    if search.split(|&b| b == b':').any(|d| !d.starts_with(b"/")) {
        return None;
    }
    exec::candidates(program.as_bytes(), search).find_map(|file| {
        let file = CString::from_vec_with_nul(file).ok()?;
        let is_file = std::fs::metadata(std::ffi::OsStr::from_bytes(file.as_bytes())).is_ok_and(|m| m.is_file());
        (is_file && access(file.as_c_str(), AccessFlags::X_OK).is_ok()).then_some(file)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_executable_on_the_path() {
        let found = search_path("sh", b"/nonexistent:/bin:/usr/bin").expect("sh is on /bin or /usr/bin");
        assert!(found.to_bytes().ends_with(b"/sh"));
        assert!(!found.to_bytes().starts_with(b"/nonexistent"));
    }

    #[test]
    fn leaves_relative_entries_and_missing_programs_to_execvp() {
        assert_eq!(search_path("sh", b"bin:/bin"), None);
        assert_eq!(search_path("sh", b":/bin"), None);
        assert_eq!(search_path("no-such-program-here", b"/bin:/usr/bin"), None);
        // A directory is not a program.
        assert_eq!(search_path("tmp", b"/"), None);
    }

    #[test]
    fn a_spec_path_is_part_of_the_key() {
        let spec = |env: Vec<(String, String)>| ProcessSpec {
            name: "p".into(),
            command: vec!["sh".into()],
            env,
            cwd: None,
            tty: false,
        };
        assert_eq!(key_of(&spec(vec![])), Some(("sh".into(), None)));
        assert_eq!(key_of(&spec(vec![("PATH".into(), "/x".into())])), Some(("sh".into(), Some("/x".into()))));
        let with_slash =
            ProcessSpec { name: "p".into(), command: vec!["./sh".into()], env: vec![], cwd: None, tty: false };
        assert_eq!(key_of(&with_slash), None);
    }
}
