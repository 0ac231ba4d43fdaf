// Worker thread for WASM.LOAD: runs prepare() (describe, load-limit checks, instrumentation) off the
// main thread, so loading a large module does not stall other clients. One request at a time per
// message: { id, bytes, settings } -> { id, ok, prepared } | { id, ok: false, message, load }.
// The instrumented bytes are transferred back, not copied.

import { parentPort } from 'node:worker_threads';
import { LoadError } from './errors.js';
import { prepare, PrepareSettings } from './prepare.js';

interface Job {
  id: number;
  bytes: Uint8Array;
  settings: PrepareSettings;
}

parentPort!.on('message', (job: Job) => {
  try {
    const prepared = prepare(job.bytes, job.settings);
    const out = prepared.meta.bytes;
    parentPort!.postMessage({ id: job.id, ok: true, prepared }, [out.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: job.id, ok: false, message: (e as Error).message, load: e instanceof LoadError });
  }
});
