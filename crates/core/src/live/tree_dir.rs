//! One detached tree's directory in the state root, `<root>/<id>/`:
//! - `supervisor.lock`: an exclusive flock the supervisor holds for as long as it lives. The
//!   tree runs exactly while someone holds it; the kernel drops it when the supervisor dies,
//!   SIGKILL included, so stale state is told from a live tree without PIDs or timers. Its
//!   presence also marks the directory as pidns-tree's: a directory without it is left alone.
//! - `info.json` (written whole as `info.json.tmp`, then renamed) and `control.sock`.
//!
//! A name is claimed atomically: the supervisor makes a private directory `.tmp-<id>-<pid>-<n>`,
//! creates and locks the lock file in it, and renames it to `<id>` with RENAME_NOREPLACE. Of any
//! number of claims to one name exactly one rename succeeds, and the directory appears already
//! locked. Cleaning renames the directory out of sight (`.tmp-old-...`), removes only the names
//! above through the directory's descriptor, then the (now empty) directory: never recursively,
//! never through a link, and never a directory that holds anything else.
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use nix::errno::Errno;

use super::state_root::{who, StateRoot};
use crate::sys::dirfd::{self, Kind};

pub const LOCK: &str = "supervisor.lock";
pub const INFO: &str = "info.json";
pub const INFO_TMP: &str = "info.json.tmp";
pub const SOCKET: &str = "control.sock";
/// Every name pidns-tree creates in a tree's directory, the lock last: cleaning removes these
/// and nothing else.
const OWN_FILES: [&str; 4] = [SOCKET, INFO, INFO_TMP, LOCK];
/// Directories being claimed or removed (never an id: ids start with a letter or digit).
const TRANSIENT: &str = ".tmp-";

/// A tree's id, from `--name` or random: a single, plain path component.
pub fn check_id(id: &str) -> Result<(), String> {
    let first = id.chars().next();
    let ok = first.is_some_and(|c| c.is_ascii_alphanumeric())
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--name {id:?}: use letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit"
        ))
    }
}

/// A tree directory of pidns-tree's, opened and checked.
pub struct TreeDir {
    pub id: String,
    pub path: PathBuf,
    pub dir: OwnedFd,
    lock: OwnedFd,
}

/// What is at `<root>/<id>`.
pub enum Found {
    /// Nothing.
    Absent,
    /// A directory pidns-tree did not make (it has no lock file): why, for messages.
    Foreign(String),
    /// Not safe to use: a link, not a directory, not yours, not mode 0700, a lock file that is
    /// not a file of yours. Why, for messages.
    Unsafe(String),
    /// A tree whose supervisor lives (or is starting: it may have no info.json yet).
    Running(TreeDir),
    /// A tree whose supervisor is gone; we now hold its lock, so it is ours to clean.
    Stale(TreeDir),
}

/// Why a claim failed.
#[derive(Debug)]
pub enum ClaimError {
    /// A live tree has this name.
    Taken(String),
    /// The path holds something pidns-tree did not make, or the state is unusable.
    Refused(String),
}

fn open_at(root: &StateRoot, name: &str) -> Result<Found, Errno> {
    let path = root.path.join(name);
    let dir = match dirfd::open_dir_at(root.fd.as_fd(), name) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => return Ok(Found::Absent),
        Err(Errno::ELOOP | Errno::ENOTDIR) => {
            let found = dirfd::stat_at(root.fd.as_fd(), name)?;
            return Ok(Found::Unsafe(format!(
                "{} is {} (owned by {}), not a tree directory of pidns-tree",
                path.display(),
                found.kind.describe(),
                who(found.uid)
            )));
        }
        Err(e) => return Err(e),
    };
    let m = dirfd::stat(dir.as_fd())?;
    if m.uid != dirfd::euid() || m.mode & 0o777 != 0o700 {
        return Ok(Found::Unsafe(format!(
            "{} belongs to {} with mode {:04o}: a tree directory of pidns-tree is yours with mode 0700",
            path.display(),
            who(m.uid),
            m.mode
        )));
    }
    let lock = match dirfd::open_file_at(dir.as_fd(), LOCK) {
        Ok(fd) => fd,
        Err(Errno::ELOOP) => {
            return Ok(Found::Unsafe(format!("{}/{LOCK} is a symbolic link: not pidns-tree's", path.display())))
        }
        Err(Errno::ENOENT) => {
            return Ok(Found::Foreign(format!("{} was not made by pidns-tree (it has no {LOCK})", path.display())))
        }
        Err(e) => return Err(e),
    };
    let lm = dirfd::stat(lock.as_fd())?;
    if lm.kind != Kind::File || lm.uid != dirfd::euid() {
        return Ok(Found::Unsafe(format!(
            "{}/{LOCK} is {} owned by {}: not pidns-tree's",
            path.display(),
            lm.kind.describe(),
            who(lm.uid)
        )));
    }
    let tree = TreeDir { id: name.to_string(), path, dir, lock };
    Ok(if dirfd::try_lock(tree.lock.as_fd())? { Found::Stale(tree) } else { Found::Running(tree) })
}

/// Looks at `<root>/<id>`. A stale tree found here is left for the caller to clean (or not).
pub fn open(root: &StateRoot, id: &str) -> Result<Found, String> {
    check_id(id)?;
    open_at(root, id).map_err(|e| format!("{}: {}", root.path.join(id).display(), e.desc()))
}

impl TreeDir {
    /// The tree's info.json, once its supervisor has written it.
    pub fn info(&self) -> Option<String> {
        let fd = dirfd::open_file_at(self.dir.as_fd(), INFO).ok()?;
        let m = dirfd::stat(fd.as_fd()).ok()?;
        if m.kind != Kind::File || m.uid != dirfd::euid() {
            return None;
        }
        dirfd::read_all(fd).ok()
    }

    /// Removes pidns-tree's own files by name, then the directory. Only for a directory whose
    /// lock we hold (a claim of ours, or stale state). It is first renamed out of sight, so that
    /// nobody ever sees its name half-removed; a directory that holds anything else is left
    /// where and as it is.
    fn remove(&self, root: &StateRoot, name: &str) -> Result<(), String> {
        let fail = |what: &str, e: Errno| format!("cannot {what} {}: {}", self.path.display(), e.desc());
        let names = dirfd::names(self.dir.as_fd()).map_err(|e| fail("list", e))?;
        if let Some(other) = names.iter().find(|n| !OWN_FILES.contains(&n.as_str())) {
            return Err(format!(
                "{} holds {other:?}, which pidns-tree did not make: the directory is left in place (remove it yourself)",
                self.path.display()
            ));
        }
        let hidden = if name.starts_with(TRANSIENT) {
            name.to_string()
        } else {
            hide(root, name).map_err(|e| fail("rename", e))?
        };
        for file in OWN_FILES {
            match dirfd::unlink_at(self.dir.as_fd(), file) {
                Ok(()) | Err(Errno::ENOENT) => {}
                Err(e) => return Err(format!("cannot remove {}/{file}: {}", self.path.display(), e.desc())),
            }
        }
        dirfd::rmdir_at(root.fd.as_fd(), &hidden).map_err(|e| fail("remove", e))
    }
}

/// A fresh transient name in the state root for `id`.
fn transient_name(id: &str, n: u32) -> String {
    format!("{TRANSIENT}{id}-{}-{n}", std::process::id())
}

/// Renames `name` to a fresh transient name; returns that name.
fn hide(root: &StateRoot, name: &str) -> Result<String, Errno> {
    for n in 0..64 {
        let hidden = transient_name(&format!("old-{name}"), n);
        match dirfd::rename_noreplace(root.fd.as_fd(), name, &hidden) {
            Ok(()) => return Ok(hidden),
            Err(Errno::EEXIST) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Errno::EEXIST)
}

/// A name claimed by this process: its directory, locked for as long as this value lives.
pub struct Claimed(TreeDir);

impl Claimed {
    pub fn dir(&self) -> &TreeDir {
        &self.0
    }

    /// Removes the tree's own files and its directory (at the end, or after a failed start).
    pub fn remove(self, root: &StateRoot) -> Result<(), String> {
        self.0.remove(root, &self.0.id.clone())
    }
}

/// Makes the private, locked directory a claim is renamed from; `None` when a cleaner took it
/// away half-made (it looked abandoned): the caller starts again.
fn claiming_dir(root: &StateRoot, tmp: &str) -> Result<Option<(OwnedFd, OwnedFd)>, Errno> {
    dirfd::mkdir_at(root.fd.as_fd(), tmp, 0o700)?;
    let attempt = || -> Result<(OwnedFd, OwnedFd), Errno> {
        let dir = dirfd::open_dir_at(root.fd.as_fd(), tmp)?;
        dirfd::set_mode(dir.as_fd(), 0o700)?;
        let lock = dirfd::create_file_at(dir.as_fd(), LOCK, 0o600)?;
        if !dirfd::try_lock(lock.as_fd())? {
            return Err(Errno::ENOENT); // a cleaner holds it: it is about to go
        }
        Ok((dir, lock))
    };
    match attempt() {
        Ok(v) => Ok(Some(v)),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => {
            // Gone if still empty; otherwise the next `ls` removes it (its lock is free).
            let _ = dirfd::rmdir_at(root.fd.as_fd(), tmp);
            Err(e)
        }
    }
}

/// Claims `<root>/<id>` for a new tree, atomically (see the module's notes). Stale state of a
/// dead tree with that name is cleaned first; anything pidns-tree did not make is refused and
/// left as it is.
pub fn claim(root: &StateRoot, id: &str) -> Result<Claimed, ClaimError> {
    check_id(id).map_err(ClaimError::Refused)?;
    let sys = |what: &str, e: Errno| ClaimError::Refused(format!("{what} in {}: {}", root.path.display(), e.desc()));
    for attempt in 0..32 {
        let tmp = transient_name(id, attempt);
        let (dir, lock) = match claiming_dir(root, &tmp) {
            Ok(Some(v)) => v,
            Ok(None) | Err(Errno::EEXIST) => continue,
            Err(e) => return Err(sys("cannot create a directory", e)),
        };
        let path = root.path.join(id);
        let mine = TreeDir { id: id.to_string(), path: path.clone(), dir, lock };
        match dirfd::rename_noreplace(root.fd.as_fd(), &tmp, id) {
            Ok(()) => return Ok(Claimed(mine)),
            Err(Errno::ENOENT) => continue, // taken away half-made: again
            Err(Errno::EEXIST) => {}
            Err(e) => {
                let _ = mine.remove(root, &tmp);
                return Err(sys("cannot rename a directory", e));
            }
        }
        let _ = mine.remove(root, &tmp);
        match open_at(root, id) {
            Ok(Found::Absent) => continue,
            Ok(Found::Running(_)) => {
                return Err(ClaimError::Taken(format!(
                    "the name {id} is taken: a tree named {id} is already running (stop it, or choose another --name)"
                )))
            }
            Ok(Found::Foreign(why) | Found::Unsafe(why)) => {
                return Err(ClaimError::Refused(format!(
                    "{why}: pidns-tree leaves it alone. Move it away, or choose another --name"
                )))
            }
            Ok(Found::Stale(old)) => old.remove(root, id).map_err(ClaimError::Refused)?,
            Err(e) => return Err(sys(&format!("cannot look at {id}"), e)),
        }
    }
    Err(ClaimError::Refused(format!("could not claim {} (too many concurrent changes)", root.path.join(id).display())))
}

/// The trees in the state root, and the ids of dead ones whose state was just removed.
#[derive(Default)]
pub struct Listing {
    /// (id, info.json) of each running tree that has written its info.
    pub trees: Vec<(String, String)>,
    pub cleaned: Vec<String>,
    /// (id, why) of tree directories that are not safe to use (a link, loose permissions, ...)
    /// and of stale state that could not be removed (it holds files pidns-tree did not make).
    pub problems: Vec<(String, String)>,
}

/// Lists the state root: running trees; stale ones are cleaned (and reported); claims left
/// half-made by a supervisor that died are removed; everything else is left alone.
pub fn list(root: &StateRoot) -> Result<Listing, String> {
    let mut out = Listing::default();
    let names =
        dirfd::names(root.fd.as_fd()).map_err(|e| format!("cannot list {}: {}", root.path.display(), e.desc()))?;
    for name in names {
        if name.starts_with(TRANSIENT) {
            abandoned(root, &name);
            continue;
        }
        if check_id(&name).is_err() {
            continue;
        }
        match open_at(root, &name) {
            Ok(Found::Running(tree)) => {
                if let Some(info) = tree.info() {
                    out.trees.push((name, info));
                }
            }
            Ok(Found::Stale(tree)) => match tree.remove(root, &name) {
                Ok(()) => out.cleaned.push(name),
                Err(why) => out.problems.push((name, why)),
            },
            Ok(Found::Unsafe(why)) => out.problems.push((name, format!("{why}; left alone"))),
            // Not pidns-tree's: none of its business.
            Ok(Found::Absent | Found::Foreign(_)) | Err(_) => {}
        }
    }
    Ok(out)
}

/// A `.tmp-*` directory whose maker is gone (its lock is free, or it died before making the
/// lock file) is removed. One in use is not disturbed: its lock is held; if we catch a claim
/// between its mkdir and its lock, it finds its directory gone and starts again.
fn abandoned(root: &StateRoot, name: &str) {
    match open_at(root, name) {
        Ok(Found::Stale(tree)) => {
            let _ = tree.remove(root, name);
        }
        // No lock file (yet), or a mode not yet set: only an empty directory goes.
        Ok(Found::Foreign(_) | Found::Unsafe(_)) => {
            let _ = dirfd::rmdir_at(root.fd.as_fd(), name);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::state_root::{open_for_tests, scratch};
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn fresh_root() -> (PathBuf, StateRoot) {
        let parent = scratch("trees");
        let root = open_for_tests(&parent, "state", true).unwrap().unwrap();
        (parent, root)
    }

    fn names(root: &StateRoot) -> Vec<String> {
        let mut n = dirfd::names(root.fd.as_fd()).unwrap();
        n.sort();
        n
    }

    #[test]
    fn one_claim_per_name_and_a_dead_claim_is_reclaimed() {
        let (parent, root) = fresh_root();
        let first = claim(&root, "web").unwrap();
        assert!(matches!(claim(&root, "web"), Err(ClaimError::Taken(_))));
        assert!(matches!(open(&root, "web").unwrap(), Found::Running(_)));
        // Its holder dies (the lock goes with the descriptors): the next claim cleans and wins.
        drop(first);
        let second = claim(&root, "web").unwrap();
        assert_eq!(names(&root), ["web"]);
        second.remove(&root).unwrap();
        assert!(names(&root).is_empty());
        std::fs::remove_dir_all(parent).unwrap();
    }

    #[test]
    fn of_many_concurrent_claims_exactly_one_wins() {
        let (parent, root) = fresh_root();
        let root = std::sync::Arc::new(root);
        let outcomes: Vec<_> = (0..16)
            .map(|_| {
                let root = root.clone();
                std::thread::spawn(move || claim(&root, "api").map(std::mem::forget).is_ok())
            })
            .map(|t| t.join().unwrap())
            .collect();
        assert_eq!(outcomes.iter().filter(|&&won| won).count(), 1, "{outcomes:?}");
        assert_eq!(names(&root), ["api"], "no half-made claim is left");
        std::fs::remove_dir_all(parent).unwrap();
    }

    #[test]
    fn a_directory_pidns_tree_did_not_make_is_refused_and_left_whole() {
        let (parent, root) = fresh_root();
        let theirs = root.path.join("api");
        std::fs::create_dir(&theirs).unwrap();
        std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::write(theirs.join("info.json"), "{}").unwrap();
        std::fs::write(theirs.join("notes.txt"), "mine").unwrap();
        match claim(&root, "api") {
            Err(ClaimError::Refused(m)) => assert!(m.contains("was not made by pidns-tree"), "{m}"),
            _ => panic!("claimed a directory the user made"),
        }
        let listing = list(&root).unwrap();
        assert!(listing.trees.is_empty() && listing.cleaned.is_empty());
        assert_eq!(std::fs::read_to_string(theirs.join("notes.txt")).unwrap(), "mine");
        assert!(theirs.join("info.json").exists());
        assert_eq!(names(&root), ["api"]);
        std::fs::remove_dir_all(parent).unwrap();
    }

    #[test]
    fn cleaning_removes_only_its_own_names_and_never_through_a_link() {
        let (parent, root) = fresh_root();
        let outside = parent.join("outside");
        std::fs::write(&outside, "keep").unwrap();
        // A dead tree whose info.json is (somehow) a link: the link goes, not what it points at.
        let dead = claim(&root, "dead").unwrap();
        symlink(&outside, root.path.join("dead").join(INFO)).unwrap();
        drop(dead);
        // A dead tree holding a file pidns-tree never makes: left in place, and said.
        let cluttered = claim(&root, "cluttered").unwrap();
        std::fs::write(root.path.join("cluttered").join("mine.txt"), "x").unwrap();
        drop(cluttered);
        // A claim whose supervisor died half-way (a .tmp- directory with a free lock).
        std::fs::create_dir(root.path.join(".tmp-x-1-0")).unwrap();
        std::fs::set_permissions(root.path.join(".tmp-x-1-0"), std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::write(root.path.join(".tmp-x-1-0").join(LOCK), "").unwrap();
        // A live one with its info.
        let live = claim(&root, "live").unwrap();
        std::fs::write(root.path.join("live").join(INFO), r#"{"id":"live"}"#).unwrap();

        let listing = list(&root).unwrap();
        assert_eq!(listing.trees, [("live".to_string(), r#"{"id":"live"}"#.to_string())]);
        assert_eq!(listing.cleaned, ["dead"]);
        assert_eq!(listing.problems.len(), 1);
        assert!(
            listing.problems[0].1.contains("\"mine.txt\", which pidns-tree did not make"),
            "{:?}",
            listing.problems
        );
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");
        assert_eq!(names(&root), ["cluttered", "live"]);
        assert!(root.path.join("cluttered").join("mine.txt").exists());
        drop(live);
        std::fs::remove_dir_all(parent).unwrap();
    }

    #[test]
    fn a_tree_directory_with_loose_permissions_is_not_used() {
        let (parent, root) = fresh_root();
        let claimed = claim(&root, "web").unwrap();
        std::fs::set_permissions(root.path.join("web"), std::fs::Permissions::from_mode(0o755)).unwrap();
        match open(&root, "web").unwrap() {
            Found::Unsafe(m) => assert!(m.contains("with mode 0755"), "{m}"),
            _ => panic!("a 0755 tree directory was used"),
        }
        assert_eq!(list(&root).unwrap().problems.len(), 1);
        drop(claimed);
        std::fs::remove_dir_all(parent).unwrap();
    }

    #[test]
    fn ids_are_single_plain_names() {
        for ok in ["web", "a.b_c-1", "9"] {
            assert!(check_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", ".tmp-x", "a/b", "-x", &"x".repeat(65)] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }
}
