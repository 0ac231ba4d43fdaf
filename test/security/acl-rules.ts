// Seeded random ACL rule lists for the rule-parser fuzz (acl.test.ts) and the differential
// accept/reject comparison with redis-server (acl-diff.test.ts).

/** Random rule strings from the rule vocabulary, with some mutations (seeded). */
export function randomRules(rnd: () => number, n: number): string[][] {
  const atoms = [
    'on', 'off', 'nopass', 'resetpass', 'reset', 'allkeys', 'resetkeys', 'allchannels', 'resetchannels', 'allcommands',
    'nocommands', 'clearselectors', 'sanitize-payload', '>pw', '<pw', '#' + 'a'.repeat(64), '!' + 'b'.repeat(64), '#xyz',
    '~*', '~k*', '%R~r*', '%W~w*', '%RW~x', '%~x', '%X~y', '%', '&*', '&ch*', '&', '~', '+@all', '-@all', '+@read',
    '-@write', '+@nosuch', '+get', '-get', '+GET', '+nosuch', '+config|get', '-config|set', '+config|nosuch', '+select|0',
    '-select|0', '+config|get|x', '+get|x|y', '+', '-', '+@', '(+get ~k*)', '(~x', 'x)', '(on)', '()', '(%R~a +@read)',
    'bogus', 'ON', 'Nopass', '+client|kill', '-client', '+acl|whoami', '+command|docs', '-@dangerous', '+@admin',
  ];
  const out: string[][] = [];
  for (let i = 0; i < n; i++) {
    const k = 1 + Math.floor(rnd() * 5);
    const rules: string[] = [];
    for (let j = 0; j < k; j++) {
      let a = atoms[Math.floor(rnd() * atoms.length)];
      if (rnd() < 0.15) {
        const pos = Math.floor(rnd() * (a.length + 1));
        const ch = String.fromCharCode(32 + Math.floor(rnd() * 95));
        a = a.slice(0, pos) + ch + a.slice(pos);
      }
      rules.push(a);
    }
    out.push(rules);
  }
  return out;
}

