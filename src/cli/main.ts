// The `lodestone` command line (commander): picks the config file, applies flag overrides and starts
// the server. Like redis-server, every configuration parameter can be given as `--name value`
// (`--appendonly yes --dir /tmp/x`, `--wasm.limits.max_fuel 5000000`); flags override the file.

import { shutdownStarted, startWatchdog } from '../server/watchdog.js';
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config, ConfigError } from '../config/config.js';
import { PARAM_BY_NAME, PARAMS } from '../config/schema.js';
import { createLogger } from '../log.js';
import { Server } from '../server/server.js';
import { PersistenceFatal } from '../persistence/persistence.js';
import { OpenFilesLimitFatal } from '../server/fd-limit.js';
import { LODESTONE_VERSION, REDIS_VERSION } from '../version.js';

/** The embedded default configuration: config.toml at the package's top level. */
export function defaultConfigPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/src/cli → package root; src/cli (tsx/vitest) → package root.
  for (const up of ['../../..', '../..']) {
    const p = resolve(here, up, 'config.toml');
    if (existsSync(p)) return p;
  }
  return resolve(process.cwd(), 'config.toml');
}

/** Split argv into commander's named options and generic `--param value` pairs. */
export function parseArgs(argv: string[]): { file?: string; overrides: [string, string][]; help: boolean; version: boolean } {
  const program = new Command('lodestone')
    .description('A Redis 7 compatible server with WebAssembly user-defined functions')
    .option('-c, --config <file>', 'configuration file (TOML); default: the bundled config.toml')
    .option('-p, --port <n>', 'TCP port (overrides the file)')
    .option('--bind <addr>', 'address(es) to listen on')
    .option('--requirepass <password>', 'require AUTH with this password')
    .option('--loglevel <level>', 'debug | verbose | notice | warning | nothing')
    .addHelpText(
      'after',
      `\nAny configuration parameter may also be given as --<name> <value>, e.g.\n  lodestone --appendonly yes --dir /tmp/x --wasm.limits.max_fuel 5000000\nParameters: ${PARAMS.map((p) => p.name).join(', ')}\n\nA Redis Cluster of one process per core on this host: lodestone cluster start --help`,
    )
    .version(LODESTONE_VERSION, '-v, --version')
    .exitOverride()
    .allowUnknownOption(true)
    .allowExcessArguments(true);
  const named = new Set(['config', 'c', 'port', 'p', 'bind', 'requirepass', 'loglevel']);
  // Collect generic parameters ourselves; commander handles the documented flags and --help.
  const overrides: [string, string][] = [];
  const rest: string[] = [];
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = (eq > 0 ? a.slice(2, eq) : a.slice(2)).toLowerCase();
      if (!named.has(name) && name !== 'help' && name !== 'version') {
        if (!PARAM_BY_NAME.has(name)) throw new ConfigError(`unknown option '--${name}' (not a configuration parameter)`);
        const value = eq > 0 ? a.slice(eq + 1) : args[++i];
        if (value === undefined) throw new ConfigError(`option '--${name}' needs a value`);
        overrides.push([name, value]);
        continue;
      }
    }
    rest.push(a);
  }
  program.parse(rest, { from: 'user' });
  const o = program.opts<{ config?: string; port?: string; bind?: string; requirepass?: string; loglevel?: string }>();
  if (o.port !== undefined) overrides.push(['port', o.port]);
  if (o.bind !== undefined) overrides.push(['bind', o.bind]);
  if (o.requirepass !== undefined) overrides.push(['requirepass', o.requirepass]);
  if (o.loglevel !== undefined) overrides.push(['loglevel', o.loglevel]);
  return { file: o.config, overrides, help: false, version: false };
}

export function buildConfig(argv: string[]): Config {
  const { file, overrides } = parseArgs(argv);
  const config = new Config();
  config.loadFile(file ? resolve(file) : defaultConfigPath());
  for (const [name, value] of overrides) {
    try {
      config.setText(name, value);
    } catch (e) {
      throw new ConfigError(`bad value for --${name}: ${(e as Error).message}`);
    }
  }
  config.checkFiles();
  return config;
}

export async function main(argv: string[]): Promise<void> {
  // `lodestone cluster start|create …` (src/cli/cluster-start.ts), loaded only when asked for.
  if (argv[2] === 'cluster') {
    const { clusterMain } = await import('./cluster-start.js');
    return clusterMain(argv);
  }
  let config: Config;
  try {
    config = buildConfig(argv);
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    if (err.code?.startsWith('commander.')) process.exit(err.exitCode ?? 1);
    process.stderr.write(`lodestone: ${err.message}\n`);
    process.exit(1);
  }
  const log = createLogger(config.getString('loglevel'), config.getString('logfile'));
  const server = new Server({ config, log });
  let port: number;
  // A signal that arrives while the data loads or the port opens stops the process at once (no
  // client has been acknowledged anything yet; Redis exits during loading too) instead of meeting
  // Node's default action, which is death by the signal (exit status 143 instead of 0).
  const early = (): never => process.exit(0);
  process.once('SIGTERM', early);
  process.once('SIGINT', early);
  try {
    port = await server.listen();
  } catch (e) {
    if (e instanceof OpenFilesLimitFatal) {
      log.fatal({ err: e.message }, e.message);
      process.stderr.write(`lodestone: ${e.message}\n`);
    } else if (e instanceof PersistenceFatal) {
      // A corrupt or truncated data file: stop with the reason, never run on part of the data.
      log.fatal({ err: e.message }, 'could not load the data');
      process.stderr.write(`lodestone: could not load the data: ${e.message}\n`);
    } else {
      log.fatal({ err: (e as Error).message }, 'could not start listening');
      process.stderr.write(`lodestone: could not listen: ${(e as Error).message}\n`);
    }
    process.exit(1);
  }
  log.info(
    { version: LODESTONE_VERSION, redis_version: REDIS_VERSION, port, bind: config.getString('bind'), config_file: config.file },
    `Lodestone ${LODESTONE_VERSION} ready to accept connections on port ${port} (config ${config.file})`,
  );
  // SIGTERM/SIGINT shut down like SHUTDOWN without arguments (Redis's prepareForShutdown): the AOF is
  // flushed and fsynced, and a snapshot is written when save rules are configured. When that fails
  // (disk full) the server keeps running, as Redis does, rather than drop data it could still
  // write once the disk recovers; a second signal after a failed attempt exits anyway (code 1).
  let failedAttempts = 0;
  let stopping = false;
  // A master first lets its replicas catch up (shutdown-timeout, as Redis 7 does on SIGTERM); a
  // second signal meanwhile stops waiting.
  let waitingForReplicas = false;
  const stop = (signal: string) => {
    shutdownStarted(); // the watchdog (watchdog.ts) leaves the shutdown to this handler now
    if (stopping) return;
    log.warn({ signal }, `Received ${signal} scheduling shutdown...`);
    if (waitingForReplicas) {
      waitingForReplicas = false;
      finish(signal);
      return;
    }
    if (failedAttempts === 0 && server.replication.replicas.size > 0) {
      waitingForReplicas = true;
      void server.replication.waitForReplicasBeforeShutdown().then(() => {
        if (!waitingForReplicas || stopping) return;
        waitingForReplicas = false;
        finish(signal);
      });
      return;
    }
    finish(signal);
  };
  const finish = (signal: string) => {
    try {
      server.persistence.shutdown(null);
    } catch (err) {
      if (failedAttempts++ === 0) {
        log.error(
          { err: (err as Error).message },
          `Errors trying to shut down the server: ${(err as Error).message}. Still running; send ${signal} again to exit without saving.`,
        );
        if (server.pauseUntil) server.unpause(); // writes paused while waiting for the replicas
        return;
      }
      log.error({ err: (err as Error).message }, 'Exiting without saving (second signal).');
    }
    stopping = true;
    server.onShutdown = null;
    const code = failedAttempts > 0 ? 1 : 0;
    server.close().then(() => process.exit(code));
  };
  server.onShutdown = () => process.exit(0);
  // Signals also reach a watchdog thread, which stops busy scripts and, if the main thread stays
  // stuck, exits anyway (src/server/watchdog.ts).
  startWatchdog();
  process.removeListener('SIGTERM', early);
  process.removeListener('SIGINT', early);
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
