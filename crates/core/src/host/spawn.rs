//! Starting the root init from a multi-threaded host (Node): clone3 into a new PID and mount
//! namespace, then only async-signal-safe calls until execve of `pidns-init`. Everything the
//! child needs (paths, argv, envp, descriptors) is prepared before the clone.
use std::ffi::{CString, OsStr};
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::unistd::{pipe2, Pid};

use crate::error_code::ErrorCode;
use crate::sys::root_exec::{exec_root, RootExec};
use crate::sys::{clone, ctlsock, fd, hostproc, seqpacket};
use crate::wire::control::socket_name;
use crate::wire::tree::{ProcKey, TreeMessage};

/// 128 random bits, as hex: the tree's token.
fn new_token() -> Result<String, Errno> {
    let mut bytes = [0u8; 16];
    crate::sys::process::random_bytes(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Descriptor numbers pidns-init finds in tree mode.
pub const FD_EVENTS: i32 = 3;
pub const FD_HOST_PROC: i32 = 4;
pub const FD_PLAN: i32 = 5;
/// The root init's control socket, bound and listening (see `wire::control`).
pub const FD_CONTROL: i32 = 6;

/// A running tree, as its owner holds it.
pub struct SpawnedTree {
    /// The root init's PID on the host.
    pub pid: Pid,
    /// A pidfd for the root init: signal and reap without PID-reuse races.
    pub pidfd: OwnedFd,
    /// The host end of the event socket.
    pub events: OwnedFd,
    /// The tree's random token (its inits' control sockets are named after it).
    pub token: String,
    /// The root init's `start`: the host tells it, as every init tells its children's.
    pub root_start: TreeMessage<'static>,
}

/// How a tree gets the right to create PID namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// The caller has CAP_SYS_ADMIN (root): PID and mount namespaces directly.
    Privileged,
    /// A user namespace that maps the caller to root comes first (no privileges needed).
    Rootless,
}

impl Isolation {
    /// Privileged when the caller can, rootless otherwise.
    pub fn auto() -> Isolation {
        if crate::sys::userns::has_cap_sys_admin() {
            Isolation::Privileged
        } else {
            Isolation::Rootless
        }
    }

    /// From the mode the CLI and the API name: `auto` (decided now), `rootless` or `privileged`.
    pub fn from_mode(mode: &str) -> Option<Isolation> {
        match mode {
            "auto" => Some(Isolation::auto()),
            "rootless" => Some(Isolation::Rootless),
            "privileged" => Some(Isolation::Privileged),
            _ => None,
        }
    }

    /// The mode's name, as `from_mode` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Isolation::Rootless => "rootless",
            Isolation::Privileged => "privileged",
        }
    }
}

#[derive(Debug)]
pub enum SpawnError {
    /// The init binary is missing or not executable.
    Init(String),
    /// The kernel refused the namespaces (no CAP_SYS_ADMIN, or limits).
    Namespaces(Errno),
    /// No user namespace for a rootless tree: why, and what to do.
    UserNamespace(String),
    Io(String),
}

impl SpawnError {
    /// What the caller is told to decide on: no privilege, no user namespace, too deep, or
    /// another failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            SpawnError::Namespaces(Errno::EPERM) => ErrorCode::NoPrivilege,
            SpawnError::Namespaces(Errno::ENOSPC) => ErrorCode::DepthLimit,
            SpawnError::UserNamespace(_) => ErrorCode::NoUserns,
            SpawnError::Init(_) | SpawnError::Io(_) | SpawnError::Namespaces(_) => ErrorCode::SpawnFailed,
        }
    }
}

impl std::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpawnError::Init(m) | SpawnError::Io(m) => f.write_str(m),
            SpawnError::UserNamespace(m) => write!(f, "rootless mode needs a user namespace, but {m}"),
            SpawnError::Namespaces(Errno::EPERM) => f.write_str(
                "creating a PID namespace needs CAP_SYS_ADMIN: run pidns-tree as root (for example with sudo), or without --privileged to use rootless mode",
            ),
            SpawnError::Namespaces(Errno::ENOSPC) => f.write_str(
                "the kernel refused another nested PID namespace (ENOSPC): 32 levels in all, or user.max_pid_namespaces, is reached",
            ),
            SpawnError::Namespaces(e) => write!(f, "cannot create the root namespace: {}", e.desc()),
        }
    }
}

fn cstring(bytes: &[u8], what: &str) -> Result<CString, SpawnError> {
    CString::new(bytes).map_err(|_| SpawnError::Io(format!("{what} contains a NUL byte")))
}

/// Starts `init_path --tree` as PID 1 of a new PID namespace and hands it `plan_json`.
pub fn spawn_root(init_path: &Path, plan_json: &str, isolation: Isolation) -> Result<SpawnedTree, SpawnError> {
    if isolation == Isolation::Rootless {
        if let Some(why) = crate::sys::userns::known_restriction() {
            return Err(SpawnError::UserNamespace(why));
        }
    }
    nix::unistd::access(init_path, nix::unistd::AccessFlags::X_OK)
        .map_err(|e| SpawnError::Init(format!("cannot run {}: {}", init_path.display(), e.desc())))?;
    let io = |what: &str| {
        let what = what.to_string();
        move |e: Errno| SpawnError::Io(format!("{what}: {}", e.desc()))
    };

    let token = new_token().map_err(io("getrandom"))?;
    // Bound before the root init exists, so that nobody else can take its name.
    let listener = ctlsock::listen(&socket_name(&token, 0)).map_err(io("the root's control socket"))?;

    // Everything the child touches is built now: it must not allocate after the clone.
    let path = cstring(init_path.as_os_str().as_bytes(), "the init path")?;
    let argv_owned =
        [path.clone(), cstring(b"--tree", "argv")?, cstring(b"--token", "argv")?, cstring(token.as_bytes(), "argv")?];
    let env_owned: Vec<CString> = std::env::vars_os()
        .filter_map(|(k, v)| {
            let mut kv = k.as_bytes().to_vec();
            kv.push(b'=');
            kv.extend_from_slice(OsStr::as_bytes(&v));
            CString::new(kv).ok()
        })
        .collect();
    let argv: Vec<*const libc::c_char> =
        argv_owned.iter().map(|s| s.as_ptr()).chain(std::iter::once(std::ptr::null())).collect();
    let envp: Vec<*const libc::c_char> =
        env_owned.iter().map(|s| s.as_ptr()).chain(std::iter::once(std::ptr::null())).collect();

    let (host_end, tree_end) = seqpacket::pair().map_err(io("socketpair"))?;
    let proc_dir = nix::fcntl::open(
        "/proc",
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(io("open /proc"))?;
    let (plan_r, plan_w) = pipe2(OFlag::O_CLOEXEC).map_err(io("pipe"))?;
    let null = fd::dev_null().map_err(io("/dev/null"))?;
    // Rootless: the child waits for this pipe until its user namespace has its ID maps.
    let (maps_r, maps_w) = pipe2(OFlag::O_CLOEXEC).map_err(io("pipe"))?;
    let (maps_r_raw, maps_w_raw) = (maps_r.as_raw_fd(), maps_w.as_raw_fd());
    let mut ns_flags = clone::NODE_NAMESPACES;
    if isolation == Isolation::Rootless {
        ns_flags |= libc::CLONE_NEWUSER as u64;
    }
    // Above the fixed numbers, so the moves below never overwrite a source.
    let high = |f: &OwnedFd| fd::dup_high(f.as_fd(), 10).map_err(io("dup"));
    let (tree_end, proc_dir, plan_r, null, listener) =
        (high(&tree_end)?, high(&proc_dir)?, high(&plan_r)?, high(&null)?, high(&listener)?);
    let moves = [
        (null.as_raw_fd(), 0),
        (null.as_raw_fd(), 1),
        // Our stderr stays the init's, for its diagnostics; Node may have marked it
        // close-on-exec, which moving it onto itself clears.
        (2, 2),
        (tree_end.as_raw_fd(), FD_EVENTS),
        (proc_dir.as_raw_fd(), FD_HOST_PROC),
        (plan_r.as_raw_fd(), FD_PLAN),
        (listener.as_raw_fd(), FD_CONTROL),
    ];

    // No signal handler of Node's (libuv's) may run in the child between clone and exec: it
    // would write to the parent's signal pipe. Block everything around the clone; pidns-init
    // sets its own mask and dispositions.
    let all = nix::sys::signal::SigSet::all();
    let mut old_mask = nix::sys::signal::SigSet::empty();
    nix::sys::signal::pthread_sigmask(nix::sys::signal::SigmaskHow::SIG_SETMASK, Some(&all), Some(&mut old_mask))
        .map_err(io("sigmask"))?;
    let exec = RootExec {
        wait_for_maps: (isolation == Isolation::Rootless).then_some((maps_r_raw, maps_w_raw)),
        moves,
        close_from: FD_CONTROL + 1,
        path: path.as_ptr(),
        argv: argv.as_ptr(),
        envp: envp.as_ptr(),
    };
    let arg = &exec as *const RootExec as *mut libc::c_void;
    let forked = match isolation {
        // SAFETY: exec_root only makes async-signal-safe calls on `exec`, which lives until
        // spawn_vfork returns, and ends in execve or _exit; all signals are blocked above.
        Isolation::Privileged => unsafe { clone::spawn_vfork(ns_flags, exec_root, arg) },
        // Rootless: the parent must write the child's ID maps between clone and exec, which a
        // vfork child would wait for forever. A fork-like clone instead.
        // SAFETY: as above; the child runs exec_root on its copy of our memory.
        Isolation::Rootless => match unsafe { clone::clone_into_namespaces(ns_flags) } {
            Ok(clone::Forked::Child) => {
                exec_root(arg);
                // exec_root execs or exits; this is only reached if it returned.
                crate::sys::process::exit_now(127)
            }
            Ok(clone::Forked::Parent { pid, pidfd }) => Ok((pid, pidfd)),
            Err(e) => Err(e),
        },
    };
    let _ = nix::sys::signal::pthread_sigmask(nix::sys::signal::SigmaskHow::SIG_SETMASK, Some(&old_mask), None);
    let (pid, pidfd) = forked.map_err(|e| match isolation {
        Isolation::Rootless => SpawnError::UserNamespace(crate::sys::userns::explain_refusal(e)),
        Isolation::Privileged => SpawnError::Namespaces(e),
    })?;
    drop((tree_end, plan_r, null, maps_r, listener));
    if isolation == Isolation::Rootless {
        let (uid, gid) = (crate::sys::process::euid(), crate::sys::process::egid());
        if let Err(why) = crate::sys::userns::map_to_root(pid, uid, gid) {
            let _ = crate::sys::pidfd::send_signal(std::os::fd::AsFd::as_fd(&pidfd), libc::SIGKILL);
            let _ = nix::sys::wait::waitpid(pid, None);
            return Err(SpawnError::UserNamespace(why));
        }
        let _ = nix::unistd::write(&maps_w, &[1u8]);
    }
    drop(maps_w);
    let mut plan_w = std::fs::File::from(plan_w);
    // A dead init (exec failed) shows up as EPIPE here and as its exit status later.
    let _ = plan_w.write_all(plan_json.as_bytes());
    // The root init is our child: nobody else can reap it, so its PIDs can be read even now.
    let identity = hostproc::nspid_of(pidfd.as_fd(), proc_dir.as_fd())
        .and_then(|nspid| Ok((nspid, hostproc::start_time(proc_dir.as_fd(), pid.as_raw())?.0)));
    let (nspid, start_time) = match identity {
        Ok(found) => found,
        Err(e) => {
            let _ = crate::sys::pidfd::send_signal(pidfd.as_fd(), libc::SIGKILL);
            let _ = nix::sys::wait::waitpid(pid, None);
            return Err(SpawnError::Io(crate::sys::limits::explain("reading the root init's PIDs", e)));
        }
    };
    let root_start = TreeMessage::Start {
        key: ProcKey::init(0),
        name: pidns_model::INIT_NAME.into(),
        nspid,
        start_time,
        command: vec!["pidns-init".into()],
        relayed: false,
    };
    Ok(SpawnedTree { pid, pidfd, events: host_end, token, root_start })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The caller decides on the code; the message says what to do.
    #[test]
    fn each_refusal_has_its_code() {
        let coded = |e: SpawnError| (e.code(), e.to_string());
        let (code, message) = coded(SpawnError::Namespaces(Errno::EPERM));
        assert_eq!(code, ErrorCode::NoPrivilege);
        assert!(message.contains("run pidns-tree as root"), "{message}");
        assert_eq!(coded(SpawnError::Namespaces(Errno::ENOSPC)).0, ErrorCode::DepthLimit);
        assert_eq!(coded(SpawnError::UserNamespace("they are disabled".into())).0, ErrorCode::NoUserns);
        assert_eq!(coded(SpawnError::Namespaces(Errno::ENOMEM)).0, ErrorCode::SpawnFailed);
        assert_eq!(coded(SpawnError::Init("cannot run x".into())).0, ErrorCode::SpawnFailed);
    }
}
