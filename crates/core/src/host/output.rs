//! Where a collector's events go when JavaScript reads them: frames on a pipe (see
//! `wire::frames`), rendered as the reader asked, written in batches.
use std::fs::File;
use std::io::Write;

use super::events::{write_ndjson, Event, Names};
use super::human::HumanLines;
use super::rules::Sink;
use crate::wire::frames::{FrameBuf, Kind};

/// Write the batch out once it is this big, even while more is coming.
const BATCH: usize = 256 * 1024;

/// How the reader wants the events.
pub enum Format {
    /// Every event as NDJSON, to be parsed (the scripting API).
    Events,
    /// Every event as NDJSON, to be printed as it is (`spawn --json`); a last frame has the
    /// code.
    Ndjson,
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
    pipe: File,
    gone: bool,
}

impl FrameOutput {
    pub fn new(pipe: File, format: Format) -> FrameOutput {
        FrameOutput { format, frames: FrameBuf::default(), pipe, gone: false }
    }
}

impl Sink for FrameOutput {
    fn event(&mut self, names: &dyn Names, event: &Event<'_>) {
        if self.gone {
            return;
        }
        match (&mut self.format, event) {
            (Format::Human(human), Event::Output { key, stream, bytes, .. }) => {
                let kind = match stream {
                    crate::wire::tree::Stream::Stdout => Kind::Stdout,
                    crate::wire::tree::Stream::Stderr => Kind::Stderr,
                };
                human.line(self.frames.payload(kind), names, *key, *stream, bytes);
            }
            (Format::Human(human), Event::Exit { key, .. }) => {
                human.forget(*key);
                write_ndjson(self.frames.payload(Kind::Events), names, event);
            }
            (Format::Ndjson, Event::End { code }) => {
                write_ndjson(self.frames.payload(Kind::Stdout), names, event);
                self.frames.payload(Kind::Code).extend_from_slice(&code.to_le_bytes());
            }
            (Format::Ndjson, _) => write_ndjson(self.frames.payload(Kind::Stdout), names, event),
            _ => write_ndjson(self.frames.payload(Kind::Events), names, event),
        }
        if self.frames.len() >= BATCH {
            self.flush();
        }
    }
}

impl Output for FrameOutput {
    fn flush(&mut self) -> bool {
        if !self.gone && !self.frames.is_empty() && self.pipe.write_all(self.frames.bytes()).is_err() {
            self.gone = true;
        }
        self.frames.clear();
        !self.gone
    }
}
