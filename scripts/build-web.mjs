#!/usr/bin/env node
// Builds the web UI (web/ -> web/dist) with Vite's JS API.
//   node scripts/build-web.mjs             always build
//   node scripts/build-web.mjs --if-stale  skip when web/dist/index.html is newer than every
//                                          file in web/src, web/index.html, web/vite.config.ts
// Run by `npm install` (postinstall) and `npm start`. On a production install without dev
// dependencies (no vite) it keeps an existing dist and exits 0.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const webDir = path.join(repo, 'web');
// VOLTLINE_WEB_DIST builds into another folder (parallel work sessions; the server reads the same variable)
const outDir = process.env.VOLTLINE_WEB_DIST ? path.resolve(process.env.VOLTLINE_WEB_DIST) : path.join(webDir, 'dist');
const distIndex = path.join(outDir, 'index.html');
const configFile = path.join(webDir, 'vite.config.ts');
const ifStale = process.argv.includes('--if-stale');

function newestMtime(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const name of fs.readdirSync(p)) max = Math.max(max, newestMtime(path.join(p, name)));
  return max;
}

function isStale() {
  if (!fs.existsSync(distIndex)) return true;
  const built = fs.statSync(distIndex).mtimeMs;
  const sources = Math.max(
    newestMtime(path.join(webDir, 'src')),
    newestMtime(path.join(webDir, 'index.html')),
    newestMtime(configFile),
  );
  return sources > built;
}

if (!fs.existsSync(path.join(webDir, 'index.html'))) {
  console.log('build-web: no web/index.html, nothing to build');
  process.exit(0);
}

if (ifStale && !isStale()) {
  console.log('build-web: web/dist is up to date, skipping the UI build');
  process.exit(0);
}

let vite;
try {
  vite = await import('vite');
  await import('@vitejs/plugin-react');
} catch (e) {
  const code = /** @type {{code?: string}} */ (e).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw e;
  if (fs.existsSync(distIndex)) {
    console.log('build-web: note: vite is not installed (production install?); using the existing web/dist');
    process.exit(0);
  }
  console.error('build-web: vite is not installed and web/dist does not exist: install dev dependencies (npm install) to build the UI');
  process.exit(1);
}

const started = Date.now();
console.log(`build-web: building the UI (web/ -> ${path.relative(repo, outDir) || outDir}) ...`);
try {
  await vite.build({ configFile, logLevel: process.env.BUILD_WEB_LOG_LEVEL || 'warn', build: { outDir, emptyOutDir: true } });
} catch (e) {
  console.error('build-web: UI build failed:', /** @type {Error} */ (e).message);
  process.exit(1);
}
console.log(`build-web: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
