import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file of the dashboard bundle, held in memory: a handful of files, read once at start. */
export interface DashboardAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** Where `npm run build` puts the bundle: `<outDir>/dashboard/`, next to `<outDir>/src/`. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));

const FILES = ['index.html', 'app.js', 'app.css'];
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The dashboard bundle by URL path (`/dashboard/`, `/dashboard/app.js`, …), or null when it was not built
 * (a type-check-only build): the admin API works without it.
 */
export async function loadDashboardAssets(dir: string): Promise<ReadonlyMap<string, DashboardAsset> | null> {
  const assets = new Map<string, DashboardAsset>();
  for (const file of FILES) {
    let body: Buffer;
    try {
      body = await readFile(join(dir, file));
    } catch {
      return null;
    }
    const asset = { body, contentType: TYPES[extname(file)] ?? 'application/octet-stream' };
    assets.set(`/dashboard/${file}`, asset);
    if (file === 'index.html') assets.set('/dashboard/', asset);
  }
  return assets;
}
