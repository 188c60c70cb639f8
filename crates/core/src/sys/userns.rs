//! Rootless trees: a user namespace that maps the caller to root, as `unshare -r` and bwrap do,
//! and plain words when the system does not allow one.
use std::fs;

use nix::errno::Errno;
use nix::unistd::Pid;

const CAP_SYS_ADMIN: u32 = 21;

/// Whether the caller holds CAP_SYS_ADMIN (in its own user namespace): then it can create PID
/// namespaces directly.
pub fn has_cap_sys_admin() -> bool {
    let Ok(status) = fs::read_to_string("/proc/self/status") else { return false };
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_SYS_ADMIN) != 0)
}

/// Whether the caller runs in a user namespace other than the initial one (rootless): its
/// uid_map is not the identity map of every uid.
pub fn in_user_namespace() -> bool {
    fs::read_to_string("/proc/self/uid_map")
        .map(|m| m.split_whitespace().collect::<Vec<_>>() != ["0", "0", "4294967295"])
        .unwrap_or(false)
}

/// Maps `uid`/`gid` (the caller's) to root in the new user namespace of `child`. setgroups must
/// be denied first: an unprivileged process may not map its groups otherwise.
pub fn map_to_root(child: Pid, uid: u32, gid: u32) -> Result<(), String> {
    let write = |file: &str, text: String| {
        fs::write(format!("/proc/{child}/{file}"), &text)
            .map_err(|e| format!("writing {text:?} to /proc/{child}/{file}: {e}"))
    };
    write("setgroups", "deny".into())?;
    write("uid_map", format!("0 {uid} 1"))?;
    write("gid_map", format!("0 {gid} 1"))
}

fn sysctl(path: &str) -> Option<i64> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Why an unprivileged user namespace is not available here, and what to do, if the system
/// says so before we even try (Ubuntu's AppArmor lets the clone succeed but takes away every
/// capability inside it, so a later mount fails with a useless EPERM).
pub fn known_restriction() -> Option<String> {
    known_restriction_in(&sysctl)
}

/// `known_restriction` with the sysctls read through `sysctl` (tests give their own values).
fn known_restriction_in(sysctl: &dyn Fn(&str) -> Option<i64>) -> Option<String> {
    if sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == Some(1) {
        return Some(
            "AppArmor restricts unprivileged user namespaces here (kernel.apparmor_restrict_unprivileged_userns = 1, \
             as on Ubuntu 23.10 and later): run as root (sudo), allow them with \
             `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`, or give node an AppArmor profile with `userns,`"
                .into(),
        );
    }
    if sysctl("/proc/sys/user/max_user_namespaces") == Some(0) {
        return Some(
            "user namespaces are disabled (user.max_user_namespaces = 0): run as root (sudo), or allow them with \
             `sudo sysctl user.max_user_namespaces=15000`"
                .into(),
        );
    }
    if sysctl("/proc/sys/kernel/unprivileged_userns_clone") == Some(0) {
        return Some(
            "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0): run as root (sudo), or \
             allow them with `sudo sysctl kernel.unprivileged_userns_clone=1`"
                .into(),
        );
    }
    None
}

/// The kernel refused clone(CLONE_NEWUSER) with `errno`: why, in plain words.
pub fn explain_refusal(errno: Errno) -> String {
    if let Some(known) = known_restriction() {
        return known;
    }
    match errno {
        Errno::ENOSPC | Errno::EUSERS => {
            "the limit on user namespaces is reached (user.max_user_namespaces, or 32 nested levels): \
             end other trees or containers, or raise the limit"
                .into()
        }
        Errno::EPERM => {
            "the kernel refused a user namespace: a seccomp filter (Docker's default profile blocks it) or a \
             container without the capability is in the way; run as root, or the container with \
             --privileged / --security-opt seccomp=unconfined"
                .into()
        }
        e => format!("cannot create a user namespace: {}", e.desc()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(key: &'static str, value: i64) -> impl Fn(&str) -> Option<i64> {
        move |k: &str| (k == key).then_some(value)
    }

    #[test]
    fn names_each_known_restriction_and_its_fix() {
        let apparmor =
            known_restriction_in(&with("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", 1)).unwrap();
        assert!(
            apparmor.contains("AppArmor") && apparmor.contains("sysctl kernel.apparmor_restrict_unprivileged_userns=0")
        );
        let max = known_restriction_in(&with("/proc/sys/user/max_user_namespaces", 0)).unwrap();
        assert!(max.contains("user.max_user_namespaces = 0"));
        let debian = known_restriction_in(&with("/proc/sys/kernel/unprivileged_userns_clone", 0)).unwrap();
        assert!(debian.contains("kernel.unprivileged_userns_clone = 0"));
        assert_eq!(known_restriction_in(&with("/proc/sys/user/max_user_namespaces", 100)), None);
    }

    #[test]
    fn explains_refusals_without_a_known_restriction() {
        if known_restriction().is_none() {
            assert!(explain_refusal(Errno::EPERM).contains("seccomp"));
            assert!(explain_refusal(Errno::ENOSPC).contains("limit"));
        }
    }
}
