#!/usr/bin/env node
// Sets up everything `npm install` cannot: runs the TypeScript build, creates the project's
// own Python venv (.venv) with Jupyter in it, and registers the tslab TypeScript kernel inside
// that venv. Run by `npm install` / `npm ci` as the postinstall script; safe to run again
// (a second run with nothing to do takes a couple of seconds).
//
//   node scripts/setup.js
//
// Environment:
//   PYTHON=/path/to/python3          the interpreter to build .venv from (default: python3)
//   CONSENSUS_LAB_SKIP_PYTHON=1      build only; no venv, no Jupyter (unit tests still run)
//   CONSENSUS_LAB_JUPYTER=MODE       where the TypeScript kernel goes (default: venv):
//     venv        the project's own .venv with JupyterLab from requirements.txt (a laptop)
//     sys-prefix  no .venv: register the kernel with the Jupyter on PATH, in its environment
//                 (`jupyter kernelspec install --sys-prefix`: a Binder image, a hub's conda env)
//     user        no .venv: the Jupyter on PATH, in the user's own kernels (~/.local/share/jupyter)
//     system      no .venv: the Jupyter on PATH, for every user (/usr/local/share/jupyter; as root)
//   A mode other than venv is remembered in .consensus-lab-jupyter, so that `npm start` and
//   `npm run test:notebooks` use the same Jupyter later; CONSENSUS_LAB_JUPYTER=venv forgets it.
//
// start.js and run-notebooks.js require this file for the paths and the Jupyter environment,
// so nothing here runs on require; only `node scripts/setup.js` does the work.
//
// Plain CommonJS and Node built-ins only: it runs right after npm has installed packages.
'use strict';
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const isWindows = process.platform === 'win32';
const venvDir = path.join(root, '.venv');
const venvBin = path.join(venvDir, isWindows ? 'Scripts' : 'bin');
const venvPython = path.join(venvBin, isWindows ? 'python.exe' : 'python');
const requirementsFile = path.join(root, 'requirements.txt');
const stampFile = path.join(venvDir, '.consensus-lab-requirements');
const pipLogFile = path.join(venvDir, 'pip-install.log');
const tslabBin = path.join(root, 'node_modules', 'tslab', 'bin', 'tslab');
const tscBin = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const kernelDir = path.join(venvDir, 'share', 'jupyter', 'kernels', 'tslab');
const jupyterHome = path.join(root, '.jupyter');
const notebooksDir = path.join(root, 'notebooks');
const MIN_PYTHON = [3, 10]; // jupyterlab 4.6 requires Python >= 3.10
const modeFile = path.join(root, '.consensus-lab-jupyter');
/** The `jupyter kernelspec install` flags of each mode that uses the Jupyter on PATH. */
const kernelspecFlags = { 'sys-prefix': ['--sys-prefix'], user: ['--user'], system: [] };

function log(text) {
  process.stdout.write(`consensus-lab: ${text}\n`);
}

function fail(lines, code = 1) {
  const text = [].concat(lines).map((l) => (l ? `consensus-lab: ${l}` : ''));
  process.stderr.write(['', ...text, ''].join('\n'));
  process.exit(code);
}

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/**
 * Where Jupyter lives: 'venv' (the project's .venv, the default) or a mode that uses the
 * Jupyter on PATH ('sys-prefix', 'user', 'system'). CONSENSUS_LAB_JUPYTER wins, then the mode
 * setup.js remembered in .consensus-lab-jupyter.
 */
function jupyterMode(env = process.env) {
  let value = (env.CONSENSUS_LAB_JUPYTER || '').trim();
  if (!value) {
    try {
      value = fs.readFileSync(modeFile, 'utf8').trim();
    } catch {
      value = 'venv';
    }
  }
  if (value !== 'venv' && !Object.prototype.hasOwnProperty.call(kernelspecFlags, value)) {
    fail(`CONSENSUS_LAB_JUPYTER must be venv, sys-prefix, user or system, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The Python that runs Jupyter: .venv's, or (other modes) $PYTHON or python3 on PATH. */
function jupyterPython() {
  if (jupyterMode() === 'venv') return venvPython;
  return process.env.PYTHON || (isWindows ? 'python' : 'python3');
}

/** True when the Python that runs Jupyter can import what run-notebooks.js and start.js need. */
function jupyterReady() {
  if (jupyterMode() === 'venv') return venvReady();
  return runPython(jupyterPython(), ['-c', 'import nbclient, jupyterlab']).ok;
}

/** Environment for any Jupyter process: every Jupyter directory inside the project. */
function jupyterEnv(base = process.env) {
  const env = { ...base };
  if (jupyterMode(base) !== 'venv') {
    // The Jupyter on PATH, with its own directories (a Binder image, a hub's environment).
    env.PATH = [path.join(root, 'node_modules', '.bin'), env.PATH || ''].join(path.delimiter);
    return env;
  }
  env.JUPYTER_CONFIG_DIR = path.join(jupyterHome, 'config');
  env.JUPYTER_DATA_DIR = path.join(jupyterHome, 'data');
  env.JUPYTER_RUNTIME_DIR = path.join(jupyterHome, 'runtime');
  env.JUPYTER_PATH = path.join(venvDir, 'share', 'jupyter');
  env.JUPYTER_PLATFORM_DIRS = '1';
  env.IPYTHONDIR = path.join(jupyterHome, 'ipython');
  env.VIRTUAL_ENV = venvDir;
  delete env.PYTHONHOME;
  const extra = [venvBin, path.join(root, 'node_modules', '.bin')];
  env.PATH = [...extra, env.PATH || ''].join(path.delimiter);
  for (const key of ['JUPYTER_CONFIG_DIR', 'JUPYTER_DATA_DIR', 'JUPYTER_RUNTIME_DIR', 'IPYTHONDIR']) {
    fs.mkdirSync(env[key], { recursive: true });
  }
  return env;
}

/** The kernel spec for tslab, with absolute paths (no `tslab` on PATH needed). */
function kernelSpec() {
  return {
    argv: [process.execPath, tslabBin, 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript',
    language: 'typescript',
    metadata: { 'consensus-lab': 'written by scripts/setup.js; rerun `npm install` if node moves' },
  };
}

/**
 * Writes .venv/share/jupyter/kernels/tslab/kernel.json if it is missing or stale (for
 * example after node moved). Returns true if tslab is installed and the spec is in place.
 */
function writeKernelSpec() {
  if (!fs.existsSync(tslabBin)) return false;
  const file = path.join(kernelDir, 'kernel.json');
  const text = JSON.stringify(kernelSpec(), null, 2) + '\n';
  let current = null;
  try {
    current = fs.readFileSync(file, 'utf8');
  } catch {
    current = null;
  }
  if (current !== text) {
    fs.mkdirSync(kernelDir, { recursive: true });
    fs.writeFileSync(file, text);
  }
  return true;
}

/** The kernel specs the Jupyter on PATH knows, by name (`jupyter kernelspec list --json`). */
function pathKernelSpecs() {
  const r = runPython('jupyter', ['kernelspec', 'list', '--json']);
  if (!r.ok) return null;
  try {
    return JSON.parse(r.out).kernelspecs || {};
  } catch {
    return null;
  }
}

/**
 * Registers the tslab kernel with the Jupyter on PATH (`jupyter kernelspec install` with the
 * mode's flag), replacing an older spec of the same name. Returns the folder it went to.
 */
function installKernelWithPathJupyter(mode) {
  if (!fs.existsSync(tslabBin)) {
    fail('node_modules/tslab is missing (dev dependencies not installed?); cannot register the TypeScript kernel.');
  }
  const version = runPython('jupyter', ['--version']);
  if (version.missing || !version.ok) {
    fail([
      `CONSENSUS_LAB_JUPYTER=${mode} registers the kernel with the Jupyter on PATH, but \`jupyter\` ${version.missing ? 'is not on PATH' : `does not run (${version.err.split('\n').pop()})`}.`,
      'Activate the environment that holds JupyterLab first, or leave CONSENSUS_LAB_JUPYTER unset for a project-local .venv.',
    ]);
  }
  const staging = fs.mkdtempSync(path.join(require('os').tmpdir(), 'consensus-lab-kernel-'));
  try {
    const specDir = path.join(staging, 'tslab');
    fs.mkdirSync(specDir);
    fs.writeFileSync(path.join(specDir, 'kernel.json'), JSON.stringify(kernelSpec(), null, 2) + '\n');
    const args = ['kernelspec', 'install', '--replace', '--name', 'tslab', ...kernelspecFlags[mode], specDir];
    const r = runPython('jupyter', args);
    if (!r.ok) fail([`\`jupyter ${args.join(' ')}\` failed:`, ...r.err.split('\n').slice(-10).map((l) => `  | ${l}`)]);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  const specs = pathKernelSpecs();
  const installed = specs && specs.tslab ? specs.tslab.resource_dir : null;
  if (!installed) fail('`jupyter kernelspec list` does not show the tslab kernel just installed (another JUPYTER_PATH?).');
  return installed;
}

/** True when the kernel is where the current mode's Jupyter looks (writing .venv's spec if needed). */
function kernelReady() {
  if (jupyterMode() === 'venv') return writeKernelSpec();
  const specs = pathKernelSpecs();
  return Boolean(specs && specs.tslab);
}

/** Runs a Python interpreter on a snippet; returns { ok, out, err, missing }. */
function runPython(command, args, options = {}) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
    ...options,
  });
  if (result.error) {
    return { ok: false, out: '', err: String(result.error.message), missing: result.error.code === 'ENOENT' };
  }
  return { ok: result.status === 0, out: result.stdout.trim(), err: result.stderr.trim(), missing: false };
}

/** Is .venv a working venv with pip? Returns its Python version or null. */
function venvPythonVersion() {
  if (!fs.existsSync(venvPython)) return null;
  const r = runPython(venvPython, ['-c', "import sys, pip; print('%d.%d.%d' % sys.version_info[:3])"]);
  return r.ok ? r.out : null;
}

/** True when .venv holds what run-notebooks.js and start.js need. */
function venvReady() {
  if (!fs.existsSync(venvPython)) return false;
  return runPython(venvPython, ['-c', 'import nbclient, jupyterlab']).ok;
}

const pythonHelp = [
  'Jupyter runs from a project-local Python venv (.venv), which needs Python 3.10 or newer',
  'with the venv module. Install it, then run `npm install` again:',
  '  Debian/Ubuntu: sudo apt-get install python3 python3-venv',
  '  macOS:         brew install python@3.12   (or the installer from python.org)',
  '  Windows:       the installer from python.org (tick "Add python.exe to PATH")',
  'Or point PYTHON at an interpreter: PYTHON=/path/to/python3 npm install',
  'To build and run the unit tests without Jupyter: CONSENSUS_LAB_SKIP_PYTHON=1 npm install',
];

/** Finds a system Python that can create venvs, or exits with an actionable message. */
function findSystemPython() {
  const candidates = process.env.PYTHON ? [process.env.PYTHON] : isWindows ? ['python', 'py'] : ['python3', 'python'];
  const problems = [];
  const probe =
    "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.executable)";
  for (const command of candidates) {
    const r = runPython(command, ['-c', probe]);
    if (r.missing) {
      const where = command.includes('/') || command.includes('\\') ? 'was not found' : 'was not found on PATH';
      problems.push(`${command} ${where}`);
      continue;
    }
    if (!r.ok) {
      const why = r.err.split('\n').filter(Boolean).pop() || 'no output';
      problems.push(`${command} is on PATH but does not run (${why})`);
      continue;
    }
    const [version, executable] = r.out.split('\n');
    const [major, minor] = version.split('.').map(Number);
    if (major !== MIN_PYTHON[0] || minor < MIN_PYTHON[1]) {
      problems.push(`${command} is Python ${version} (${executable}); JupyterLab needs ${MIN_PYTHON.join('.')}+`);
      continue;
    }
    const venvCheck = runPython(command, ['-c', 'import venv, ensurepip']);
    if (!venvCheck.ok) {
      problems.push(
        `${command} is Python ${version} (${executable}) but has no venv/ensurepip module ` +
          `(on Debian/Ubuntu: sudo apt-get install python3-venv, or python${major}.${minor}-venv)`,
      );
      continue;
    }
    return { command, version, executable };
  }
  const first = problems[0] || 'no Python interpreter was found';
  fail([`${first}; install Python ${MIN_PYTHON.join('.')}+ and run npm install again.`, ...problems.slice(1), '', ...pythonHelp]);
  return null; // not reached
}

/** Parses requirements.txt into [{ name, version|null }]. */
function readRequirements() {
  const text = fs.readFileSync(requirementsFile, 'utf8');
  const reqs = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line || line.startsWith('-')) continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:==\s*([^\s;,]+))?/.exec(line);
    if (m) reqs.push({ name: m[1], version: m[2] || null });
  }
  return { text, reqs };
}

function requirementsStamp(text, pythonVersion) {
  return crypto.createHash('sha256').update(`${pythonVersion}\n${text}`).digest('hex');
}

/** True when every requirement is installed at its pinned version and the stamp matches. */
function requirementsSatisfied(reqs, stamp) {
  let current = null;
  try {
    current = fs.readFileSync(stampFile, 'utf8').trim();
  } catch {
    return false;
  }
  if (current !== stamp) return false;
  const check = [
    'import sys, importlib.metadata as md',
    'bad = []',
    'for spec in sys.argv[1:]:',
    '    name, _, want = spec.partition("==")',
    '    try:',
    '        have = md.version(name)',
    '    except md.PackageNotFoundError:',
    '        bad.append(name); continue',
    '    if want and have != want: bad.append(name)',
    'sys.exit(1 if bad else 0)',
  ].join('\n');
  const specs = reqs.map((r) => (r.version ? `${r.name}==${r.version}` : r.name));
  return runPython(venvPython, ['-c', check, ...specs]).ok;
}

function pipInstall(reqs) {
  const names = reqs.map((r) => (r.version ? `${r.name} ${r.version}` : r.name)).join(', ');
  log(`installing Python packages into .venv (${names}); log: .venv/pip-install.log`);
  const started = Date.now();
  const logFd = fs.openSync(pipLogFile, 'w');
  const result = spawnSync(
    venvPython,
    [
      '-m', 'pip', 'install',
      '--retries', '0', '--timeout', '5',
      '--no-input', '--disable-pip-version-check', '--progress-bar', 'off',
      '-r', requirementsFile,
    ],
    {
      cwd: root,
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' },
      timeout: 15 * 60_000,
    },
  );
  fs.closeSync(logFd);
  if (result.status !== 0 || result.error) {
    const lines = fs.readFileSync(pipLogFile, 'utf8').split('\n').filter((l) => l.trim());
    const interesting = lines.filter((l) => !/^WARNING: Location .* is ignored/.test(l));
    process.stderr.write(interesting.slice(-25).map((l) => `  | ${l}`).join('\n') + '\n');
    const why = result.error ? ` (${result.error.message})` : ` (exit code ${result.status})`;
    fail([
      `pip could not install requirements.txt into .venv${why}; the end of .venv/pip-install.log is above.`,
      'Usually either the package index is out of reach (PyPI, or the index set in pip.conf /',
      'PIP_INDEX_URL) or it lacks a version pinned in requirements.txt. Fix that, then run npm install again.',
    ]);
  }
  log(`Python packages installed in ${seconds(started)}`);
}

function setupPython() {
  const started = Date.now();
  if (!fs.existsSync(requirementsFile)) fail('requirements.txt is missing from the project root.');
  let version = venvPythonVersion();
  if (!version) {
    const system = findSystemPython();
    if (fs.existsSync(venvDir)) {
      log('.venv exists but does not work (its Python or pip is missing); recreating it');
      fs.rmSync(venvDir, { recursive: true, force: true });
    }
    log(`creating .venv with Python ${system.version} (${system.executable})`);
    const r = runPython(system.command, ['-m', 'venv', venvDir], { timeout: 5 * 60_000 });
    if (!r.ok) {
      fail([
        `\`${system.command} -m venv .venv\` failed:`,
        ...r.err.split('\n').slice(-10).map((l) => `  | ${l}`),
        ...pythonHelp,
      ]);
    }
    version = venvPythonVersion();
    if (!version) fail(['.venv was created but its Python cannot import pip.', ...pythonHelp]);
  }
  const { text, reqs } = readRequirements();
  const stamp = requirementsStamp(text, version);
  if (requirementsSatisfied(reqs, stamp)) {
    log(`.venv (Python ${version}) already has requirements.txt`);
  } else {
    try {
      fs.rmSync(stampFile, { force: true });
    } catch {
      /* ignore */
    }
    pipInstall(reqs);
    fs.writeFileSync(stampFile, stamp + '\n');
  }
  if (writeKernelSpec()) {
    log(`tslab TypeScript kernel registered in ${path.relative(root, kernelDir)}`);
  } else {
    log('warning: node_modules/tslab is missing (dev dependencies not installed?); no TypeScript kernel registered');
  }
  jupyterEnv(); // creates .jupyter/{config,data,runtime,ipython}
  log(`Python environment ready in ${seconds(started)}`);
}

function main() {
  const started = Date.now();
  let buildFailed = false;
  if (fs.existsSync(tscBin)) {
    log('building (node scripts/build.js)');
    const r = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    buildFailed = r.status !== 0;
  } else {
    log('warning: TypeScript is not installed (dev dependencies omitted?); skipping the build');
  }
  log(`tslab patches (scripts/patch-tslab.js): ${require('./patch-tslab').patchTslab(root)}`);
  const mode = jupyterMode();
  if (process.env.CONSENSUS_LAB_SKIP_PYTHON) {
    log('CONSENSUS_LAB_SKIP_PYTHON is set: skipping the Python venv and Jupyter');
  } else if (mode === 'venv') {
    if (process.env.CONSENSUS_LAB_JUPYTER) fs.rmSync(modeFile, { force: true });
    setupPython();
  } else {
    const where = installKernelWithPathJupyter(mode);
    fs.writeFileSync(modeFile, mode + '\n');
    log(`CONSENSUS_LAB_JUPYTER=${mode}: no .venv; the tslab TypeScript kernel is registered with the Jupyter on PATH, in ${where}`);
  }
  if (buildFailed) {
    fail('setup finished, but the TypeScript build failed (errors above); fix them and run `npm run build`.');
  }
  log(`setup done in ${seconds(started)}. \`npm start\` opens JupyterLab; \`npm run test:notebooks\` runs the notebooks.`);
}

module.exports = {
  root,
  venvDir,
  venvBin,
  venvPython,
  tslabBin,
  tscBin,
  kernelDir,
  notebooksDir,
  jupyterHome,
  jupyterEnv,
  installKernelWithPathJupyter,
  jupyterMode,
  jupyterPython,
  jupyterReady,
  kernelReady,
  kernelSpec,
  writeKernelSpec,
  venvReady,
};

if (require.main === module) main();
