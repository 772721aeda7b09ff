#!/usr/bin/env node
// Executes notebooks headless with the tslab TypeScript kernel (nbclient, from .venv or the
// Jupyter on PATH when CONSENSUS_LAB_JUPYTER says so, see setup.js), in
// order, a fresh kernel per notebook, and fails on any cell error, `error` output or stderr
// output. `npm run test:notebooks` builds first and then runs this.
//
//   node scripts/run-notebooks.js [options] [notebook ...]
//
//   notebook            a path, or a name in notebooks/ (`01-intro`, `01-intro.ipynb`);
//                       default: every notebooks/*.ipynb, sorted by name
//   --cell-timeout S    seconds one cell may run (default 120)
//   --write             save the outputs back into the notebook files (only for notebooks
//                       that pass; a failing one is saved to out/notebooks/ instead)
//   --out DIR           where executed copies go (default out/notebooks)
//
// Prints one line per notebook (time, ok/FAILED), the failing cell's number and error text,
// and `N passed, M failed`. Exit code 0 only if every notebook passed.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const setup = require('./setup');

const { root, notebooksDir } = setup;

function usage(code) {
  const text = fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 17);
  process.stdout.write(text.map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(code);
}

function die(message) {
  process.stderr.write(`run-notebooks: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { cellTimeout: 120, write: false, out: path.join(root, 'out', 'notebooks'), notebooks: [] };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value = null;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = () => {
      if (value !== null) return value;
      if (i + 1 >= argv.length) die(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--help' || arg === '-h') usage(0);
    else if (arg === '--write') options.write = true;
    else if (arg === '--cell-timeout') {
      const n = Number(next());
      if (!Number.isInteger(n) || n <= 0) die('--cell-timeout takes a whole number of seconds > 0');
      options.cellTimeout = n;
    } else if (arg === '--out') options.out = path.resolve(next());
    else if (arg.startsWith('-')) die(`unknown option ${arg} (see --help)`);
    else options.notebooks.push(arg);
  }
  return options;
}

function resolveNotebook(name) {
  const candidates = [
    path.resolve(name),
    path.join(notebooksDir, name),
    path.join(notebooksDir, `${name}.ipynb`),
  ];
  const found = candidates.find((p) => p.endsWith('.ipynb') && fs.existsSync(p) && fs.statSync(p).isFile());
  if (!found) die(`notebook not found: ${name}`);
  return found;
}

function allNotebooks() {
  if (!fs.existsSync(notebooksDir)) return [];
  return fs
    .readdirSync(notebooksDir)
    .filter((f) => f.endsWith('.ipynb'))
    .sort()
    .map((f) => path.join(notebooksDir, f));
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const notebooks = options.notebooks.length ? options.notebooks.map(resolveNotebook) : allNotebooks();
  if (notebooks.length === 0) {
    process.stdout.write('run-notebooks: no notebooks in notebooks/\n0 passed, 0 failed\n');
    return;
  }
  const python = setup.jupyterPython();
  if (!setup.jupyterReady()) {
    die(setup.jupyterMode() === 'venv'
      ? 'Jupyter is not installed in .venv (nbclient and jupyterlab must import). Run `npm install` first.'
      : `${python} cannot import nbclient and jupyterlab (CONSENSUS_LAB_JUPYTER=${setup.jupyterMode()}: the Jupyter on PATH).`);
  }
  if (!setup.kernelReady()) die('the tslab kernel is not registered (or node_modules/tslab is missing). Run `npm install` first.');
  if (!fs.existsSync(path.join(root, 'node_modules', 'consensus-lab', 'index.js'))) {
    die('the library is not built (node_modules/consensus-lab). Run `npm run build` first.');
  }

  const args = [
    path.join(__dirname, 'run_notebook.py'),
    '--cell-timeout', String(options.cellTimeout),
    '--out-dir', options.out,
    '--root', root,
    '--kernel', 'tslab',
    ...(options.write ? ['--write'] : []),
    ...notebooks,
  ];
  const child = spawn(python, args, {
    cwd: root,
    env: { ...setup.jupyterEnv(), PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'inherit', 'inherit'],
    // Its own process group: a terminal's Ctrl-C reaches only us, and we forward it once.
    detached: process.platform !== 'win32',
  });
  let signalled = null;
  const forward = (signal) => {
    if (signalled) {
      child.kill('SIGKILL');
      return;
    }
    signalled = signal;
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  };
  process.on('SIGINT', () => forward('SIGINT'));
  process.on('SIGTERM', () => forward('SIGTERM'));
  child.on('error', (err) => die(`could not start ${python}: ${err.message}`));
  child.on('exit', (code, signal) => {
    if (signalled) process.exit(130);
    if (signal) die(`the notebook runner was killed by ${signal}`);
    process.exit(code === null ? 1 : code);
  });
}

main();
