// Redis 7.0 access control lists: users, selectors, the rule language, permission checks and the
// ACL log — a port of Redis 7.0.15's acl.c semantics (error texts, rule order in ACL LIST, key and
// channel checks), so ACL SETUSER rules written for Redis mean the same thing here.
//
// Cost on the hot path: every user keeps `unrestricted` (one root selector with all commands, all
// keys, all channels: the default user out of the box), and dispatch skips the check entirely for
// it. Otherwise each selector holds a Uint8Array indexed by the command's ACL id (Command.aclId,
// assigned once when the server starts), so the command check is one array read; a selector with
// `allkeys` never looks at the keys.
//
// Command ids: every command and subcommand of the table gets one, plus COMMAND's own subcommands
// (COMMAND dispatches them itself, see docSubcommands in src/commands/docs.ts). The last slot is
// Redis's "future commands" bit, set only by +@all / allcommands: it decides whether ACL LIST
// describes a selector starting from +@all or from -@all.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { aclCategories, ACL_CATEGORIES, SelfDispatchingSpec } from '../commands/docs.js';
import { Command, CommandSpec, keyIndexes } from '../commands/table.js';
import { globMatch } from '../util/glob.js';
import { KEY_SPEC_ACCESS } from './key-flags.js';

export const PERM_READ = 1;
export const PERM_WRITE = 2;
const PERM_ALL = 3;

/** Why a check failed (Redis's ACL_DENIED_*; the numeric order is Redis's, used to pick the error). */
export const ACL_OK = 0;
export const DENIED_CMD = 1;
export const DENIED_KEY = 2;
export const DENIED_AUTH = 3;
export const DENIED_CHANNEL = 4;

export type AclLogContext = 'toplevel' | 'multi' | 'lua' | 'module';

/** One command or subcommand as the ACL sees it. */
export interface AclCommand {
  id: number;
  fullName: string;
  /** Bit i set = in ACL_CATEGORIES[i]. */
  cats: number;
  parent: AclCommand | null;
  subs: AclCommand[] | null;
  noAuth: boolean;
  /** Per key spec: the access it needs (key-flags.ts). */
  keyAccess: number[];
  /** Whether the command has key arguments at all. */
  hasKeys: boolean;
  /** Channel arguments: 'publish' (argv[1]), 'subscribe' (all, as patterns), 'psubscribe' (all, literally). */
  channels: '' | 'publish' | 'subscribe' | 'psubscribe';
}

/** Rule parsing failure: Redis's errno, turned into its text by setUserError(). */
class RuleError extends Error {
  constructor(readonly errno: 'EINVAL' | 'ENOENT' | 'EEXIST' | 'EISDIR' | 'ENODEV' | 'EBADMSG' | 'ECHILD' | 'EALREADY') {
    super(errno);
  }
}

const RULE_ERRORS: Record<RuleError['errno'], string> = {
  ENOENT: 'Unknown command or category name in ACL',
  EINVAL: 'Syntax error',
  EEXIST:
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  EISDIR:
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  ENODEV: 'The password you are trying to remove from the user does not exist',
  EBADMSG: 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
  EALREADY: 'Duplicate user found. A user can only be defined once in config files',
  ECHILD: 'Allowing first-arg of a subcommand is not supported',
};

/** Commands whose arguments are channels, by how ACL checks them (SPUBLISH / SSUBSCRIBE like PUBLISH / SUBSCRIBE). */
const CHANNEL_ARGS: Record<string, AclCommand['channels']> = {
  publish: 'publish',
  spublish: 'publish',
  subscribe: 'subscribe',
  ssubscribe: 'subscribe',
  psubscribe: 'psubscribe',
};

export class AclRuleError extends Error {}

/** The command registry: ids, categories, key access, lookup by `name` or `name|sub`. */
export class AclCommands {
  readonly list: AclCommand[] = [];
  readonly byName = new Map<string, AclCommand>();
  /** Subcommands a command dispatches itself (COMMAND DOCS …), by parent id then lowercase name. */
  readonly selfSubs = new Map<number, Map<string, AclCommand>>();
  /** Size of the per-selector command bitmaps: every id plus the future-commands slot. */
  size = 0;
  futureBit = 0;
  /** The table's Command behind each id (null for self-dispatched subcommands): key positions. */
  private readonly cmds: (Command | null)[] = [];

  constructor(commands: Iterable<Command>) {
    for (const c of commands) {
      const top = this.add(c.spec, c.fullName, null, c);
      if (c.sub) {
        top.subs = [];
        for (const s of c.sub.values()) top.subs.push(this.add(s.spec, s.fullName, top, s));
      } else {
        const docSubs = (c.spec as SelfDispatchingSpec).docSubcommands;
        if (docSubs) {
          top.subs = [];
          const m = new Map<string, AclCommand>();
          for (const s of docSubs) {
            const a = this.add(s, `${c.fullName}|${s.name}`, top, null);
            top.subs.push(a);
            m.set(s.name, a);
          }
          this.selfSubs.set(top.id, m);
        }
      }
    }
    this.futureBit = this.list.length;
    this.size = this.list.length + 1;
  }

  private add(spec: CommandSpec, fullName: string, parent: AclCommand | null, cmd: Command | null): AclCommand {
    let cats = 0;
    for (const name of aclCategories(spec, fullName)) cats |= 1 << ACL_CATEGORIES.indexOf(name);
    const a: AclCommand = {
      id: this.list.length,
      fullName,
      cats,
      parent,
      subs: null,
      noAuth: spec.flags.includes('no_auth'),
      keyAccess: KEY_SPEC_ACCESS[fullName] ?? [spec.flags.includes('write') ? PERM_ALL : PERM_READ],
      hasKeys: spec.keys[0] > 0 || spec.getKeys !== undefined,
      channels: CHANNEL_ARGS[fullName] ?? '',
    };
    this.list.push(a);
    this.cmds.push(cmd);
    this.byName.set(fullName, a);
    if (cmd) cmd.aclId = a.id;
    return a;
  }

  /** Redis's ACLLookupCommand: `name` or `container|sub`, case-insensitive; null when unknown. */
  lookup(name: string): AclCommand | null {
    const l = name.toLowerCase();
    const bar = l.indexOf('|');
    if (bar < 0) return this.byName.get(l) ?? null;
    const base = this.byName.get(l.slice(0, bar));
    if (!base || !base.subs || l.indexOf('|', bar + 1) >= 0) return null;
    return this.byName.get(l) ?? null;
  }

  /** The ACL command of a call: the resolved command, or COMMAND's self-dispatched subcommand. */
  ofCall(cmd: Command, args: string[]): AclCommand {
    const a = this.list[cmd.aclId];
    if (args.length > 1) {
      const m = this.selfSubs.get(a.id);
      if (m) return m.get(args[1].toLowerCase()) ?? a;
    }
    return a;
  }

  /** Key argument indexes of a call, from the command table's key positions. */
  keysOf(c: AclCommand, args: string[]): number[] {
    const cmd = this.cmds[c.id] ?? (c.parent ? this.cmds[c.parent.id] : null);
    return cmd ? keyIndexes(cmd, args) : [];
  }

  categoryBit(name: string): number {
    const i = ACL_CATEGORIES.indexOf(name.toLowerCase());
    return i < 0 ? 0 : 1 << i;
  }
}

interface KeyPattern {
  pattern: string;
  flags: number;
}

export class Selector {
  allowed: Uint8Array;
  allCommands = false;
  allKeys = false;
  allChannels = false;
  patterns: KeyPattern[] = [];
  channels: string[] = [];
  /** First arguments allowed for an otherwise denied command (+select|0), by command id. */
  firstArgs: Map<number, string[]> | null = null;

  constructor(
    readonly reg: AclCommands,
    readonly root: boolean,
  ) {
    this.allowed = new Uint8Array(reg.size);
  }

  copy(): Selector {
    const s = new Selector(this.reg, this.root);
    s.allowed = this.allowed.slice();
    s.allCommands = this.allCommands;
    s.allKeys = this.allKeys;
    s.allChannels = this.allChannels;
    s.patterns = this.patterns.map((p) => ({ ...p }));
    s.channels = this.channels.slice();
    if (this.firstArgs) s.firstArgs = new Map([...this.firstArgs].map(([k, v]) => [k, v.slice()]));
    return s;
  }

  private setBit(id: number, v: boolean): void {
    this.allowed[id] = v ? 1 : 0;
    if (!v) this.allCommands = false;
  }

  /** ACLChangeSelectorPerm: a command and, for a container, all its subcommands. */
  private changePerm(c: AclCommand, allow: boolean): void {
    this.setBit(c.id, allow);
    this.firstArgs?.delete(c.id);
    if (c.subs) for (const s of c.subs) this.setBit(s.id, allow);
  }

  private changeCategory(bit: number, allow: boolean): void {
    for (const c of this.reg.list) if (c.cats & bit) this.changePerm(c, allow);
  }

  /** ACLSetSelector: one rule that applies to a selector. */
  apply(op: string): void {
    const l = op.toLowerCase();
    if (l === 'allkeys' || op === '~*') {
      this.allKeys = true;
      this.patterns = [];
    } else if (l === 'resetkeys') {
      this.allKeys = false;
      this.patterns = [];
    } else if (l === 'allchannels' || op === '&*') {
      this.allChannels = true;
      this.channels = [];
    } else if (l === 'resetchannels') {
      this.allChannels = false;
      this.channels = [];
    } else if (l === 'allcommands' || l === '+@all') {
      this.allowed.fill(1);
      this.allCommands = true;
      this.firstArgs = null;
    } else if (l === 'nocommands' || l === '-@all') {
      this.allowed.fill(0);
      this.allCommands = false;
      this.firstArgs = null;
    } else if (op[0] === '~' || op[0] === '%') {
      if (this.allKeys) throw new RuleError('EEXIST');
      let flags = 0;
      let offset = 1;
      if (op[0] === '%') {
        for (; offset < op.length; offset++) {
          const ch = op[offset].toUpperCase();
          if (ch === 'R' && !(flags & PERM_READ)) flags |= PERM_READ;
          else if (ch === 'W' && !(flags & PERM_WRITE)) flags |= PERM_WRITE;
          else if (op[offset] === '~') {
            offset++;
            break;
          } else throw new RuleError('EINVAL');
        }
        if (flags === 0) throw new RuleError('EINVAL');
      } else flags = PERM_ALL;
      const pat = op.slice(offset);
      if (hasSpaces(pat)) throw new RuleError('EINVAL');
      const have = this.patterns.find((p) => p.pattern === pat);
      if (have) have.flags |= flags;
      else this.patterns.push({ pattern: pat, flags });
      this.allKeys = false;
    } else if (op[0] === '&') {
      if (this.allChannels) throw new RuleError('EISDIR');
      const pat = op.slice(1);
      if (hasSpaces(pat)) throw new RuleError('EINVAL');
      if (!this.channels.includes(pat)) this.channels.push(pat);
      this.allChannels = false;
    } else if (op[0] === '+' && op[1] !== '@') {
      const bar = op.lastIndexOf('|');
      if (bar < 0) {
        const c = this.reg.lookup(op.slice(1));
        if (!c) throw new RuleError('ENOENT');
        this.changePerm(c, true);
      } else {
        const c = this.reg.lookup(op.slice(1, bar));
        if (!c) throw new RuleError('ENOENT');
        if (c.parent) throw new RuleError('ECHILD');
        const sub = op.slice(bar + 1);
        if (sub.length === 0) throw new RuleError('EINVAL');
        if (c.subs) {
          const s = this.reg.lookup(op.slice(1));
          if (!s) throw new RuleError('ENOENT');
          this.changePerm(s, true);
        } else {
          this.firstArgs ??= new Map();
          const list = this.firstArgs.get(c.id) ?? [];
          if (!list.some((x) => x.toLowerCase() === sub.toLowerCase())) list.push(sub);
          this.firstArgs.set(c.id, list);
        }
      }
    } else if (op[0] === '-' && op[1] !== '@') {
      const c = this.reg.lookup(op.slice(1));
      if (!c) throw new RuleError('ENOENT');
      this.changePerm(c, false);
    } else if ((op[0] === '+' || op[0] === '-') && op[1] === '@') {
      const bit = this.reg.categoryBit(op.slice(2));
      if (!bit) throw new RuleError('ENOENT');
      this.changeCategory(bit, op[0] === '+');
    } else {
      throw new RuleError('EINVAL');
    }
  }

  // ---- Checks -----------------------------------------------------------------------------------

  /** ACLSelectorCheckKey. */
  checkKey(key: string, need: number): boolean {
    if (this.allKeys) return true;
    for (const p of this.patterns) {
      if ((p.flags & need) !== need) continue;
      if (globMatch(p.pattern, key)) return true;
    }
    return false;
  }

  checkChannel(channel: string, literal: boolean): boolean {
    if (this.allChannels) return true;
    for (const p of this.channels) {
      if (literal ? p === channel : globMatch(p, channel)) return true;
    }
    return false;
  }

  /** ACLSelectorCheckCmd: ACL_OK or DENIED_*, with the offending argument index in `pos.i`. */
  checkCmd(c: AclCommand, args: string[], keys: number[] | null, pos: { i: number }): number {
    if (!this.allCommands && !c.noAuth && this.allowed[c.id] === 0) {
      const fa = this.firstArgs?.get(c.id);
      if (!fa || args.length < 2) return DENIED_CMD;
      const a = args[c.parent ? 2 : 1];
      if (a === undefined || !fa.some((x) => x.toLowerCase() === a.toLowerCase())) return DENIED_CMD;
    }
    if (!this.allKeys && c.hasKeys && keys) {
      const specs = c.keyAccess;
      for (let j = 0; j < keys.length; j++) {
        let si = j < specs.length ? j : specs.length - 1;
        if (specs.length > keys.length && j === keys.length - 1 && j > 0) si = specs.length - 1;
        // SET's key spec has VARIABLE_FLAGS: it reads the key only with GET (setGetKeys).
        const need = c.fullName === 'set' && !setHasGet(args) ? PERM_WRITE : specs[si];
        if (!this.checkKey(args[keys[j]], need)) {
          pos.i = keys[j];
          return DENIED_KEY;
        }
      }
    }
    if (!this.allChannels && c.channels !== '') {
      const end = c.channels === 'publish' ? 2 : args.length;
      const literal = c.channels === 'psubscribe';
      for (let j = 1; j < end; j++) {
        if (!this.checkChannel(args[j], literal)) {
          pos.i = j;
          return DENIED_CHANNEL;
        }
      }
    }
    return ACL_OK;
  }

  // ---- Description (ACL LIST / GETUSER) -----------------------------------------------------------

  private countCategory(bit: number, allowed: Uint8Array): [number, number] {
    let on = 0;
    let off = 0;
    for (const c of this.reg.list) {
      if (c.cats & bit) {
        if (allowed[c.id]) on++;
        else off++;
      }
    }
    return [on, off];
  }

  /** ACLDescribeSelectorCommandRules: +@all/-@all, best-fit categories, then single commands. */
  describeCommands(): string {
    const reg = this.reg;
    const additive = this.allowed[reg.futureBit] === 0;
    const rules: string[] = [additive ? '-@all' : '+@all'];
    const fake = new Selector(reg, false);
    fake.apply(additive ? '-@all' : '+@all');
    const temp = this.allowed.slice();
    const applied = new Set<number>();
    for (;;) {
      let best = -1;
      let mindiff = Number.MAX_SAFE_INTEGER;
      let maxsame = 0;
      for (let j = 0; j < ACL_CATEGORIES.length; j++) {
        if (applied.has(j)) continue;
        const [on, off] = this.countCategory(1 << j, temp);
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < mindiff || (diff === mindiff && same > maxsame))) {
          best = j;
          mindiff = diff;
          maxsame = same;
        }
      }
      if (best === -1) break;
      const bit = 1 << best;
      fake.changeCategory(bit, additive);
      for (const c of reg.list) {
        if (c.cats & bit) {
          temp[c.id] = additive ? 0 : 1;
          if (c.subs) for (const s of c.subs) temp[s.id] = additive ? 0 : 1;
        }
      }
      rules.push(`${additive ? '+' : '-'}@${ACL_CATEGORIES[best]}`);
      applied.add(best);
    }
    const single = (list: AclCommand[]) => {
      for (const c of list) {
        const u = this.allowed[c.id];
        if (u !== fake.allowed[c.id]) {
          rules.push(`${u ? '+' : '-'}${c.fullName}`);
          fake.changePerm(c, u === 1);
        }
        if (c.subs) single(c.subs);
        const fa = u === 0 ? this.firstArgs?.get(c.id) : undefined;
        if (fa) for (const a of fa) rules.push(`+${c.fullName}|${a}`);
      }
    };
    single(reg.list.filter((c) => c.parent === null));
    return rules.join(' ');
  }

  patternString(p: KeyPattern): string {
    return (p.flags === PERM_ALL ? '~' : p.flags === PERM_READ ? '%R~' : '%W~') + p.pattern;
  }

  describeKeys(): string {
    return this.allKeys ? '~*' : this.patterns.map((p) => this.patternString(p)).join(' ');
  }

  describeChannels(): string {
    return this.allChannels ? '&*' : this.channels.map((c) => `&${c}`).join(' ');
  }

  /** ACLDescribeSelector: keys, channels, commands as one rule string. */
  describe(): string {
    let s = '';
    if (this.allKeys) s += '~* ';
    else for (const p of this.patterns) s += this.patternString(p) + ' ';
    if (this.allChannels) s += '&* ';
    else {
      s += 'resetchannels ';
      for (const c of this.channels) s += `&${c} `;
    }
    return s + this.describeCommands();
  }
}

export class AclUser {
  enabled = false;
  nopass = false;
  /** '' | 'sanitize-payload' | 'skip-sanitize-payload' (accepted and shown; payloads are not sanitized differently). */
  sanitize = '';
  passwords: string[] = [];
  selectors: Selector[];
  /** One root selector allowing every command, key and channel: dispatch skips the check. */
  unrestricted = false;

  constructor(
    readonly name: string,
    readonly reg: AclCommands,
    private readonly pubsubDefault: () => boolean,
  ) {
    const root = new Selector(reg, true);
    root.allChannels = pubsubDefault();
    this.selectors = [root];
    this.refresh();
  }

  get root(): Selector {
    return this.selectors[0];
  }

  copyFrom(o: AclUser): void {
    this.enabled = o.enabled;
    this.nopass = o.nopass;
    this.sanitize = o.sanitize;
    this.passwords = o.passwords.slice();
    this.selectors = o.selectors.map((s) => s.copy());
    this.refresh();
  }

  refresh(): void {
    const r = this.selectors[0];
    this.unrestricted = this.selectors.length === 1 && r.allCommands && r.allKeys && r.allChannels;
  }

  /** ACLSetUser: one rule. Throws RuleError. */
  apply(op: string): void {
    if (op.length === 0) return;
    const l = op.toLowerCase();
    if (l === 'on') this.enabled = true;
    else if (l === 'off') this.enabled = false;
    else if (l === 'skip-sanitize-payload') this.sanitize = 'skip-sanitize-payload';
    else if (l === 'sanitize-payload') this.sanitize = 'sanitize-payload';
    else if (l === 'nopass') {
      this.nopass = true;
      this.passwords = [];
    } else if (l === 'resetpass') {
      this.nopass = false;
      this.passwords = [];
    } else if (op[0] === '>' || op[0] === '#') {
      let h: string;
      if (op[0] === '>') h = hashPassword(op.slice(1));
      else {
        h = op.slice(1);
        if (!validHash(h)) throw new RuleError('EBADMSG');
      }
      if (!this.passwords.includes(h)) this.passwords.push(h);
      this.nopass = false;
    } else if (op[0] === '<' || op[0] === '!') {
      let h: string;
      if (op[0] === '<') h = hashPassword(op.slice(1));
      else {
        h = op.slice(1);
        if (!validHash(h)) throw new RuleError('EBADMSG');
      }
      const i = this.passwords.indexOf(h);
      if (i < 0) throw new RuleError('ENODEV');
      this.passwords.splice(i, 1);
    } else if (op[0] === '(' && op[op.length - 1] === ')') {
      const s = new Selector(this.reg, false);
      s.allChannels = this.pubsubDefault();
      for (const part of splitArgs(op.slice(1, -1))) s.apply(part);
      this.selectors.push(s);
    } else if (l === 'clearselectors') {
      this.selectors.length = 1;
    } else if (l === 'reset') {
      this.apply('resetpass');
      this.apply('resetkeys');
      this.apply('resetchannels');
      if (this.pubsubDefault()) this.apply('allchannels');
      this.apply('off');
      this.apply('sanitize-payload');
      this.apply('clearselectors');
      this.apply('-@all');
    } else {
      this.root.apply(op);
    }
    this.refresh();
  }

  flagWords(): string[] {
    const f: string[] = [this.enabled ? 'on' : 'off'];
    if (this.nopass) f.push('nopass');
    if (this.sanitize === 'skip-sanitize-payload') f.push('skip-sanitize-payload');
    if (this.sanitize === 'sanitize-payload') f.push('sanitize-payload');
    return f;
  }

  /** ACLDescribeUser: the rule string ACL LIST and ACL SAVE write. */
  describe(): string {
    let s = '';
    for (const f of this.flagWords()) s += f + ' ';
    for (const p of this.passwords) s += `#${p} `;
    for (const sel of this.selectors) s += sel.root ? sel.describe() : ` (${sel.describe()})`;
    return s;
  }

  /** Whether `pass` authenticates as this user (ACLCheckUserCredentials, without the disabled test). */
  passwordMatches(pass: string): boolean {
    if (this.nopass) return true;
    const h = Buffer.from(hashPassword(pass), 'latin1');
    let ok = false;
    for (const p of this.passwords) if (timingSafeEqual(h, Buffer.from(p, 'latin1'))) ok = true;
    return ok;
  }

  /** ACLCheckAllUserCommandPerm: ACL_OK or the most relevant denial, the argument index in `pos.i`. */
  check(c: AclCommand, args: string[], pos: { i: number }): number {
    let relevant = DENIED_CMD;
    let lastIdx = 0;
    let keys: number[] | null = null;
    const local = { i: 0 };
    for (const s of this.selectors) {
      if (keys === null && c.hasKeys && !s.allKeys) keys = this.reg.keysOf(c, args);
      const r = s.checkCmd(c, args, keys, local);
      if (r === ACL_OK) return ACL_OK;
      if (r > relevant || (r === relevant && local.i > lastIdx)) {
        relevant = r;
        lastIdx = local.i;
      }
    }
    pos.i = lastIdx;
    return relevant;
  }

  /** ACLUserCheckKeyPerm (WASM get_key, and functions reading a key directly). */
  checkKey(key: string, need: number): boolean {
    for (const s of this.selectors) if (s.checkKey(key, need)) return true;
    return false;
  }
}


export interface AclLogEntry {
  count: number;
  reason: 'command' | 'key' | 'channel' | 'auth';
  context: AclLogContext;
  object: string;
  username: string;
  ctime: number;
  cinfo: string;
}

const REASONS: Record<number, AclLogEntry['reason']> = {
  [DENIED_CMD]: 'command',
  [DENIED_KEY]: 'key',
  [DENIED_CHANNEL]: 'channel',
  [DENIED_AUTH]: 'auth',
};

/** All users, the default user, the ACL log. One per server. */
export class Acl {
  readonly reg: AclCommands;
  readonly users = new Map<string, AclUser>();
  readonly defaultUser: AclUser;
  log: AclLogEntry[] = [];
  logMaxLen = 128;
  pubsubAllDefault = false;

  constructor(commands: Iterable<Command>) {
    const all = [...commands];
    this.reg = new AclCommands(all);
    this.defaultUser = this.createDefault();
    this.users.set('default', this.defaultUser);
  }

  newUser(name: string): AclUser {
    return new AclUser(name, this.reg, () => this.pubsubAllDefault);
  }

  private createDefault(): AclUser {
    const u = this.newUser('default');
    for (const r of ['+@all', '~*', '&*', 'on', 'nopass']) u.apply(r);
    return u;
  }

  /** requirepass: the default user's only password, or nopass when empty (ACLUpdateDefaultUserPassword). */
  setDefaultPassword(pass: string): void {
    this.defaultUser.apply('resetpass');
    if (pass !== '') this.defaultUser.apply('>' + pass);
    else this.defaultUser.apply('nopass');
  }

  /** The error text of a failed rule. */
  static ruleErrorText(e: unknown): string {
    if (e instanceof RuleError) return RULE_ERRORS[e.errno];
    return 'Wrong format';
  }

  /**
   * ACL SETUSER semantics: rules (selectors already merged) applied to a copy of the user, committed
   * only when all are valid. Returns the error text or null.
   */
  setUser(name: string, rules: string[]): string | null {
    const existing = this.users.get(name);
    const temp = this.newUser(name);
    if (existing) temp.copyFrom(existing);
    for (const r of rules) {
      try {
        temp.apply(r);
      } catch (e) {
        return `Error in ACL SETUSER modifier '${r}': ${Acl.ruleErrorText(e)}`;
      }
    }
    if (existing) existing.copyFrom(temp);
    else this.users.set(name, temp);
    return null;
  }

  /** Users in name order (Redis keeps them in a radix tree, byte order). */
  sortedUsers(): AclUser[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Authenticate: the user, or null (the caller logs the failure). */
  authenticate(name: string, pass: string): AclUser | null {
    const u = this.users.get(name);
    if (!u || !u.enabled) return null;
    return u.passwordMatches(pass) ? u : null;
  }

  /** addACLLogEntry: group with a similar entry of the last 10 within 60 s, else add (bounded). */
  addLog(reason: number, context: AclLogContext, object: string, username: string, cinfo: string): void {
    const now = Date.now();
    const r = REASONS[reason] ?? 'command';
    const scan = Math.min(10, this.log.length);
    for (let i = 0; i < scan; i++) {
      const e = this.log[i];
      if (e.reason === r && e.context === context && Math.abs(e.ctime - now) <= 60000 && e.object === object && e.username === username) {
        e.count++;
        e.ctime = now;
        e.cinfo = cinfo;
        this.log.splice(i, 1);
        this.log.unshift(e);
        return;
      }
    }
    this.log.unshift({ count: 1, reason: r, context, object, username, ctime: now, cinfo });
    if (this.log.length > this.logMaxLen) this.log.length = Math.max(0, this.logMaxLen);
  }

  /** Parse an ACL file's text into user lines; throws AclRuleError with Redis's joined message. */
  parseFile(text: string, file: string): Map<string, AclUser> {
    const lines = text.split('\n');
    let errors = '';
    const users = new Map<string, AclUser>();
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      if (line === '') continue;
      const argv = line.split(' ').filter((w) => w !== '');
      if (argv.length === 0) continue;
      const n = i + 1;
      if (argv[0] !== 'user' || argv.length < 2) {
        errors += `${file}:${n} should start with user keyword followed by the username. `;
        continue;
      }
      if (hasSpaces(argv[1])) {
        errors += `'${file}:${n}: username '${argv[1]}' contains invalid characters. `;
        continue;
      }
      if (users.has(argv[1])) {
        errors += `WARNING: Duplicate user '${argv[1]}' found on line ${n}. `;
        continue;
      }
      const u = this.newUser(argv[1]);
      users.set(argv[1], u);
      const merged = mergeSelectorArgs(argv.slice(2));
      if (!merged.ok) {
        errors += `${file}:${n}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      for (const r of merged.args) {
        try {
          u.apply(r);
        } catch (e) {
          errors += `${file}:${n}: ${Acl.ruleErrorText(e)}. `;
        }
      }
    }
    if (errors !== '') {
      throw new AclRuleError(errors + 'WARNING: ACL errors detected, no change to the previously active ACL rules was performed');
    }
    return users;
  }

  /** Replace every user by `users` (ACL LOAD); the default user object is kept (clients reference it). */
  replaceUsers(users: Map<string, AclUser>): AclUser[] {
    const removed: AclUser[] = [];
    for (const u of this.users.values()) if (u !== this.defaultUser) removed.push(u);
    const nd = users.get('default') ?? this.createDefault();
    this.defaultUser.copyFrom(nd);
    this.users.clear();
    this.users.set('default', this.defaultUser);
    for (const [name, u] of users) if (name !== 'default') this.users.set(name, u);
    return removed;
  }

  loadFile(path: string): Map<string, AclUser> {
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (e) {
      throw new AclRuleError(`Error loading ACLs, opening file '${path}': ${strerror(e)}`);
    }
    return this.parseFile(text, path);
  }

  /** ACL SAVE: every user as a `user` line, written to a temp file and renamed over the target. */
  saveFile(path: string): void {
    let out = '';
    for (const u of this.sortedUsers()) out += `user ${u.name} ${u.describe()}\n`;
    const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      writeFileSync(tmp, out, { encoding: 'latin1', mode: 0o644 });
      renameSync(tmp, path);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
      throw e;
    }
  }

  genpass(bits: number): string {
    const chars = Math.floor((bits + 3) / 4);
    return randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars);
  }
}

function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'EISDIR') return 'Is a directory';
  return (e as Error).message;
}

function setHasGet(args: string[]): boolean {
  for (let i = 3; i < args.length; i++) if (args[i].length === 3 && args[i].toLowerCase() === 'get') return true;
  return false;
}

export function hashPassword(p: string): string {
  return createHash('sha256').update(p, 'latin1').digest('hex');
}

function validHash(h: string): boolean {
  return /^[0-9a-f]{64}$/.test(h);
}

/** ACLStringHasSpaces: isspace() or NUL. */
export function hasSpaces(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c === 32 || (c >= 9 && c <= 13)) return true;
  }
  return false;
}

/**
 * ACLMergeSelectorArguments: a selector may be spread over several arguments (`(~x` `+get)`).
 * Returns the merged rules, or the index of the argument whose `(` is never closed.
 */
export function mergeSelectorArgs(argv: string[]): { ok: true; args: string[] } | { ok: false; at: number } {
  const out: string[] = [];
  let open = -1;
  let sel = '';
  for (let j = 0; j < argv.length; j++) {
    const op = argv[j];
    if (op[0] === '(' && op[op.length - 1] !== ')') {
      sel = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      sel += ' ' + op;
      if (op[op.length - 1] === ')') {
        open = -1;
        out.push(sel);
      }
      continue;
    }
    out.push(op);
  }
  if (open !== -1) return { ok: false, at: open };
  return { ok: true, args: out };
}

/** sdssplitargs for selector bodies: words split on whitespace, "…" and '…' quoting. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    let cur = '';
    if (s[i] === '"' || s[i] === "'") {
      const q = s[i++];
      while (i < s.length && s[i] !== q) {
        if (q === '"' && s[i] === '\\' && i + 1 < s.length) i++;
        cur += s[i++];
      }
      if (i >= s.length) throw new RuleError('EINVAL');
      i++;
    } else {
      while (i < s.length && !/\s/.test(s[i])) cur += s[i++];
    }
    out.push(cur);
  }
  return out;
}
