#!/usr/bin/env node
// Entry point for `npm start` and `npx lodestone`: runs the compiled CLI (built by `npm install`).
import { main } from '../dist/src/cli/main.js';
main(process.argv).catch((err) => {
  process.stderr.write(`lodestone: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(1);
});
