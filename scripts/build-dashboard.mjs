#!/usr/bin/env node
// Bundles the dashboard (dashboard/src, Preact + uPlot) with esbuild into <outDir>/dashboard: app.js, app.css and
// index.html, served by the admin API from memory. Everything is local: no CDN, works offline.
// Usage: node scripts/build-dashboard.mjs [outDir]   (default: dist)
import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const outDir = resolve(process.argv[2] ?? 'dist', 'dashboard');
await mkdir(outDir, { recursive: true });
await build({
  entryPoints: { app: 'dashboard/src/main.tsx' },
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  outdir: outDir,
  logLevel: 'warning',
});
await copyFile('dashboard/index.html', join(outDir, 'index.html'));
