//! Output lines as `spawn` shows them to a person: `node:process | line` on stdout, `node:process
//! ! line` on stderr, the prefix padded to a common width, dim (and the `!` red) on a terminal.
//! Rendered here, in batches, so that a flood of output costs what a prefixing `sed` costs;
//! everything else a person sees (the tree, exits, the summary) is the TypeScript renderer's.
use std::collections::HashMap;

use super::events::Names;
use crate::wire::tree::{ProcKey, Stream};

const DIM: &[u8] = b"\x1b[2m";
const UNDIM: &[u8] = b"\x1b[22m";
const RED: &[u8] = b"\x1b[31m";
const UNRED: &[u8] = b"\x1b[39m";

pub struct HumanLines {
    width: usize,
    color: bool,
    /// Each process's rendered prefix for stdout and for stderr, up to the line itself.
    prefixes: HashMap<ProcKey, [Vec<u8>; 2]>,
}

impl HumanLines {
    /// `width`: the prefix column (`node:process` padded to it); `color`: ANSI dim and red.
    pub fn new(width: usize, color: bool) -> HumanLines {
        HumanLines { width, color, prefixes: HashMap::new() }
    }

    /// Appends one line (a piece of one, for a line longer than 64 KiB) with its newline. The
    /// bytes are written as the process wrote them.
    pub fn line(&mut self, out: &mut Vec<u8>, names: &dyn Names, key: ProcKey, stream: Stream, bytes: &[u8]) {
        let prefix = self.prefixes.entry(key).or_insert_with(|| {
            let label = format!("{}:{}", names.node_path(key.node), names.process_name(key));
            let padded = format!("{label:<width$}", width = self.width);
            let mut both = [Vec::new(), Vec::new()];
            for (i, (bar, on, off)) in [(b'|', DIM, UNDIM), (b'!', RED, UNRED)].into_iter().enumerate() {
                let p = &mut both[i];
                if self.color {
                    p.extend_from_slice(DIM);
                    p.extend_from_slice(padded.as_bytes());
                    p.extend_from_slice(UNDIM);
                    p.push(b' ');
                    p.extend_from_slice(on);
                    p.push(bar);
                    p.extend_from_slice(off);
                } else {
                    p.extend_from_slice(padded.as_bytes());
                    p.push(b' ');
                    p.push(bar);
                }
                p.push(b' ');
            }
            both
        });
        out.extend_from_slice(&prefix[stream.index()]);
        out.extend_from_slice(bytes);
        out.push(b'\n');
    }

    /// The process will not write again: its prefix is not needed any more.
    pub fn forget(&mut self, key: ProcKey) {
        self.prefixes.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct N;
    impl Names for N {
        fn node_path(&self, _: u32) -> &str {
            "root/a"
        }
        fn process_name(&self, _: ProcKey) -> &str {
            "web"
        }
    }

    #[test]
    fn renders_like_the_typescript_renderer() {
        let key = ProcKey { node: 1, slot: 0 };
        let mut out = Vec::new();
        HumanLines::new(14, false).line(&mut out, &N, key, Stream::Stdout, b"hello \xff");
        assert_eq!(out, b"root/a:web     | hello \xff\n");
        out.clear();
        HumanLines::new(3, true).line(&mut out, &N, key, Stream::Stderr, b"oops");
        assert_eq!(out, b"\x1b[2mroot/a:web\x1b[22m \x1b[31m!\x1b[39m oops\n");
    }
}
