#!/usr/bin/env node
// Compiles lib/, exercises/, solutions/, test/ and scripts/ into dist/ (incremental, so a
// build with nothing changed takes about a second), then links the compiled library as the
// package `consensus-lab` so that notebooks can `import { ... } from 'consensus-lab'`.
//
// tslab compiles a notebook with its rootDir set to the notebook's folder, so a notebook
// cannot import ../lib/*.ts; it can import compiled JavaScript with its .d.ts through a
// package name, resolved the Node 10 way: node_modules/consensus-lab -> dist/lib.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const quiet = process.argv.includes('--quiet');

function log(text) {
  if (!quiet) process.stderr.write(text + '\n');
}

const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!fs.existsSync(tsc)) {
  process.stderr.write('consensus-lab: TypeScript is not installed here. Run `npm install` first.\n');
  process.exit(1);
}
const started = Date.now();
// tsc's incremental build trusts dist/.tsbuildinfo: if compiled files were deleted by hand, it
// would not write them again. Forget the build info when any source lacks its output.
const buildInfo = path.join(root, 'dist', '.tsbuildinfo');
if (fs.existsSync(buildInfo) && missingOutputs()) fs.rmSync(buildInfo);

function missingOutputs() {
  const walk = (dir) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (walk(relative)) return true;
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        if (!fs.existsSync(path.join(root, 'dist', relative.replace(/\.ts$/, '.js')))) return true;
      }
    }
    return false;
  };
  return ['lib', 'exercises', 'solutions', 'test', 'scripts'].some((dir) => fs.existsSync(path.join(root, dir)) && walk(dir));
}

const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) {
  process.stderr.write('consensus-lab: the TypeScript build failed (see the errors above).\n');
  process.exit(result.status || 1);
}

// Each compiled top-level folder becomes a package for the notebooks:
// consensus-lab (the library), consensus-lab-exercises and consensus-lab-solutions.
const packages = [
  { name: 'consensus-lab', dir: 'lib' },
  { name: 'consensus-lab-exercises', dir: 'exercises' },
  { name: 'consensus-lab-solutions', dir: 'solutions' },
];
for (const { name, dir } of packages) {
  const target = path.join(root, 'dist', dir);
  if (!fs.existsSync(target)) continue;
  const manifest = { name, version: '0.0.0', private: true, main: 'index.js', types: 'index.d.ts' };
  fs.writeFileSync(path.join(target, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  const link = path.join(root, 'node_modules', name);
  let current = null;
  try {
    current = fs.readlinkSync(link);
  } catch {
    current = null;
  }
  const relative = path.relative(path.dirname(link), target);
  if (current !== relative) {
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(relative, link, 'dir');
  }
}
log(`consensus-lab: built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
