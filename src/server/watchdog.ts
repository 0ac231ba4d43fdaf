// SIGTERM/SIGINT always stop the server, even while the main thread is busy.
//
// Node runs `process.on('SIGTERM')` handlers on the main event loop: libuv's C signal handler only
// writes to a pipe that the loop reads between callbacks. A Lua script or WASM function that loops
// (under a large busy-reply-threshold / fuel budget) holds the loop, so the handler never runs and
// the signal is ignored for as long as the loop lasts — possibly forever.
//
// libuv delivers a signal to every loop that watches it, and a worker thread has a loop of its
// own. So a small worker watches SIGTERM and SIGINT (through `process.binding('signal_wrap')`:
// `process.on` for signals is main-thread only) and, when one arrives:
//   1. sets a flag in shared memory at once. The interrupt points of long-running guest code check
//      it — the Lua count hook (src/scripting/engine.ts) and the WASM fuel refill
//      (src/wasm/registry.ts) — and abort the script/function, so the main loop frees up and runs
//      the ordinary SIGTERM handler: a normal shutdown (AOF flushed and fsynced, snapshot if
//      configured).
//   2. waits GRACE_MS for that handler to start (the main thread sets another flag when it does).
//      If it has not — the main thread is stuck somewhere no interrupt reaches — the worker fsyncs
//      the AOF file descriptor the main thread published and kills the process (SIGKILL: a worker
//      cannot make the process exit otherwise). Nothing acknowledged is lost: a write's AOF record
//      is written (write(2)) before its reply is sent, so it is in the kernel, and now on disk.
// Measured (Node 20, 2 cores): the worker sees the signal within ~2 ms while the main thread spins.

import { Worker } from 'node:worker_threads';

/** How long the main thread gets to start its shutdown after a signal before the worker kills. */
export const GRACE_MS = 5000;

// Shared slots: [0] signal number received (0: none), [1] main thread's handler started,
// [2] AOF fd to fsync before a hard exit (-1: none).
const SLOT_SIGNAL = 0;
const SLOT_HANDLING = 1;
const SLOT_AOF_FD = 2;

let shared: Int32Array | null = null;
let worker: Worker | null = null;

/** True once SIGTERM/SIGINT arrived: long-running guest code must stop (checked by interrupts). */
export function terminationRequested(): boolean {
  return shared !== null && Atomics.load(shared, SLOT_SIGNAL) !== 0;
}

/** The main thread's signal handler is running: the worker must not kill the process. */
export function shutdownStarted(): void {
  if (shared) Atomics.store(shared, SLOT_HANDLING, 1);
}

/** The AOF file descriptor the worker fsyncs before a hard exit (-1 when there is none). */
export function publishAofFd(fd: number): void {
  if (shared) Atomics.store(shared, SLOT_AOF_FD, fd);
}

// The worker, as CommonJS source: no file to locate next to the compiled code, works from dist/
// and from the TypeScript sources alike.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const shared = new Int32Array(workerData.sab);
const grace = workerData.graceMs;
const { Signal } = process.binding('signal_wrap');
let armed = false;
function onSignal(signum) {
  Atomics.store(shared, ${SLOT_SIGNAL}, signum);
  if (armed) return;
  armed = true;
  setTimeout(() => {
    if (Atomics.load(shared, ${SLOT_HANDLING}) !== 0) return;
    const fd = Atomics.load(shared, ${SLOT_AOF_FD});
    let synced = 'no AOF';
    if (fd >= 0) {
      try { fs.fsyncSync(fd); synced = 'AOF fsynced'; } catch (e) { synced = 'AOF fsync failed: ' + e.message; }
    }
    try {
      fs.writeSync(2, JSON.stringify({ level: 50, time: Date.now(), pid: process.pid,
        msg: 'Signal ' + signum + ' received but the main thread has been busy for ' + grace +
          ' ms (a script or function that does not stop?): exiting now (' + synced + ')' }) + '\\n');
    } catch {}
    process.kill(process.pid, 'SIGKILL');
  }, grace);
}
for (const signum of [15, 2]) {
  const s = new Signal();
  s.onsignal = onSignal;
  s.start(signum); // ref'd: it keeps this worker alive (the Worker itself is unref'd)
}
`;

/**
 * Start the watchdog (once, from the CLI: an in-process test server does not own the process).
 * The worker is unref'd: it never keeps the process alive.
 */
export function startWatchdog(graceMs = GRACE_MS): void {
  if (worker) return;
  const sab = new SharedArrayBuffer(4 * 4);
  shared = new Int32Array(sab);
  Atomics.store(shared, SLOT_AOF_FD, -1);
  // process.binding is deprecated (DEP0111); the worker's warning would be noise in the log.
  worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sab, graceMs }, execArgv: ['--no-deprecation'] });
  worker.unref();
  worker.on('error', () => {
    // Without the watchdog the server still runs; it only loses the busy-loop guarantee.
  });
}
