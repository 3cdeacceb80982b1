#!/usr/bin/env node
// The npm registry this project is built from serves only the Linux builds of Biome's platform packages, so
// `npm install` leaves the other platforms out of package-lock.json and `npm ci` then refuses the lock as out of
// sync. This records each missing platform package as an optional, platform-restricted entry (never fetched on a
// non-matching machine). Run it after every `npm install` that rewrites the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = 'package-lock.json';
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  if (!key.endsWith('node_modules/@biomejs/biome')) continue;
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    if (lock.packages[target]) continue;
    const match = /cli-([a-z0-9]+)-([a-z0-9]+?)(-musl)?$/.exec(name);
    if (!match) continue;
    lock.packages[target] = {
      version: entry.version,
      dev: true,
      optional: true,
      os: [match[1]],
      cpu: [match[2]],
      ...(match[3] ? { libc: ['musl'] } : {}),
      license: entry.license,
    };
    added++;
  }
}
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} platform entries added`);
