// The ACL command (Redis 7.0): SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT GENPASS LOG SAVE LOAD
// DRYRUN HELP, with Redis's reply shapes and error texts. The users, rules and checks live in
// src/acl/acl.ts; this file only parses arguments and renders replies.

import { Acl, AclRuleError, ACL_OK, DENIED_CHANNEL, DENIED_CMD, DENIED_KEY, hasSpaces, mergeSelectorArgs } from '../acl/acl.js';
import { ACL_CATEGORIES } from './docs.js';
import { DoubleReply, MapReply, OK, Reply, ReplyError, SetReply, Status } from '../protocol/reply.js';
import { resolve } from '../server/dispatch.js';
import type { CommandFlag, CommandSpec, Context } from './table.js';

const ADMIN: CommandFlag[] = ['admin', 'noscript', 'loading', 'stale'];
const PLAIN: CommandFlag[] = ['noscript', 'loading', 'stale'];

const sub = (
  name: string,
  arity: number,
  flags: CommandFlag[],
  summary: string,
  complexity: string,
  syntax: string | undefined,
  handler: (ctx: Context, args: string[]) => Reply,
  since = '6.0.0',
): CommandSpec => ({
  name,
  arity,
  flags,
  keys: [0, 0, 0],
  group: 'server',
  summary,
  since,
  complexity,
  syntax,
  handler,
});

const ERR_NO_ACLFILE = new ReplyError(
  'ERR',
  'This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.',
);

const HELP = [
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
  'HELP',
  '    Prints this help.',
];

function selectorFields(s: import('../acl/acl.js').Selector): Reply[] {
  return ['commands', s.describeCommands(), 'keys', s.describeKeys(), 'channels', s.describeChannels()];
}

function parseLong(s: string): number | null {
  if (!/^-?\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

function aclFile(ctx: Context): string {
  return ctx.server.config.getString('aclfile');
}

export const aclCommands: CommandSpec[] = [
  {
    name: 'acl',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    group: 'server',
    summary: 'A container for Access List Control commands',
    since: '6.0.0',
    complexity: 'Depends on subcommand.',
    subcommands: [
      sub('setuser', -3, ADMIN, 'Modify or create the rules for a specific ACL user', 'O(N). Where N is the number of rules provided.', 'username [rule [rule ...]]', (ctx, args) => {
        // Redis redacts every argument after the subcommand (passwords, and the rest with them).
        ctx.client.redactFrom(2, args.length);
        const name = args[2];
        if (hasSpaces(name)) return new ReplyError('ERR', "Usernames can't contain spaces or null characters");
        const merged = mergeSelectorArgs(args.slice(3));
        if (!merged.ok) return new ReplyError('ERR', `Unmatched parenthesis in acl selector starting at '${args[3 + merged.at]}'.`);
        const acl = ctx.server.acl;
        const before = acl.users.get(name);
        const err = acl.setUser(name, merged.args);
        if (err) return new ReplyError('ERR', err);
        if (before) ctx.server.aclUserChanged(before);
        return OK;
      }),
      sub('getuser', 3, ADMIN, 'Get the rules for a specific ACL user', 'O(N). Where N is the number of password, command and pattern rules that the user has.', 'username', (ctx, args) => {
        const u = ctx.server.acl.users.get(args[2]);
        if (!u) return null; // Redis 7.0.15 answers a null bulk for an unknown user
        const sels: Reply[] = u.selectors.slice(1).map((s) => new MapReply(selectorFields(s)));
        return new MapReply([
          'flags', new SetReply(u.flagWords()),
          'passwords', u.passwords.slice(),
          ...selectorFields(u.root),
          'selectors', sels,
        ]);
      }),
      sub('deluser', -3, ADMIN, 'Remove the specified ACL users and the associated rules', 'O(1) amortized time considering the typical user.', 'username [username ...]', (ctx, args) => {
        for (let j = 2; j < args.length; j++) {
          if (args[j] === 'default') return new ReplyError('ERR', "The 'default' user cannot be removed");
        }
        let deleted = 0;
        const acl = ctx.server.acl;
        for (let j = 2; j < args.length; j++) {
          const u = acl.users.get(args[j]);
          if (!u) continue;
          acl.users.delete(args[j]);
          ctx.server.aclUserDeleted(u, ctx.client);
          deleted++;
        }
        return deleted;
      }),
      sub('list', 2, ADMIN, 'List the current ACL rules in ACL config file format', 'O(N). Where N is the number of configured users.', undefined, (ctx) =>
        ctx.server.acl.sortedUsers().map((u) => `user ${u.name} ${u.describe()}`),
      ),
      sub('users', 2, ADMIN, 'List the username of all the configured ACL rules', 'O(N). Where N is the number of configured users.', undefined, (ctx) =>
        ctx.server.acl.sortedUsers().map((u) => u.name),
      ),
      sub('whoami', 2, PLAIN, 'Return the name of the user associated to the current connection', 'O(1)', undefined, (ctx) => ctx.client.user.name),
      sub('cat', -2, PLAIN, 'List the ACL categories or the commands inside a category', 'O(1) since the categories and commands are a fixed set.', '[categoryname]', (ctx, args) => {
        if (args.length > 3) return subcommandSyntaxError(args);
        if (args.length === 2) return ACL_CATEGORIES.slice();
        const reg = ctx.server.acl.reg;
        const bit = reg.categoryBit(args[2]);
        if (!bit) return new ReplyError('ERR', `Unknown category '${args[2].slice(0, 128)}'`);
        const out: string[] = [];
        for (const c of reg.list) if (c.cats & bit) out.push(c.fullName);
        return out;
      }),
      sub('genpass', -2, PLAIN, 'Generate a pseudorandom secure password to use for ACL users', 'O(1)', '[bits]', (ctx, args) => {
        if (args.length > 3) return subcommandSyntaxError(args);
        let bits = 256;
        if (args.length === 3) {
          const n = parseLong(args[2]);
          if (n === null) return new ReplyError('ERR', 'value is not an integer or out of range');
          bits = n;
        }
        if (bits <= 0 || bits > 4096) {
          return new ReplyError('ERR', 'ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096');
        }
        return ctx.server.acl.genpass(bits);
      }),
      sub('log', -2, ADMIN, 'List latest events denied because of ACLs in place', 'O(N) with N being the number of entries shown.', '[count | RESET]', (ctx, args) => {
        if (args.length > 3) return subcommandSyntaxError(args);
        const acl = ctx.server.acl;
        let count = 10;
        if (args.length === 3) {
          if (args[2].toLowerCase() === 'reset') {
            acl.log = [];
            return OK;
          }
          const n = parseLong(args[2]);
          if (n === null) return new ReplyError('ERR', 'value is not an integer or out of range');
          count = Math.max(0, n);
        }
        const now = Date.now();
        return acl.log.slice(0, count).map(
          (e) =>
            new MapReply([
              'count', e.count,
              'reason', e.reason,
              'context', e.context,
              'object', e.object,
              'username', e.username,
              'age-seconds', new DoubleReply((now - e.ctime) / 1000),
              'client-info', e.cinfo,
            ]),
        );
      }),
      sub('save', 2, ADMIN, 'Save the current ACL rules in the configured ACL file', 'O(N). Where N is the number of configured users.', undefined, (ctx) => {
        const file = aclFile(ctx);
        if (file === '') return ERR_NO_ACLFILE;
        try {
          ctx.server.acl.saveFile(ctx.server.aclPath());
        } catch (e) {
          ctx.server.log.warn({ err: (e as Error).message }, 'Writing ACL file for ACL SAVE failed');
          return new ReplyError('ERR', 'There was an error trying to save the ACLs. Please check the server logs for more information');
        }
        return OK;
      }),
      sub('load', 2, ADMIN, 'Reload the ACLs from the configured ACL file', 'O(N). Where N is the number of configured users.', undefined, (ctx) => {
        if (aclFile(ctx) === '') return ERR_NO_ACLFILE;
        try {
          ctx.server.aclLoad();
        } catch (e) {
          if (e instanceof AclRuleError) return new ReplyError('ERR', e.message);
          throw e;
        }
        return OK;
      }),
      sub('dryrun', -4, ADMIN, 'Returns whether the user can execute the given command without executing the command.', 'O(1).', 'username command [arg [arg ...]]', (ctx, args) => {
        const acl: Acl = ctx.server.acl;
        const u = acl.users.get(args[2]);
        if (!u) return new ReplyError('ERR', `User '${args[2]}' not found`);
        const argv = args.slice(3);
        const cmd = resolve(ctx.server, argv);
        if (cmd instanceof ReplyError) return new ReplyError('ERR', `Command '${args[3]}' not found`);
        const a = acl.reg.ofCall(cmd, argv);
        const pos = { i: 0 };
        const r = u.check(a, argv, pos);
        if (r === ACL_OK) return OK;
        if (r === DENIED_CMD) return `This user has no permissions to run the '${a.fullName}' command`;
        if (r === DENIED_KEY) return `This user has no permissions to access the '${argv[pos.i]}' key`;
        if (r === DENIED_CHANNEL) return `This user has no permissions to access the '${argv[pos.i]}' channel`;
        return OK;
      }, '7.0.0'),
      sub('help', 2, ['loading', 'stale'], 'Show helpful text about the different subcommands', 'O(1)', undefined, () => [
        new Status('ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:'),
        ...HELP.map((l) => new Status(l)),
      ]),
    ],
  },
];

/** addReplySubcommandSyntaxError. */
function subcommandSyntaxError(args: string[]): ReplyError {
  return new ReplyError('ERR', `unknown subcommand or wrong number of arguments for '${args[1].slice(0, 128)}'. Try ACL HELP.`);
}
