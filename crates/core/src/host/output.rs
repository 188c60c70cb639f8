//! Where a collector's events go when JavaScript reads them: frames on a pipe (see
//! `wire::frames`), rendered as the reader asked, written in batches.
use std::fs::File;
use std::io::Write;

use super::events::{write_ndjson, Event, Names};
use super::human::HumanLines;
use super::rules::Sink;
use crate::wire::frames::{line_head, line_record, FrameBuf, Kind};
use crate::wire::tree::{ProcKey, Stream};

/// Write the batch out once it is this big, even while more is coming.
const BATCH: usize = 256 * 1024;

/// How the reader wants the events.
pub enum Format {
    /// Every event as NDJSON, to be parsed.
    Events,
    /// Output lines in binary `l` frames, one per run of a process's stream, every other event
    /// as NDJSON (the scripting API: no JSON to parse per line, and the lines it keeps for
    /// replay stay as these bytes).
    Lines,
    /// Every event as NDJSON, written straight to this file (the CLI's stdout, for `spawn
    /// --json`): no byte of it goes through JavaScript, which gets only the code (and `x` if
    /// the file's reader went away).
    Ndjson(File),
    /// Output lines rendered for a person (stdout and stderr frames), every other event as
    /// NDJSON for the TypeScript renderer (`spawn`).
    Human(HumanLines),
}

/// A collector's destination: events in, `flush` when a batch is complete.
pub trait Output: Sink {
    /// Everything emitted so far is written. False: nobody reads any more.
    fn flush(&mut self) -> bool;
}

pub struct FrameOutput {
    format: Format,
    frames: FrameBuf,
    /// NDJSON waiting to be written to the `Ndjson` file.
    direct: Vec<u8>,
    pipe: File,
    gone: bool,
    /// Lines: whose lines the open `l` frame holds.
    run: Option<(ProcKey, Stream)>,
}

impl FrameOutput {
    pub fn new(pipe: File, format: Format) -> FrameOutput {
        FrameOutput { format, frames: FrameBuf::default(), direct: Vec::new(), pipe, gone: false, run: None }
    }
}

/// Writes all of `bytes`, waiting for room when the file is non-blocking (Node makes a pipe on
/// stdout non-blocking, and that flag is the file's, shared with us).
fn write_all_waiting(file: &mut File, mut bytes: &[u8]) -> std::io::Result<()> {
    use std::os::fd::AsFd;
    while !bytes.is_empty() {
        match file.write(bytes) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let mut pfd = [nix::poll::PollFd::new(file.as_fd(), nix::poll::PollFlags::POLLOUT)];
                let _ = nix::poll::poll(&mut pfd, nix::poll::PollTimeout::NONE);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl Sink for FrameOutput {
    fn event(&mut self, names: &dyn Names, event: &Event<'_>) {
        if self.gone {
            return;
        }
        match (&mut self.format, event) {
            (Format::Human(human), Event::Output { key, stream, bytes, .. }) => {
                let kind = match stream {
                    Stream::Stdout => Kind::Stdout,
                    Stream::Stderr => Kind::Stderr,
                };
                human.line(self.frames.payload(kind), names, *key, *stream, bytes);
            }
            (Format::Lines, Event::Output { key, stream, bytes, newline }) => {
                let run = Some((*key, *stream));
                if self.frames.open_kind() != Some(Kind::Lines) || self.run != run {
                    let head = self.frames.start(Kind::Lines);
                    line_head(head, names.node_path(key.node), names.process_name(*key), *stream == Stream::Stderr);
                    self.run = run;
                }
                line_record(self.frames.payload(Kind::Lines), bytes, *newline);
            }
            (Format::Human(human), Event::Exit { key, .. }) => {
                human.forget(*key);
                write_ndjson(self.frames.payload(Kind::Events), names, event);
            }
            (Format::Ndjson(_), Event::End { code }) => {
                write_ndjson(&mut self.direct, names, event);
                self.flush();
                if self.gone {
                    self.frames.payload(Kind::ReaderGone);
                }
                self.frames.payload(Kind::Code).extend_from_slice(&code.to_le_bytes());
            }
            (Format::Ndjson(_), _) => write_ndjson(&mut self.direct, names, event),
            _ => write_ndjson(self.frames.payload(Kind::Events), names, event),
        }
        if self.frames.len() + self.direct.len() >= BATCH {
            self.flush();
        }
    }
}

impl Output for FrameOutput {
    fn flush(&mut self) -> bool {
        if let Format::Ndjson(file) = &mut self.format {
            if !self.gone && !self.direct.is_empty() && write_all_waiting(file, &self.direct).is_err() {
                self.gone = true;
            }
            self.direct.clear();
        }
        // The frames always go out: when the output's reader is gone, JavaScript must still
        // hear it (`x`) and the code.
        if !self.frames.is_empty() && self.pipe.write_all(self.frames.bytes()).is_err() {
            self.gone = true;
        }
        self.frames.clear();
        !self.gone
    }
}
