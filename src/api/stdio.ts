/** The caller's ends of an exec'd process's stdio as Node streams (pipes, read and written by libuv). */
import { closeSync } from 'node:fs';
import net from 'node:net';

export interface ProcessStdio {
  readonly stdin: net.Socket;
  readonly stdout: net.Socket;
  readonly stderr: net.Socket;
}

export interface StdioFds {
  stdin: number;
  stdout: number;
  stderr: number;
}

/**
 * Wraps the descriptors in streams. Make them only when someone will listen in the same turn:
 * a stream that ends without data can emit 'end' as soon as EOF is read.
 */
export function stdioFromFds(fds: StdioFds): ProcessStdio {
  return {
    stdin: new net.Socket({ fd: fds.stdin, readable: false, writable: true }),
    stdout: new net.Socket({ fd: fds.stdout, readable: true, writable: false }),
    stderr: new net.Socket({ fd: fds.stderr, readable: true, writable: false }),
  };
}

/** Closes descriptors that will never be wrapped (the process never started). */
export function closeFds(fds: StdioFds): void {
  for (const fd of [fds.stdin, fds.stdout, fds.stderr]) closeSync(fd);
}

/** Everything a stream yields until its end, as one Buffer. */
export function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
