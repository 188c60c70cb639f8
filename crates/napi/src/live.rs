//! Detached trees from Node: the state root and the control socket go through pidns-core's own
//! checks (`live::state_root`, `live::tree_dir`, `live::client`), the very code the supervisor
//! uses, so there is one implementation of them. SOCK_SEQPACKET and SCM_RIGHTS (exec passes
//! our stdio) are beyond Node's net module anyway.
//!
//! Errors carry their code as the JavaScript error's `code`: STATE_UNSAFE (nothing was used or
//! sent), UNKNOWN_TREE, TREE_GONE.
use napi::bindgen_prelude::{AsyncTask, Object};
use napi::{Env, Task};
use napi_derive::napi;
use pidns_core::error_code::ErrorCode;
use pidns_core::live::client;
use pidns_core::live::signal_stop::{stop_by_signal, Stopped};
use pidns_core::live::state_root::{StateRoot, Unsafe};
use pidns_core::live::tree_dir;

use crate::coded::{from_napi, from_request, rejection, Error, Result};
use crate::terminal::NativeTerminal;

fn unsafe_state(u: Unsafe) -> Error {
    Error::new(ErrorCode::StateUnsafe, u.0)
}

#[napi(object)]
pub struct LiveEntry {
    pub id: String,
    /// The tree's directory (for display: every access goes through checked descriptors).
    pub dir: String,
    /// Its info.json, as written by the supervisor.
    pub info: String,
}

#[napi(object)]
pub struct LiveListing {
    /// The state root's path.
    pub root: String,
    pub trees: Vec<LiveEntry>,
    /// Ids of dead trees whose state was just removed.
    pub cleaned: Vec<String>,
    /// Tree directories not safe to use, and stale state left in place, with why.
    pub problems: Vec<LiveProblem>,
}

#[napi(object)]
pub struct LiveProblem {
    pub id: String,
    pub message: String,
}

/// The path of the state root of detached trees (not checked, not created).
#[napi]
pub fn live_state_root() -> Result<String> {
    StateRoot::path().map(|p| p.display().to_string()).map_err(unsafe_state)
}

/// The detached trees running here; the state of dead ones is removed (only pidns-tree's own
/// files, by name) and reported.
#[napi]
pub fn live_list() -> Result<LiveListing> {
    let path = StateRoot::path().map_err(unsafe_state)?;
    let Some(root) = StateRoot::open(false).map_err(unsafe_state)? else {
        return Ok(LiveListing { root: path.display().to_string(), trees: vec![], cleaned: vec![], problems: vec![] });
    };
    let listing = tree_dir::list(&root).map_err(|m| Error::new(ErrorCode::StateUnsafe, m))?;
    Ok(LiveListing {
        root: root.path.display().to_string(),
        trees: listing
            .trees
            .into_iter()
            .map(|(id, info)| LiveEntry { dir: root.path.join(&id).display().to_string(), id, info })
            .collect(),
        cleaned: listing.cleaned,
        problems: listing.problems.into_iter().map(|(id, message)| LiveProblem { id, message }).collect(),
    })
}

/// The version of the live protocol this build speaks (`wire::live::PROTOCOL`); a detached
/// tree's info.json says the version of its supervisor.
#[napi]
pub fn live_protocol() -> i64 {
    pidns_core::wire::live::PROTOCOL
}

/// Stops tree `id` by signals, without a word of its protocol (its supervisor speaks another
/// version): SIGTERM to its root init, SIGKILL after `grace_ms`, only to processes proved to be
/// the tree's (`live::signal_stop`). Says how it ended: `SIGTERM` (within the grace period),
/// `SIGKILL`, or `SIGTERM to its supervisor` (its root init could not be proved the tree's).
/// Returns once the supervisor has ended.
#[napi]
pub fn live_stop_by_signal(id: String, grace_ms: u32) -> Result<String> {
    let stopped: Stopped =
        stop_by_signal(&id, std::time::Duration::from_millis(grace_ms as u64)).map_err(from_request)?;
    Ok(stopped.word().to_string())
}

/// Sends one request to the supervisor of tree `id` (with our stdin, stdout and stderr when
/// `pass_stdio`) and returns its reply, once the supervisor has shown (SO_PEERCRED) that it
/// runs as us or root. Blocks until the reply comes (for exec, until the command has exited), or
/// until `timeout_ms` when given.
#[napi]
pub fn live_request(id: String, request: String, pass_stdio: bool, timeout_ms: Option<u32>) -> Result<String> {
    let timeout = timeout_ms.map(|ms| std::time::Duration::from_millis(ms as u64));
    client::request(&id, &request, pass_stdio, timeout).map_err(from_request)
}

/// `live_request` off the JavaScript thread (never with stdio): for requests that wait, such
/// as the `events` long poll of `pidns-tree ui`, which must not block a server's event loop.
#[napi(ts_return_type = "Promise<string>")]
pub fn live_request_async(id: String, request: String, timeout_ms: Option<u32>) -> AsyncTask<LiveRequestTask> {
    AsyncTask::new(LiveRequestTask { id, request, timeout_ms })
}

pub struct LiveRequestTask {
    id: String,
    request: String,
    timeout_ms: Option<u32>,
}

impl Task for LiveRequestTask {
    /// napi's tasks fail with its own statuses only: the reply or the coded error travels as the
    /// output, and the error becomes the promise's rejection in `resolve` (see `coded`).
    type Output = Result<String>;
    type JsValue = String;

    fn compute(&mut self) -> napi::Result<Result<String>> {
        let timeout = self.timeout_ms.map(|ms| std::time::Duration::from_millis(ms as u64));
        Ok(client::request(&self.id, &self.request, false, timeout).map_err(from_request))
    }

    fn resolve(&mut self, env: Env, output: Result<String>) -> napi::Result<String> {
        output.map_err(|coded| rejection(env, coded))
    }
}

/// An exec on a terminal (`request` has `"tty": true`): the terminal's slave goes to the command
/// as its stdin, stdout and stderr (and is closed here once sent). Resolves with the reply once
/// the command has exited; JavaScript relays the terminal meanwhile. The wait runs on a thread of
/// its own, not in libuv's pool: a session lasts as long as the user likes, and a process exit
/// (SIGTERM) must not wait for it.
#[napi(ts_return_type = "Promise<string>")]
pub fn live_exec_on_terminal<'env>(
    env: &'env Env,
    id: String,
    request: String,
    terminal: &NativeTerminal,
) -> Result<Object<'env>> {
    let slave = terminal
        .take_slave()
        .ok_or_else(|| Error::new(ErrorCode::BadArgument, "this terminal was given to an exec already".to_string()))?;
    let (deferred, promise) =
        env.create_deferred::<String, Resolver>().map_err(|e| from_napi(ErrorCode::SyscallFailed, e))?;
    std::thread::Builder::new()
        .name("pidns-exec".into())
        .spawn(move || match client::request_on_terminal(&id, &request, slave) {
            Ok(reply) => deferred.resolve(Box::new(move |_| Ok(reply))),
            // Rejected with a JavaScript error made on the JavaScript thread: it keeps its code.
            Err(e) => {
                let error = from_request(e);
                deferred.resolve(Box::new(move |env| Err(rejection(env, error))))
            }
        })
        .map_err(|e| Error::new(ErrorCode::SyscallFailed, format!("cannot start the exec's thread: {e}")))?;
    Ok(promise)
}

type Resolver = Box<dyn FnOnce(Env) -> napi::Result<String> + Send>;
