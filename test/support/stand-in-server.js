#!/usr/bin/env node
// Hosts a stand-in for a command-line tool (a fake curl) that a script under test calls many
// times, so that each call does not start a Node process of its own (about 40 ms of CPU each).
// See test/support/stand-in-host.ts, which starts this process and writes the executable a
// script calls: a bash client that sends its arguments, working directory and environment here
// over a loopback socket, prints what the stand-in wrote and exits with its exit code.
//
// `node stand-in-server.js FILE` reads the stand-in's source from FILE: a Node script as it would
// run with `#!node` (it may use require, process.argv, process.env, process.stdout.write,
// process.stderr.write, process.exit and process.exitCode; a first `#!` line is ignored). Each call
// runs it from the start, in the caller's working directory. It prints the port it listens on
// (127.0.0.1) on a line of its own, and exits when its standard input closes (when the test
// process that started it ends).
//
// A request is NUL-terminated fields: the argument count, the working directory, the count of
// environment variables, each `NAME=VALUE`, then each argument. The answer is the exit code, the
// standard output and the standard error, each NUL-terminated.
'use strict';
const fs = require('fs');
const net = require('net');

const source = fs.readFileSync(process.argv[2], 'utf8').replace(/^#!.*\n/, '');
// eslint-disable-next-line no-new-func
const standIn = new Function('require', 'process', source);

class Exit {
  constructor(code) {
    this.code = code;
  }
}

function run(cwd, env, args) {
  let stdout = '';
  let stderr = '';
  // The real process, but for what a call has of its own.
  const proc = Object.create(process, {
    argv: { value: [process.execPath, 'stand-in', ...args] },
    env: { value: env },
    exitCode: { value: undefined, writable: true },
    stdout: { value: { write: (s) => ((stdout += s), true) } },
    stderr: { value: { write: (s) => ((stderr += s), true) } },
    exit: {
      value: (code) => {
        throw new Exit(code ?? proc.exitCode ?? 0);
      },
    },
  });
  const before = process.cwd();
  let code;
  try {
    process.chdir(cwd);
    standIn(require, proc);
    code = proc.exitCode ?? 0;
  } catch (error) {
    if (error instanceof Exit) {
      code = error.code;
    } else {
      // What node prints for an uncaught exception, and its exit code.
      stderr += `${error && error.stack ? error.stack : String(error)}\n`;
      code = 1;
    }
  } finally {
    process.chdir(before);
  }
  return { code, stdout, stderr };
}

/** The request's fields once all have arrived, else undefined. */
function parse(buffer) {
  const fields = [];
  let start = 0;
  for (let i = 0; i < buffer.length; i++) {
    if (buffer[i] === 0) {
      fields.push(buffer.subarray(start, i).toString('utf8'));
      start = i + 1;
    }
  }
  if (fields.length < 3) return undefined;
  const argc = Number(fields[0]);
  const envc = Number(fields[2]);
  if (fields.length < 3 + envc + argc) return undefined;
  const env = {};
  for (const pair of fields.slice(3, 3 + envc)) {
    const eq = pair.indexOf('=');
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { cwd: fields[1], env, args: fields.slice(3 + envc, 3 + envc + argc) };
}

const server = net.createServer((socket) => {
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    const request = parse(buffer);
    if (request === undefined) return;
    const { code, stdout, stderr } = run(request.cwd, request.env, request.args);
    socket.end(`${code}\0${stdout}\0${stderr}\0`);
  });
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
