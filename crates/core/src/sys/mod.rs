//! The syscall boundary. Every `unsafe` block of the project that talks to the kernel lives
//! below this module, each with a SAFETY comment; the rest of the crate is safe code.
pub mod arena;
pub mod clone;
pub mod ctlsock;
pub mod dirfd;
pub mod exec;
pub mod fd;
pub mod hostproc;
pub mod limits;
pub mod mounts;
pub mod nschain;
pub mod nslevel;
pub mod pidfd;
pub mod prctl;
pub mod process;
pub mod pty;
pub mod root_exec;
pub mod seqpacket;
pub mod setns;
pub mod signals;
pub mod userns;
pub mod wait;
