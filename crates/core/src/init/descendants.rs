//! The processes below an init, as /proc lists them: its children, and theirs, down to the
//! leaves (each thread's /proc/PID/task/TID/children). Only through a /proc of our own PID
//! namespace: another namespace's /proc gives numbers that name other processes here.
use std::collections::VecDeque;

use nix::unistd::getpid;

/// Whether /proc is our PID namespace's: there, /proc/self is our own PID.
pub fn proc_is_ours() -> bool {
    std::fs::read_link("/proc/self").is_ok_and(|p| p.to_str() == Some(getpid().to_string().as_str()))
}

/// The children of `pid`, from every one of its threads.
pub fn children_of(pid: i32) -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    let mut children = Vec::new();
    for task in tasks.flatten() {
        let path = task.path().join("children");
        if let Ok(text) = std::fs::read_to_string(path) {
            children.extend(text.split_whitespace().filter_map(|n| n.parse::<i32>().ok()));
        }
    }
    children
}

/// Every process below us, parents before their children. A process that forks meanwhile may
/// be missed: the caller signals again as orphans reach it.
pub fn all_below_us() -> Vec<i32> {
    let mut found = Vec::new();
    let mut queue: VecDeque<i32> = children_of(getpid().as_raw()).into();
    while let Some(pid) = queue.pop_front() {
        found.push(pid);
        queue.extend(children_of(pid));
    }
    found
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};

    #[test]
    fn finds_children_and_grandchildren() {
        assert!(super::proc_is_ours());
        // sh (our child) runs sleep in the background (its child), then waits on stdin.
        let mut sh = Command::new("sh")
            .args(["-c", "sleep 30 & echo $!; read _"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(sh.stdout.take().unwrap()), &mut line).unwrap();
        let sleep: i32 = line.trim().parse().unwrap();
        let below = super::all_below_us();
        let shell = sh.id() as i32;
        let (s, c) = (below.iter().position(|&p| p == shell), below.iter().position(|&p| p == sleep));
        assert!(s.is_some() && c.is_some() && s < c, "{below:?} has {shell} before {sleep}");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(sleep), nix::sys::signal::Signal::SIGKILL).unwrap();
        drop(sh.stdin.take());
        sh.wait().unwrap();
    }
}
