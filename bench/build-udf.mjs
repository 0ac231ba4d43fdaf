#!/usr/bin/env node
// Build the Lua-vs-WASM benchmark's AssemblyScript UDFs: bench/udf/*.ts → bench/udf/build/*.wasm
// (ignored by git), with the same asc flags as wasm-examples/build.mjs, so the benchmark measures
// what a user of the SDK gets.
//
//   node bench/build-udf.mjs [--force]
//
// A re-run rebuilds only modules whose source, SDK, compiler version or flags changed (content
// hashes in bench/udf/build/.stamps.json). Exits non-zero if a build fails.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const SRC = join(HERE, 'udf');
const OUT = join(SRC, 'build');
const SDK = join(ROOT, 'wasm-examples', 'sdk');
// Keep in step with wasm-examples/build.mjs (ascFlags with its DEFAULT_RUNTIME).
const FLAGS = ['--optimize', '--exportRuntime', '--runtime', 'incremental'];

function sha(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

async function main(argv) {
  const force = argv.includes('--force');
  const t0 = performance.now();
  let asc;
  try {
    asc = await import('assemblyscript/asc');
  } catch {
    console.error('[build-udf] the assemblyscript devDependency is not installed (npm install)');
    return 1;
  }
  const ver = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'assemblyscript', 'package.json'), 'utf8')).version;
  const sdk = readdirSync(SDK).filter((f) => f.endsWith('.ts')).sort().map((f) => readFileSync(join(SDK, f)));
  mkdirSync(OUT, { recursive: true });
  const stampsPath = join(OUT, '.stamps.json');
  let stamps = {};
  try {
    stamps = JSON.parse(readFileSync(stampsPath, 'utf8'));
  } catch {
    /* first build */
  }
  const files = readdirSync(SRC).filter((f) => f.endsWith('.ts')).sort();
  let failed = 0;
  const lines = [];
  for (const f of files) {
    const name = basename(f, '.ts');
    const src = join(SRC, f);
    const outFile = join(OUT, `${name}.wasm`);
    const stamp = sha(ver, FLAGS.join(' '), readFileSync(src), ...sdk);
    if (!force && stamps[name] === stamp && existsSync(outFile)) {
      lines.push(`  up to date  ${relative(ROOT, outFile)}`);
      continue;
    }
    const tmp = `${outFile}.tmp-${process.pid}`;
    let out = '';
    const stream = { write: (s) => ((out += s), true) };
    const t = performance.now();
    const { error } = await asc.main([src, '--outFile', tmp, ...FLAGS], { stdout: stream, stderr: stream });
    if (!error && existsSync(tmp)) {
      renameSync(tmp, outFile);
      stamps[name] = stamp;
      lines.push(`  built       ${relative(ROOT, outFile)}  (${readFileSync(outFile).length} bytes, ${Math.round(performance.now() - t)} ms)`);
    } else {
      failed++;
      delete stamps[name];
      lines.push(`  FAILED      ${relative(ROOT, src)}\n${`${out}${error ? error.message : ''}`.replace(/^/gm, '    ')}`);
    }
  }
  writeFileSync(stampsPath, JSON.stringify(stamps, null, 2) + '\n');
  console.log(`[build-udf] ${relative(ROOT, OUT)} (asc ${ver}, ${Math.round(performance.now() - t0)} ms)\n${lines.join('\n')}`);
  if (failed) console.error(`[build-udf] ${failed} build(s) failed`);
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
