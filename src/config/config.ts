// Loading and holding configuration: config.toml (parsed with smol-toml, a maintained TOML 1.0
// parser) flattened to `name → value`, validated against the parameter table (schema.ts), then
// overridden by CLI flags. Unknown or ill-typed keys stop startup with a message naming the key.
// At run time CONFIG GET/SET read and write the same `Config` object; listeners react to changes.

import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { checkTomlValue, formatParam, PARAM_BY_NAME, PARAMS, ParamValue, parseParam } from './schema.js';
import { fileConflict } from './paths.js';

export class ConfigError extends Error {}

export class Config {
  private readonly values = new Map<string, ParamValue>();
  private readonly listeners = new Map<string, ((v: ParamValue) => void)[]>();
  /**
   * Parameters read on every command (dispatch's slow log, latency tracking), mirrored in plain
   * fields by set() so the hot path does not look them up by name.
   */
  readonly hot = { slowlogSlowerThan: 0, slowlogMaxLen: 0, latencyTracking: false };
  /** The file the configuration came from (INFO server config_file). */
  file = '';

  constructor() {
    for (const s of PARAMS) this.set(s.name, s.default);
  }

  get(name: string): ParamValue {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`unknown config parameter ${name}`);
    return v;
  }

  getInt(name: string): number {
    return this.get(name) as number;
  }

  getString(name: string): string {
    return this.get(name) as string;
  }

  getBool(name: string): boolean {
    return this.get(name) as boolean;
  }

  /** Set from text (CLI flag, CONFIG SET). Throws ConfigError naming the parameter. */
  setText(name: string, raw: string, atRuntime = false): void {
    const spec = PARAM_BY_NAME.get(name.toLowerCase());
    if (!spec) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (atRuntime && !spec.mutable) throw new ConfigError(`can't set immutable config '${spec.name}'`);
    let v: ParamValue;
    try {
      v = parseParam(spec, raw, this.get(spec.name));
    } catch (e) {
      throw new ConfigError(`Invalid argument '${raw}' for CONFIG SET '${spec.name}' - ${(e as Error).message}`);
    }
    this.set(spec.name, v);
  }

  set(name: string, v: ParamValue): void {
    this.values.set(name, v);
    if (name === 'slowlog-log-slower-than') this.hot.slowlogSlowerThan = v as number;
    else if (name === 'slowlog-max-len') this.hot.slowlogMaxLen = v as number;
    else if (name === 'latency-tracking') this.hot.latencyTracking = v as boolean;
    for (const fn of this.listeners.get(name) ?? []) fn(v);
  }

  /** Run `fn` whenever `name` changes (CONFIG SET). */
  onChange(name: string, fn: (v: ParamValue) => void): void {
    const l = this.listeners.get(name) ?? [];
    l.push(fn);
    this.listeners.set(name, l);
  }

  format(name: string): string {
    return formatParam(PARAM_BY_NAME.get(name)!, this.get(name));
  }

  /** Load a TOML document (text) over the defaults. */
  loadToml(text: string, file: string): void {
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(text) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`${file}: invalid TOML: ${(e as Error).message.split('\n')[0]}`);
    }
    const flat: [string, unknown][] = [];
    const walk = (obj: Record<string, unknown>, prefix: string) => {
      for (const [k, v] of Object.entries(obj)) {
        const name = prefix + k;
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
          if (!PARAMS.some((s) => s.name.startsWith(name + '.'))) {
            throw new ConfigError(`${file}: unknown section [${name}]`);
          }
          walk(v as Record<string, unknown>, name + '.');
        } else {
          flat.push([name, v]);
        }
      }
    };
    walk(doc, '');
    for (const [name, v] of flat) {
      const spec = PARAM_BY_NAME.get(name);
      if (!spec) throw new ConfigError(`${file}: unknown configuration key '${name}'`);
      try {
        this.set(name, checkTomlValue(spec, v, this.get(name)));
      } catch (e) {
        throw new ConfigError(`${file}: bad value for '${name}': ${(e as Error).message}`);
      }
    }
    this.file = file;
  }

  /**
   * The rules that involve several parameters (src/config/paths.ts): dbfilename, appendfilename and
   * the other files must be different files. Run once the whole configuration is read (startup).
   */
  checkFiles(): void {
    const c = fileConflict((n) => this.values.get(n), this.file);
    if (c) throw new ConfigError(`bad value for '${c[0]}': ${c[1]}`);
  }

  loadFile(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
    }
    this.loadToml(text, path);
  }

  /** Names matching a glob (CONFIG GET pattern). */
  names(): string[] {
    return PARAMS.map((s) => s.name);
  }
}
