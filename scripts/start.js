#!/usr/bin/env node
// Starts JupyterLab from .venv (or the Jupyter on PATH, see CONSENSUS_LAB_JUPYTER in setup.js) on notebooks/ with the tslab TypeScript kernel, and keeps the
// library current with `tsc --watch` while it runs. `npm start` builds first, then runs this.
//
//   npm start                               opens JupyterLab in the browser
//   npm start -- --port 8899 --no-browser   extra arguments go to JupyterLab
//
// Every Jupyter directory (config, data, runtime) is inside the project (.jupyter/, .venv/),
// so nothing in the user's home is needed or changed. Ctrl-C stops JupyterLab, its kernels
// and the compiler.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const setup = require('./setup');

const { root, notebooksDir, tscBin } = setup;
const jupyterPython = setup.jupyterPython();
const posix = process.platform !== 'win32';

function log(text) {
  process.stdout.write(`consensus-lab: ${text}\n`);
}

function die(text) {
  process.stderr.write(`consensus-lab: ${text}\n`);
  process.exit(1);
}

if (!setup.jupyterReady()) {
  die(setup.jupyterMode() === 'venv'
    ? 'JupyterLab is not installed in .venv yet. Run `npm install` first.'
    : `JupyterLab is not importable by ${jupyterPython} (CONSENSUS_LAB_JUPYTER=${setup.jupyterMode()}: the Jupyter on PATH).`);
}
if (!setup.kernelReady()) die('the tslab kernel is not registered (or node_modules/tslab is missing). Run `npm install` first.');
if (!fs.existsSync(tscBin)) die('TypeScript is not installed. Run `npm install` first.');
fs.mkdirSync(notebooksDir, { recursive: true });

const env = setup.jupyterEnv();
const children = new Set();
let stopping = null;
let killTimer = null;
let labExited = false;

function track(child, name) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.on('error', (err) => {
    children.delete(child);
    process.stderr.write(`consensus-lab: could not start ${name}: ${err.message}\n`);
  });
  return child;
}

// The compiler, in watch mode: lib/ changes land in dist/lib, which notebooks import as
// `consensus-lab`. Its output is prefixed so that it stands apart from Jupyter's log.
const tsc = track(
  spawn(process.execPath, [tscBin, '-p', path.join(root, 'tsconfig.json'), '--watch', '--preserveWatchOutput'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: posix,
  }),
  'tsc --watch',
);
for (const stream of [tsc.stdout, tsc.stderr]) {
  readline.createInterface({ input: stream }).on('line', (line) => {
    if (line.trim()) process.stdout.write(`[tsc] ${line}\n`);
  });
}
tsc.on('exit', (code, signal) => {
  if (!stopping && !labExited) log(`tsc --watch stopped (${signal || `exit code ${code}`}); lib/ changes are no longer compiled`);
});

// JupyterLab, in its own process group with no terminal on stdin, so that a terminal's
// Ctrl-C reaches it only through us (see stop()) and never as a "Shutdown this Jupyter
// server (y/[n])?" prompt. New notebooks get the TypeScript kernel by default.
const labArgs = [
  '-m', 'jupyterlab',
  `--ServerApp.root_dir=${notebooksDir}`,
  '--MappingKernelManager.default_kernel_name=tslab',
];
if (posix && process.getuid && process.getuid() === 0) {
  // JupyterLab refuses to run as root without this (containers, CI machines).
  labArgs.push('--ServerApp.allow_root=True');
}
labArgs.push(...process.argv.slice(2));
const lab = track(
  spawn(jupyterPython, labArgs, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'], detached: posix }),
  'JupyterLab',
);
log(`JupyterLab is starting on notebooks/ (kernel: TypeScript, tslab); tsc --watch recompiles lib/ on save.`);
log('after changing lib/, restart the notebook kernel (Kernel > Restart Kernel) to load the new code.');
log('press Ctrl-C to stop.');

function stop(signal) {
  const now = Date.now();
  if (stopping && now - stopping.at < 1000) return; // npm and the terminal may both send one
  if (stopping) {
    log('stopping now');
    for (const child of children) child.kill('SIGKILL');
    return;
  }
  stopping = { at: now, signal };
  log(`stopping JupyterLab and tsc (${signal})`);
  tsc.kill('SIGTERM');
  // SIGTERM for every stop signal: on SIGINT without a terminal JupyterLab leaves its loop
  // without shutting its kernels down (orphaned tslab processes); on SIGTERM it shuts them
  // down first.
  lab.kill('SIGTERM');
  killTimer = setTimeout(() => {
    log('JupyterLab did not stop within 20 s; killing it');
    for (const child of children) child.kill('SIGKILL');
  }, 20_000);
  killTimer.unref();
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));

// Under `npm start`, a SIGTERM sent to npm kills the `sh -c` between npm and us without
// passing it on; notice that our parent is gone and stop too, instead of living on orphaned.
if (process.env.npm_lifecycle_event === 'start') {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('SIGHUP');
  }, 1000).unref();
}

lab.on('error', () => {
  tsc.kill('SIGTERM');
  process.exitCode = 1;
});
lab.on('exit', (code, signal) => {
  labExited = true;
  if (!stopping) tsc.kill('SIGTERM');
  const status = stopping ? 0 : code === null ? 1 : code;
  if (!stopping && status !== 0) log(`JupyterLab exited (${signal || `exit code ${code}`})`);
  process.exitCode = status;
  if (killTimer) clearTimeout(killTimer);
});
process.on('exit', () => {
  for (const child of children) {
    try {
      child.kill('SIGTERM');
    } catch {
      /* already gone */
    }
  }
});
