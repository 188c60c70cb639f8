#!/usr/bin/env python3
"""A real terminal for tests: runs a command on a new pseudo-terminal (its session's controlling
terminal, as a terminal emulator does) and takes JSON requests, one per line on stdin, each
answered by one JSON line on stdout. Node cannot open a pty without a native module; Python's
standard library can, and it is independent of the code under test.

Requests ("op" and its fields):
  start   argv, env?, cols?, rows?   start the command; answers its pid and the terminal's name
  send    data                       type these characters (Ctrl-C is "\\u0003")
  expect  pattern, timeout?          wait until the regular expression matches the output that
                                     follows the previous match; answers the match and the text
                                     before it, or ok=false with all the output on timeout
  resize  cols, rows                 set the window size (the kernel sends SIGWINCH)
  stty                               `stty -g` of the terminal, as the shell around would see it
  signal  signal                     send a signal (a number) to the command
  wait    timeout?                   wait for the command's exit: code or signal, and the output
  gone    pids, timeout?             wait until each host pid has exited (pidfds, no polling)
"""
import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
import threading
import time


class Terminal:
    def __init__(self):
        self.pid = None
        self.master = None
        self.tty = None
        self.output = b""
        self.cursor = 0
        self.eof = False
        self.changed = threading.Condition()

    def start(self, argv, env, cols, rows):
        master, slave = os.openpty()
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        # The terminal's settings before the command touches them.
        before = subprocess.run(["stty", "-g"], stdin=slave, capture_output=True, text=True, check=True).stdout.strip()
        pid = os.fork()
        if pid == 0:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            os.execvpe(argv[0], argv, {**os.environ, **env})
        # Only the command holds the terminal from now on: the master reads EIO once it (and
        # whatever it started there) has closed it, after everything it wrote.
        self.tty = os.ttyname(slave)
        os.close(slave)
        self.pid, self.master = pid, master
        threading.Thread(target=self._read, daemon=True).start()
        return {"pid": pid, "tty": self.tty, "stty": before}

    def _read(self):
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            with self.changed:
                if data:
                    self.output += data
                else:
                    self.eof = True
                self.changed.notify_all()
            if not data:
                return

    def expect(self, pattern, timeout):
        regex = re.compile(pattern.encode(), re.S)
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                m = regex.search(self.output, self.cursor)
                if m:
                    before = self.output[self.cursor : m.start()]
                    self.cursor = m.end()
                    return {"ok": True, "match": m.group(0).decode(errors="replace"), "before": before.decode(errors="replace")}
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    return {"ok": False, "output": self.output.decode(errors="replace")}
                self.changed.wait(left)

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        pidfd = os.pidfd_open(self.pid)
        if not select.select([pidfd], [], [], timeout)[0]:
            os.close(pidfd)
            return {"ok": False, "output": self.output.decode(errors="replace")}
        os.close(pidfd)
        _, status = os.waitpid(self.pid, 0)
        # The command has exited: read the rest of what it wrote, until EIO.
        with self.changed:
            while not self.eof and time.monotonic() < deadline:
                self.changed.wait(deadline - time.monotonic())
        answer = {"ok": True, "output": self.output.decode(errors="replace")}
        if os.WIFSIGNALED(status):
            answer["signal"] = os.WTERMSIG(status)
        else:
            answer["code"] = os.WEXITSTATUS(status)
        return answer


def gone(pids, timeout):
    """Waits until every pid has exited (a pidfd polls readable then); answers those still alive."""
    fds = {}
    for pid in pids:
        try:
            fds[os.pidfd_open(pid)] = pid
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while fds:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        for fd in select.select(list(fds), [], [], left)[0]:
            os.close(fd)
            del fds[fd]
    alive = sorted(fds.values())
    for fd in fds:
        os.close(fd)
    return {"ok": not alive, "alive": alive}


def main():
    term = Terminal()
    for line in sys.stdin:
        req = json.loads(line)
        op = req["op"]
        try:
            if op == "start":
                answer = term.start(req["argv"], req.get("env", {}), req.get("cols", 80), req.get("rows", 24))
                answer["ok"] = True
            elif op == "send":
                os.write(term.master, req["data"].encode())
                answer = {"ok": True}
            elif op == "expect":
                answer = term.expect(req["pattern"], req.get("timeout", 20))
            elif op == "resize":
                fcntl.ioctl(term.master, termios.TIOCSWINSZ, struct.pack("HHHH", req["rows"], req["cols"], 0, 0))
                answer = {"ok": True}
            elif op == "stty":
                fd = os.open(term.tty, os.O_RDWR | os.O_NOCTTY)
                try:
                    out = subprocess.run(["stty", "-g"], stdin=fd, capture_output=True, text=True, check=True)
                finally:
                    os.close(fd)
                answer = {"ok": True, "stty": out.stdout.strip()}
            elif op == "signal":
                os.kill(term.pid, req["signal"])
                answer = {"ok": True}
            elif op == "wait":
                answer = term.wait(req.get("timeout", 20))
            elif op == "gone":
                answer = gone(req["pids"], req.get("timeout", 20))
            else:
                answer = {"ok": False, "error": f"unknown op {op}"}
        except Exception as e:  # the test gets the error as an answer, not a hang
            answer = {"ok": False, "error": repr(e)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    if term.pid is not None:
        try:
            os.kill(term.pid, 9)
        except ProcessLookupError:
            pass


if __name__ == "__main__":
    main()
