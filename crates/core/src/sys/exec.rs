//! execvp with glibc's semantics, whatever libc pidns-init is linked with.
//!
//! The init runs users' commands the way tini (a glibc program) does: through glibc's execvp.
//! musl's execvp differs: it does not hand a file without `#!` (ENOEXEC) to /bin/sh, searches
//! /usr/local/bin:/bin:/usr/bin when PATH is unset, and gives up at the first PATH entry that
//! fails with ESTALE, ENODEV or ETIMEDOUT. This is glibc's algorithm (posix/execvpe.c), so the
//! init behaves the same on both.
use std::convert::Infallible;
use std::ffi::{CStr, OsStr};
use std::os::unix::ffi::OsStrExt;

use nix::errno::Errno;

/// glibc's confstr(_CS_PATH): the search path when PATH is unset.
pub(crate) const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";
/// Longer names cannot exist: refused without searching. (glibc caps the length it looks at
/// to NAME_MAX, so a name of exactly 255 bytes is searched.)
const NAME_MAX: usize = 255;
/// PATH entries this long or longer are skipped, as glibc does.
const PATH_MAX: usize = 4096;

extern "C" {
    /// The process's environment, as execve wants it (std::env::set_var keeps it current).
    static environ: *const *const libc::c_char;
}

/// Replaces the process with `file` (searched in PATH unless it contains a slash) and `args`,
/// like glibc's execvp: a file the kernel cannot execute (ENOEXEC) is run by /bin/sh. Returns
/// only on failure, with the errno glibc's execvp would leave.
pub fn execvp<S: AsRef<CStr>>(file: &CStr, args: &[S]) -> Result<Infallible, Errno> {
    let argv: Vec<*const libc::c_char> =
        args.iter().map(|a| a.as_ref().as_ptr()).chain(std::iter::once(std::ptr::null())).collect();
    let name = file.to_bytes();
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name.contains(&b'/') {
        return Err(exec_or_script(file, &argv));
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let path = std::env::var_os("PATH");
    let mut got_eacces = false;
    let mut last = Errno::ENOENT;
    for candidate in candidates(name, path.as_deref().map_or(DEFAULT_PATH, OsStr::as_bytes)) {
        // Neither part has a NUL (a C string, an environment value): only the terminator.
        let Ok(candidate) = CStr::from_bytes_with_nul(&candidate) else { continue };
        last = exec_or_script(candidate, &argv);
        match last {
            Errno::EACCES => got_eacces = true,
            Errno::ENOENT | Errno::ESTALE | Errno::ENOTDIR | Errno::ENODEV | Errno::ETIMEDOUT => {}
            _ => return Err(last),
        }
    }
    Err(if got_eacces { Errno::EACCES } else { last })
}

/// The NUL-terminated paths execvp tries for `name`, in order: each PATH entry joined with
/// `name` (an empty entry is the current directory, as the bare name).
pub(crate) fn candidates<'a>(name: &'a [u8], path: &'a [u8]) -> impl Iterator<Item = Vec<u8>> + 'a {
    path.split(|&b| b == b':').filter(|dir| dir.len() < PATH_MAX).map(move |dir| {
        let mut full = Vec::with_capacity(dir.len() + name.len() + 2);
        full.extend_from_slice(dir);
        if !dir.is_empty() {
            full.push(b'/');
        }
        full.extend_from_slice(name);
        full.push(0);
        full
    })
}

/// execve(path, argv); if the kernel does not know the format, execve("/bin/sh", [/bin/sh,
/// path, argv[1..]]). Returns the errno of the last attempt.
fn exec_or_script(path: &CStr, argv: &[*const libc::c_char]) -> Errno {
    // SAFETY: `path` and every non-null entry of `argv` are NUL-terminated strings that outlive
    // the call, `argv` ends with a null pointer, and `environ` is the process's environment
    // (nothing else changes it: pidns-init is single-threaded where it execs).
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), environ) };
    let e = Errno::last();
    if e != Errno::ENOEXEC {
        return e;
    }
    let mut sh_argv = vec![c"/bin/sh".as_ptr(), path.as_ptr()];
    // argv[1..] with its terminating null; just the null when argv has no argv[0].
    sh_argv.extend_from_slice(&argv[argv.len().min(2) - 1..]);
    // SAFETY: as above; `sh_argv` borrows the same strings and ends with argv's null.
    unsafe { libc::execve(sh_argv[0], sh_argv.as_ptr(), environ) };
    Errno::last()
}

#[cfg(test)]
mod tests {
    use super::candidates;

    fn list(name: &str, path: &str) -> Vec<String> {
        candidates(name.as_bytes(), path.as_bytes())
            .map(|c| String::from_utf8(c[..c.len() - 1].to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn joins_each_path_entry_with_the_name() {
        assert_eq!(list("sh", "/usr/bin:/bin"), ["/usr/bin/sh", "/bin/sh"]);
        assert_eq!(list("sh", std::str::from_utf8(super::DEFAULT_PATH).unwrap()), ["/bin/sh", "/usr/bin/sh"]);
    }

    #[test]
    fn an_empty_entry_is_the_current_directory() {
        assert_eq!(list("x", ":/bin:"), ["x", "/bin/x", "x"]);
        assert_eq!(list("x", ""), ["x"]);
    }

    #[test]
    fn candidates_are_nul_terminated() {
        assert!(candidates(b"x", b"/a:/b").all(|c| c.last() == Some(&0) && c.iter().filter(|&&b| b == 0).count() == 1));
    }

    #[test]
    fn entries_longer_than_path_max_are_skipped() {
        let long = format!("/{}", "d".repeat(super::PATH_MAX));
        assert_eq!(list("x", &format!("{long}:/bin")), ["/bin/x"]);
    }
}
