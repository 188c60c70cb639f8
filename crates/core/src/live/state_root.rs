//! Where detached trees keep their state, and the checks before anything there is used.
//!
//! - root (euid 0): `/run/pidns-tree`;
//! - others: `$XDG_RUNTIME_DIR/pidns-tree` when XDG_RUNTIME_DIR is set to an absolute path (it
//!   must then be theirs with mode 0700, as the XDG Base Directory spec demands, or it is
//!   refused); else `/run/user/<uid>/pidns-tree` when that directory exists and is theirs with
//!   mode 0700 (logind makes it: it is what XDG_RUNTIME_DIR would be, e.g. after `su`); else
//!   `/tmp/pidns-tree-<uid>`, which anyone could have made first, so it is checked like the rest.
//!
//! The state root is created mode 0700 when absent, then opened without following a symbolic
//! link and checked through that descriptor: a directory, owned by us, mode 0700. Anything else
//! is refused with a message that names the path, what was found and who owns it, and what to
//! do. Every later step (tree directories, files, the socket) is relative to that descriptor.
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use crate::sys::dirfd::{self, Kind, Meta};

/// The checked state root: its path (for messages) and the descriptor everything goes through.
pub struct StateRoot {
    pub path: PathBuf,
    pub fd: OwnedFd,
}

/// Why the state cannot be used safely; the message says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsafe(pub String);

/// Where the state root goes: a directory `name` in `parent`.
struct Place {
    parent: PathBuf,
    parent_fd: OwnedFd,
    name: String,
    /// What else the user can do, for messages (root has no other place).
    instead: &'static str,
}

const INSTEAD_XDG: &str = ", or set XDG_RUNTIME_DIR to a directory of yours with mode 0700";

/// `uid 1000 (alice)`: the uid, with its name when /etc/passwd has one.
pub fn who(uid: u32) -> String {
    let name = std::fs::read_to_string("/etc/passwd").ok().and_then(|text| {
        text.lines().find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            (fields.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
        })
    });
    match name {
        Some(n) => format!("uid {uid} ({n})"),
        None => format!("uid {uid}"),
    }
}

/// Whether a directory is private to `euid` as the XDG spec asks of a runtime dir.
fn private(m: &Meta, euid: u32) -> bool {
    m.kind == Kind::Dir && m.uid == euid && m.mode & 0o777 == 0o700
}

/// The refusal for `path`, found to be `found` where a private directory of `euid` belongs.
fn refusal(path: &Path, found: &Meta, euid: u32, instead: &str) -> Unsafe {
    let path = path.display();
    let owner = who(found.uid);
    Unsafe(if found.kind == Kind::Symlink {
        format!(
            "{path} is a symbolic link owned by {owner}: pidns-tree never follows a link to its state (it could point \
             anywhere, your home included). Remove it (it is not yours: ask its owner or root){instead}"
        )
    } else if found.kind != Kind::Dir {
        format!("{path} is {} owned by {owner}, not a directory: remove it{instead}", found.kind.describe())
    } else if found.uid != euid {
        format!(
            "{path} belongs to {owner}, not to you ({}): pidns-tree keeps its state only in a directory of yours. \
             Remove it (ask its owner or root){instead}",
            who(euid)
        )
    } else {
        format!(
            "{path} has mode {:04o}, not 0700: other users may have put things in it. Check what it holds, then \
             chmod 700 {path} (or remove it){instead}",
            found.mode
        )
    })
}

fn env_dir(value: Option<String>) -> Option<PathBuf> {
    value.filter(|v| v.starts_with('/')).map(PathBuf::from)
}

/// Picks the place, checking the directory it goes in when that is the user's (XDG, /run/user).
fn place(euid: u32, xdg_runtime_dir: Option<String>) -> Result<Place, Unsafe> {
    let system = |parent: &str, name: String, instead: &'static str| {
        let parent_fd =
            dirfd::open_dir(Path::new(parent)).map_err(|e| Unsafe(format!("cannot open {parent}: {}", e.desc())))?;
        Ok(Place { parent: PathBuf::from(parent), parent_fd, name, instead })
    };
    if euid == 0 {
        return system("/run", "pidns-tree".into(), "");
    }
    // The spec: a relative path is invalid and ignored.
    if let Some(xdg) = env_dir(xdg_runtime_dir) {
        let fd = dirfd::open_dir(&xdg).map_err(|e| {
            Unsafe(format!(
                "XDG_RUNTIME_DIR={}: {}: set it to a directory of yours with mode 0700, or unset it",
                xdg.display(),
                e.desc()
            ))
        })?;
        let found =
            dirfd::stat(fd.as_fd()).map_err(|e| Unsafe(format!("XDG_RUNTIME_DIR={}: {}", xdg.display(), e.desc())))?;
        if !private(&found, euid) {
            let what = if found.uid != euid {
                format!("belongs to {}, not to you ({})", who(found.uid), who(euid))
            } else {
                format!("has mode {:04o}", found.mode)
            };
            return Err(Unsafe(format!(
                "XDG_RUNTIME_DIR={} {what}: the XDG Base Directory spec requires it to be yours with mode 0700. \
                 Set XDG_RUNTIME_DIR to such a directory, or unset it",
                xdg.display()
            )));
        }
        return Ok(Place { parent: xdg, parent_fd: fd, name: "pidns-tree".into(), instead: "" });
    }
    let run_user = PathBuf::from(format!("/run/user/{euid}"));
    if let Ok(fd) = dirfd::open_dir(&run_user) {
        if dirfd::stat(fd.as_fd()).is_ok_and(|m| private(&m, euid)) {
            return Ok(Place { parent: run_user, parent_fd: fd, name: "pidns-tree".into(), instead: INSTEAD_XDG });
        }
    }
    system("/tmp", format!("pidns-tree-{euid}"), INSTEAD_XDG)
}

impl StateRoot {
    /// The state root's path (it may not exist yet, and is not checked).
    pub fn path() -> Result<PathBuf, Unsafe> {
        let p = place(dirfd::euid(), std::env::var("XDG_RUNTIME_DIR").ok())?;
        Ok(p.parent.join(p.name))
    }

    /// Opens (with `create`, first creates) the state root, checked. `Ok(None)`: it does not
    /// exist (and `create` is false), so there are no trees.
    pub fn open(create: bool) -> Result<Option<StateRoot>, Unsafe> {
        let euid = dirfd::euid();
        Self::open_in(place(euid, std::env::var("XDG_RUNTIME_DIR").ok())?, euid, create)
    }

    fn open_in(p: Place, euid: u32, create: bool) -> Result<Option<StateRoot>, Unsafe> {
        let path = p.parent.join(&p.name);
        let parent = p.parent_fd.as_fd();
        let created = create
            && match dirfd::mkdir_at(parent, &p.name, 0o700) {
                Ok(()) => true,
                Err(Errno::EEXIST) => false,
                Err(e) => return Err(Unsafe(format!("cannot create {}: {}", path.display(), e.desc()))),
            };
        let fd = match dirfd::open_dir_at(parent, &p.name) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) if !create => return Ok(None),
            Err(Errno::ELOOP | Errno::ENOTDIR) => {
                let found = dirfd::stat_at(parent, &p.name)
                    .map_err(|e| Unsafe(format!("cannot look at {}: {}", path.display(), e.desc())))?;
                return Err(refusal(&path, &found, euid, p.instead));
            }
            Err(e) => return Err(Unsafe(format!("cannot open {}: {}", path.display(), e.desc()))),
        };
        let mut found = dirfd::stat(fd.as_fd()).map_err(|e| Unsafe(format!("{}: {}", path.display(), e.desc())))?;
        if created && found.kind == Kind::Dir && found.uid == euid && found.mode & 0o777 != 0o700 {
            // Ours, just made: only the umask stands between it and 0700.
            dirfd::set_mode(fd.as_fd(), 0o700)
                .map_err(|e| Unsafe(format!("chmod {}: {}", path.display(), e.desc())))?;
            found.mode = 0o700;
        }
        if !private(&found, euid) {
            return Err(refusal(&path, &found, euid, p.instead));
        }
        Ok(Some(StateRoot { path, fd }))
    }
}

/// Tests: a state root named `name` in directory `parent`, as `open` would make and check it.
#[cfg(test)]
pub(crate) fn open_for_tests(parent: &Path, name: &str, create: bool) -> Result<Option<StateRoot>, Unsafe> {
    let parent_fd = dirfd::open_dir(parent).map_err(|e| Unsafe(e.desc().to_string()))?;
    let place = Place { parent: parent.to_path_buf(), parent_fd, name: name.to_string(), instead: INSTEAD_XDG };
    StateRoot::open_in(place, dirfd::euid(), create)
}

/// Tests: a fresh empty directory of our own (removed by the test).
#[cfg(test)]
pub(crate) fn scratch(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pidns-core-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir(&dir).unwrap();
    dir
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{chown, symlink, PermissionsExt};

    /// A uid nobody has: the stranger whose directories must be refused.
    const STRANGER: u32 = 4_000_000_123;

    fn refused(parent: &Path, name: &str) -> String {
        match open_for_tests(parent, name, true) {
            Err(Unsafe(m)) => m,
            Ok(_) => panic!("{name} was accepted"),
        }
    }

    #[test]
    fn xdg_runtime_dir_is_used_only_when_private_to_the_user() {
        let xdg = scratch("xdg");
        let err = |m: Result<Place, Unsafe>| match m {
            Err(Unsafe(m)) => m,
            Ok(_) => panic!("accepted"),
        };
        let m = err(place(STRANGER, Some(xdg.display().to_string())));
        assert!(
            m.starts_with(&format!("XDG_RUNTIME_DIR={} belongs to uid 0 (root), not to you", xdg.display())),
            "{m}"
        );
        chown(&xdg, Some(STRANGER), None).unwrap();
        std::fs::set_permissions(&xdg, std::fs::Permissions::from_mode(0o750)).unwrap();
        let m = err(place(STRANGER, Some(xdg.display().to_string())));
        assert!(m.contains("has mode 0750") && m.contains("or unset it"), "{m}");
        std::fs::set_permissions(&xdg, std::fs::Permissions::from_mode(0o700)).unwrap();
        let p = place(STRANGER, Some(xdg.display().to_string())).unwrap();
        assert_eq!(p.parent.join(&p.name), xdg.join("pidns-tree"));
        // Relative (invalid, so ignored) or unset: /run/user/<uid> if theirs, else /tmp.
        let p = place(STRANGER, Some("run/user".into())).unwrap();
        assert_eq!(p.parent.join(&p.name), PathBuf::from(format!("/tmp/pidns-tree-{STRANGER}")));
        assert_eq!(place(0, None).unwrap().parent, PathBuf::from("/run"));
        std::fs::remove_dir_all(xdg).unwrap();
    }

    #[test]
    fn made_private_and_found_again() {
        let parent = scratch("root");
        assert!(open_for_tests(&parent, "state", false).unwrap().is_none(), "absent, not made");
        let root = open_for_tests(&parent, "state", true).unwrap().unwrap();
        assert_eq!(root.path, parent.join("state"));
        let mode = std::fs::metadata(&root.path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert!(open_for_tests(&parent, "state", false).unwrap().is_some());
        std::fs::remove_dir_all(parent).unwrap();
    }

    #[test]
    fn a_link_a_stranger_s_directory_and_loose_modes_are_refused() {
        let parent = scratch("root");
        let victim = parent.join("home");
        std::fs::create_dir(&victim).unwrap();
        std::fs::write(victim.join("precious"), "x").unwrap();
        symlink(&victim, parent.join("link")).unwrap();
        let m = refused(&parent, "link");
        assert!(m.contains("is a symbolic link") && m.contains(&parent.join("link").display().to_string()), "{m}");
        assert!(victim.join("precious").exists());

        std::fs::create_dir(parent.join("theirs")).unwrap();
        std::fs::set_permissions(parent.join("theirs"), std::fs::Permissions::from_mode(0o700)).unwrap();
        chown(parent.join("theirs"), Some(STRANGER), Some(STRANGER)).unwrap();
        let m = refused(&parent, "theirs");
        assert!(m.contains(&format!("belongs to uid {STRANGER}, not to you")), "{m}");

        std::fs::create_dir(parent.join("open")).unwrap();
        std::fs::set_permissions(parent.join("open"), std::fs::Permissions::from_mode(0o777)).unwrap();
        let m = refused(&parent, "open");
        assert!(m.contains("has mode 0777, not 0700"), "{m}");

        std::fs::write(parent.join("file"), "").unwrap();
        assert!(refused(&parent, "file").contains("is a regular file"));
        std::fs::remove_dir_all(parent).unwrap();
    }

    #[test]
    fn who_names_root() {
        assert_eq!(who(0), "uid 0 (root)");
        assert_eq!(who(4_000_000_123), "uid 4000000123");
    }

    #[test]
    fn relative_xdg_runtime_dir_is_ignored() {
        assert_eq!(env_dir(Some("run/user".into())), None);
        assert_eq!(env_dir(Some(String::new())), None);
        assert_eq!(env_dir(Some("/run/user/1".into())), Some(PathBuf::from("/run/user/1")));
    }

    #[test]
    fn refusals_name_the_path_the_owner_and_what_to_do() {
        let p = Path::new("/tmp/pidns-tree-1000");
        let link = Meta { kind: Kind::Symlink, uid: 0, mode: 0o777 };
        let Unsafe(m) = refusal(p, &link, 1000, INSTEAD_XDG);
        assert!(m.starts_with("/tmp/pidns-tree-1000 is a symbolic link owned by uid 0 (root)"), "{m}");
        assert!(m.contains("XDG_RUNTIME_DIR"), "{m}");
        let foreign = Meta { kind: Kind::Dir, uid: 0, mode: 0o700 };
        let Unsafe(m) = refusal(p, &foreign, 1000, "");
        assert!(m.contains("belongs to uid 0 (root), not to you (uid 1000"), "{m}");
        let open = Meta { kind: Kind::Dir, uid: 1000, mode: 0o777 };
        let Unsafe(m) = refusal(p, &open, 1000, "");
        assert!(m.contains("has mode 0777, not 0700") && m.contains("chmod 700 /tmp/pidns-tree-1000"), "{m}");
    }
}
