#!/usr/bin/env node
// Build every example UDF into wasm-examples/build/ (ignored by git):
//
//   examples/*.ts   AssemblyScript, with the asc API (in worker threads, one per CPU)
//   wat/*.wat       WAT, with wabt (npm `wabt`)
//   c/*.c           C (SDK: c/lodestone.h), with clang --target=wasm32 + wasm-ld -> build/c_<name>.wasm
//   rust/examples/*.rs  Rust (SDK crate: rust/lodestone, no dependencies), with rustc for
//                   wasm32-unknown-unknown (/usr/bin/rustc first: Debian's rustc with
//                   libstd-rust-dev-wasm32; no cargo, no registry) -> build/rust_<name>.wasm
//   C and Rust are built only when their toolchain can target wasm32; otherwise they are listed as
//   skipped, with the reason.
//
//   node wasm-examples/build.mjs [--force] [--runtime incremental|minimal|stub] [--out DIR] [name ...]
//
// Fast on a re-run: each output is rebuilt only when its inputs (the source, the SDK, the compiler
// version, the flags) changed — a content hash is kept in build/.stamps.json. Exits non-zero if an
// AssemblyScript or WAT build fails, or a C / Rust build fails with a working toolchain; a missing
// toolchain is only a note. If the AssemblyScript/wabt
// devDependencies are absent (npm install --omit=dev) it prints a note and exits 0, so it is safe
// in postinstall.

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The runtime chosen for the examples (see README.md, "Runtime choice"). */
export const DEFAULT_RUNTIME = 'incremental';

function ascFlags(runtime) {
  return ['--optimize', '--exportRuntime', '--runtime', runtime];
}

// ------------------------------------------------------------------------------------------------
// Worker: compile AssemblyScript files with the asc API.

if (!isMainThread) {
  const asc = await import('assemblyscript/asc');
  parentPort.on('message', async (job) => {
    if (job === null) return process.exit(0);
    let out = '';
    const stream = { write: (s) => ((out += s), true) };
    const t0 = performance.now();
    const { error } = await asc.main([job.src, '--outFile', job.tmp, ...ascFlags(job.runtime)], { stdout: stream, stderr: stream });
    parentPort.postMessage({ name: job.name, ok: !error, out: error ? out.trim() || error.message : out, ms: performance.now() - t0 });
  });
} else {
  process.exitCode = await main(process.argv.slice(2));
}

// ------------------------------------------------------------------------------------------------

function which(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

/** Whether a package is installed (devDependencies are absent after npm install --omit=dev). */
function installed(pkg) {
  try {
    import.meta.resolve(pkg);
    return true;
  } catch {
    return existsSync(join(HERE, '..', 'node_modules', pkg.split('/')[0], 'package.json'));
  }
}

function sha(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

function pkgVersion(name) {
  try {
    return JSON.parse(readFileSync(join(HERE, '..', 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

function listDir(dir, ext) {
  const d = join(HERE, dir);
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => ({ name: basename(f, ext), src: join(d, f) }));
}

/** Write atomically, so a killed build never leaves a truncated .wasm behind. */
function writeOut(path, bytes) {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

async function main(argv) {
  const opts = { force: false, runtime: DEFAULT_RUNTIME, out: join(HERE, 'build'), only: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') opts.force = true;
    else if (a === '--runtime') opts.runtime = argv[++i];
    else if (a === '--out') opts.out = argv[++i];
    else if (a === '-h' || a === '--help') {
      console.log('usage: node wasm-examples/build.mjs [--force] [--runtime incremental|minimal|stub] [--out DIR] [name ...]');
      return 0;
    } else opts.only.push(a);
  }
  const t0 = performance.now();
  const want = (n) => opts.only.length === 0 || opts.only.includes(n);
  mkdirSync(opts.out, { recursive: true });
  const stampsPath = join(opts.out, '.stamps.json');
  let stamps = {};
  try {
    stamps = JSON.parse(readFileSync(stampsPath, 'utf8'));
  } catch {
    /* first build */
  }
  const fresh = (name, stamp) => !opts.force && stamps[name] === stamp && existsSync(join(opts.out, `${name}.wasm`));
  const rel = (p) => relative(process.cwd(), p) || '.';
  let failed = 0;
  const lines = [];

  // --- AssemblyScript ---------------------------------------------------------------------------
  const asFiles = listDir('examples', '.ts').filter((f) => want(f.name));
  if (asFiles.length > 0) {
    if (!installed('assemblyscript/asc')) {
      console.log('[wasm-examples] skip AssemblyScript examples: the assemblyscript devDependency is not installed');
    } else {
      const sdk = listDir('sdk', '.ts').map((f) => readFileSync(f.src));
      const ver = pkgVersion('assemblyscript');
      const jobs = [];
      for (const f of asFiles) {
        const stamp = sha('as', ver, ascFlags(opts.runtime).join(' '), readFileSync(f.src), ...sdk);
        const outFile = join(opts.out, `${f.name}.wasm`);
        if (fresh(f.name, stamp)) lines.push(`  up to date  ${rel(outFile)}`);
        else jobs.push({ name: f.name, src: f.src, tmp: `${outFile}.tmp-${process.pid}`, outFile, stamp, runtime: opts.runtime });
      }
      if (jobs.length > 0) {
        const results = await compileAll(jobs);
        for (const j of jobs) {
          const r = results.get(j.name);
          if (r.ok && existsSync(j.tmp)) {
            renameSync(j.tmp, j.outFile);
            stamps[j.name] = j.stamp;
            lines.push(`  built       ${rel(j.outFile)}  (${readFileSync(j.outFile).length} bytes, ${Math.round(r.ms)} ms)`);
          } else {
            failed++;
            delete stamps[j.name];
            lines.push(`  FAILED      ${rel(j.src)}\n${r.out.replace(/^/gm, '    ')}`);
          }
        }
      }
    }
  }

  // --- WAT --------------------------------------------------------------------------------------
  const watFiles = listDir('wat', '.wat').filter((f) => want(f.name));
  if (watFiles.length > 0) {
    if (!installed('wabt')) {
      console.log('[wasm-examples] skip WAT examples: the wabt devDependency is not installed');
    } else {
      let wabt = null;
      const ver = pkgVersion('wabt');
      for (const f of watFiles) {
        const text = readFileSync(f.src, 'utf8');
        const stamp = sha('wat', ver, text);
        const outFile = join(opts.out, `${f.name}.wasm`);
        if (fresh(f.name, stamp)) {
          lines.push(`  up to date  ${rel(outFile)}`);
          continue;
        }
        try {
          wabt ??= await (await import('wabt')).default();
          const mod = wabt.parseWat(basename(f.src), text);
          try {
            mod.validate();
            writeOut(outFile, Buffer.from(mod.toBinary({}).buffer));
          } finally {
            mod.destroy();
          }
          stamps[f.name] = stamp;
          lines.push(`  built       ${rel(outFile)}`);
        } catch (e) {
          failed++;
          delete stamps[f.name];
          lines.push(`  FAILED      ${rel(f.src)}\n    ${String(e.message ?? e).replace(/\n/g, '\n    ')}`);
        }
      }
    }
  }

  // --- C ----------------------------------------------------------------------------------------
  const cFiles = listDir('c', '.c').filter((f) => want(`c_${f.name}`) || want(f.name));
  if (cFiles.length > 0) {
    const cc = cToolchain();
    if (!cc.ok) {
      lines.push(`  skipped     ${cFiles.map((f) => rel(f.src)).join(' ')}: ${cc.why}`);
    } else {
      const cflags = ['--target=wasm32', '-nostdlib', '-O2', '-mbulk-memory', '-Wall', '-Wl,--no-entry', '-Wl,--export-dynamic'];
      const header = readFileSync(join(HERE, 'c', 'lodestone.h'));
      for (const f of cFiles) {
        const name = `c_${f.name}`;
        const stamp = sha('c', cc.version, cflags.join(' '), readFileSync(f.src), header);
        const outFile = join(opts.out, `${name}.wasm`);
        if (fresh(name, stamp)) {
          lines.push(`  up to date  ${rel(outFile)}`);
          continue;
        }
        const tmp = `${outFile}.tmp-${process.pid}`;
        const r = spawnSync('clang', [...cflags, '-o', tmp, f.src], { encoding: 'utf8' });
        if (r.status === 0) {
          renameSync(tmp, outFile);
          stamps[name] = stamp;
          lines.push(`  built       ${rel(outFile)}`);
        } else {
          failed++;
          delete stamps[name];
          lines.push(`  FAILED      ${rel(f.src)}\n    ${(r.stderr || r.error?.message || '').trim().replace(/\n/g, '\n    ')}`);
        }
      }
    }
  }

  // --- Rust -------------------------------------------------------------------------------------
  const rsFiles = listDir(join('rust', 'examples'), '.rs').filter((f) => want(`rust_${f.name}`) || want(f.name));
  if (rsFiles.length > 0) {
    const rs = rustToolchain();
    if (!rs.ok) {
      lines.push(`  skipped     ${rsFiles.map((f) => rel(f.src)).join(' ')}: ${rs.why}`);
    } else {
      const common = ['--edition', '2021', '--target', 'wasm32-unknown-unknown', '-C', 'opt-level=s', '-C', 'panic=abort'];
      const sdkDir = join(HERE, 'rust', 'lodestone', 'src');
      const sdk = readdirSync(sdkDir).sort().map((f) => readFileSync(join(sdkDir, f)));
      const libDir = join(opts.out, 'rust');
      mkdirSync(libDir, { recursive: true });
      const rlib = join(libDir, 'liblodestone.rlib');
      const sdkStamp = sha('rust-sdk', rs.version, common.join(' '), ...sdk);
      let sdkOk = true;
      if (!(stamps['rust:lodestone'] === sdkStamp && existsSync(rlib)) || opts.force) {
        const r = spawnSync(rs.bin, [...common, '--crate-type', 'rlib', '--crate-name', 'lodestone', '-o', rlib, join(sdkDir, 'lib.rs')], { encoding: 'utf8' });
        if (r.status === 0) stamps['rust:lodestone'] = sdkStamp;
        else {
          sdkOk = false;
          failed++;
          delete stamps['rust:lodestone'];
          lines.push(`  FAILED      ${rel(join(sdkDir, 'lib.rs'))}\n    ${(r.stderr || r.error?.message || '').trim().replace(/\n/g, '\n    ')}`);
        }
      }
      for (const f of sdkOk ? rsFiles : []) {
        const name = `rust_${f.name}`;
        const stamp = sha('rust', sdkStamp, readFileSync(f.src));
        const outFile = join(opts.out, `${name}.wasm`);
        if (fresh(name, stamp)) {
          lines.push(`  up to date  ${rel(outFile)}`);
          continue;
        }
        const tmp = `${outFile}.tmp-${process.pid}`;
        const args = [...common, '-C', 'strip=symbols', '--crate-type', 'cdylib', '--crate-name', f.name, '--extern', `lodestone=${rlib}`, '-L', libDir, '-o', tmp, f.src];
        const r = spawnSync(rs.bin, args, { encoding: 'utf8' });
        if (r.status === 0) {
          renameSync(tmp, outFile);
          stamps[name] = stamp;
          lines.push(`  built       ${rel(outFile)}`);
        } else if (/linker `[^`]+` not found/.test(r.stderr ?? '')) {
          // rustc without its wasm linker (Debian's is /usr/bin/rust-lld): a missing toolchain piece.
          delete stamps[name];
          lines.push(`  skipped     ${rel(f.src)}: ${/linker `[^`]+` not found/.exec(r.stderr)[0]} (it comes with rustc: is it on PATH?)`);
        } else {
          failed++;
          delete stamps[name];
          lines.push(`  FAILED      ${rel(f.src)}\n    ${(r.stderr || r.error?.message || '').trim().replace(/\n/g, '\n    ')}`);
        }
      }
    }
  }

  writeOut(stampsPath, JSON.stringify(stamps, null, 2) + '\n');
  console.log(`[wasm-examples] ${rel(opts.out)} (runtime ${opts.runtime}, ${Math.round(performance.now() - t0)} ms)\n${lines.join('\n')}`);
  if (failed > 0) console.error(`[wasm-examples] ${failed} build(s) failed`);
  return failed > 0 ? 1 : 0;
}

/** clang that can build for wasm32 (it has the backend and wasm-ld links), or why not. */
function cToolchain() {
  if (!which('clang') || !which('wasm-ld')) return { ok: false, why: 'clang and wasm-ld are needed (apt-get install clang lld)' };
  const version = spawnSync('clang', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  const targets = spawnSync('clang', ['-print-targets'], { encoding: 'utf8' }).stdout ?? '';
  if (!/wasm32/.test(targets)) return { ok: false, why: 'this clang has no wasm32 target' };
  return { ok: true, version };
}

/**
 * rustc that can build for wasm32-unknown-unknown: Debian's /usr/bin/rustc (with
 * libstd-rust-dev-wasm32) first, then the rustc on PATH; or why not.
 */
function rustToolchain() {
  const candidates = ['/usr/bin/rustc', 'rustc'].filter((b) => (b.startsWith('/') ? existsSync(b) : which(b)));
  if (candidates.length === 0) return { ok: false, why: 'rustc is needed (apt-get install rustc libstd-rust-dev-wasm32)' };
  for (const bin of candidates) {
    const dir = spawnSync(bin, ['--print', 'target-libdir', '--target', 'wasm32-unknown-unknown'], { encoding: 'utf8' });
    const lib = (dir.stdout ?? '').trim();
    if (dir.status === 0 && lib && existsSync(lib) && readdirSync(lib).some((f) => f.startsWith('libstd-'))) {
      return { ok: true, bin, version: spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout ?? '' };
    }
  }
  return { ok: false, why: `no wasm32-unknown-unknown standard library for ${candidates.join(' / ')} (apt-get install libstd-rust-dev-wasm32)` };
}

/** Compile AssemblyScript jobs on up to one worker per CPU. */
async function compileAll(jobs) {
  const results = new Map();
  const n = Math.max(1, Math.min(jobs.length, availableParallelism()));
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: n }, () => {
      const w = new Worker(fileURLToPath(import.meta.url));
      return new Promise((resolve, reject) => {
        const next = () => {
          const j = queue.shift();
          if (!j) {
            w.postMessage(null);
            return;
          }
          w.postMessage(j);
        };
        w.on('message', (r) => {
          results.set(r.name, r);
          next();
        });
        w.on('error', reject);
        w.on('exit', () => resolve());
        next();
      });
    }),
  );
  for (const j of jobs) if (!results.has(j.name)) results.set(j.name, { name: j.name, ok: false, out: 'compiler worker exited', ms: 0 });
  return results;
}

