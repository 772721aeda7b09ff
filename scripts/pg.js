#!/usr/bin/env node
// A local PostgreSQL server for the XA notebook and tests (issue 9), in .pg/ of the project.
//
//   npm run pg:start    initdb on first use, start on 127.0.0.1:54329, create bank_a and bank_b, print the URL
//   npm run pg:stop     stop it
//   node scripts/pg.js status
//
// The server listens on loopback only, trusts local connections (no password: a course
// sandbox, never a server anyone else can reach), and has max_prepared_transactions = 20,
// which XA needs (PostgreSQL's default is 0: PREPARE TRANSACTION then fails).
// Run as root (as CI does), the server runs as the `postgres` user (initdb refuses root) and
// .pg/ is handed to that user. Everything is idempotent: start when running prints the URL.
//
// Environment: CONSENSUS_LAB_PG_PORT (default 54329), PG_BINDIR (where initdb and pg_ctl are).
// The library reads CONSENSUS_LAB_PG (URL prefix, default postgres://postgres@127.0.0.1:54329/),
// see lib/protocols/xa/postgres.ts: keep the two defaults in step.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const port = Number(process.env.CONSENSUS_LAB_PG_PORT || 54329);
const databases = ['bank_a', 'bank_b'];
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const base = serverFolder();
const dataDir = path.join(base, 'data');
const runDir = path.join(base, 'run');
const logFile = path.join(base, 'server.log');

/**
 * .pg/ in the project; but as root, when the postgres user cannot reach the project (a checkout
 * under /root, say, which is not searchable by others), a folder of the postgres user's own
 * (/var/lib/postgresql/consensus-lab-<hash of the project path>), so that CI works wherever
 * it checks out. The folder is the same for every run of the same checkout.
 */
function serverFolder() {
  const inProject = path.join(root, '.pg');
  if (!asRoot) return inProject;
  if (spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', root]).status === 0) return inProject;
  const home = fs.existsSync('/var/lib/postgresql') ? '/var/lib/postgresql' : '/var/tmp';
  const hash = require('crypto').createHash('sha1').update(root).digest('hex').slice(0, 10);
  return path.join(home, `consensus-lab-${hash}`);
}

function fail(message) {
  console.error(`pg: ${message}`);
  process.exit(1);
}

/** The folder with initdb and pg_ctl: PG_BINDIR, `pg_config --bindir`, or the newest /usr/lib/postgresql/N/bin. */
function binDir() {
  const candidates = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (config.status === 0) candidates.push(config.stdout.trim());
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    const versions = fs.readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(path.join(debian, v, 'bin'));
  }
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl')));
  if (!found) fail('PostgreSQL is not installed (no initdb / pg_ctl found). Install it with: apt-get install postgresql (or set PG_BINDIR)');
  return found;
}

/** Runs a PostgreSQL program, as the postgres user when we are root. */
function run(bin, program, args, options = {}) {
  const full = path.join(bin, program);
  const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', full, ...args]] : [full, args];
  const result = spawnSync(command, argv, { encoding: 'utf8', cwd: asRoot ? '/' : root, ...options });
  if (result.error) fail(`${program}: ${result.error.message}`);
  return result;
}

function url() {
  return `postgres://postgres@127.0.0.1:${port}/`;
}

function running(bin) {
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) return false;
  return run(bin, 'pg_ctl', ['-D', dataDir, 'status']).status === 0;
}

function init(bin) {
  if (fs.existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  fs.mkdirSync(base, { recursive: true });
  fs.mkdirSync(runDir, { recursive: true });
  if (asRoot) {
    const chown = spawnSync('chown', ['-R', 'postgres:postgres', base], { encoding: 'utf8' });
    if (chown.status !== 0) fail(`chown .pg to postgres failed: ${chown.stderr}`);
    const probe = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-w', base]);
    if (probe.status !== 0) fail(`the postgres user cannot write ${base}: every folder above it must be readable and searchable by others (chmod o+rx)`);
  }
  console.log(`pg: initdb ${dataDir}`);
  const result = run(bin, 'initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C']);
  if (result.status !== 0) fail(`initdb failed:\n${result.stdout}${result.stderr}`);
  const settings = [
    '',
    '# consensus-lab (scripts/pg.js): loopback only, XA needs prepared transactions',
    "listen_addresses = '127.0.0.1'",
    `port = ${port}`,
    `unix_socket_directories = '${runDir}'`,
    'max_prepared_transactions = 20',
    'max_connections = 50',
    "log_min_messages = 'warning'",
    '',
  ].join('\n');
  fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), settings);
  if (asRoot) spawnSync('chown', ['postgres:postgres', path.join(dataDir, 'postgresql.conf')]);
}

function start() {
  const bin = binDir();
  init(bin);
  if (!running(bin)) {
    if (asRoot) spawnSync('chown', ['-R', 'postgres:postgres', base]);
    const result = run(bin, 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '30', 'start']);
    if (result.status !== 0) {
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
      fail(`the server did not start (port ${port} taken?):\n${result.stdout}${result.stderr}\n${log}`);
    }
  }
  const ready = run(bin, 'pg_isready', ['-h', '127.0.0.1', '-p', String(port), '-t', '20']);
  if (ready.status !== 0) fail(`the server is not ready: ${ready.stdout}${ready.stderr}`);
  for (const db of databases) {
    const created = run(bin, 'createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', db]);
    if (created.status !== 0 && !/already exists/.test(created.stderr)) fail(`createdb ${db} failed: ${created.stderr}`);
  }
  const where = path.relative(root, base).startsWith('..') ? base : path.relative(root, base);
  console.log(`pg: PostgreSQL is running on 127.0.0.1:${port} (data in ${where}/, log in ${where}/server.log)`);
  console.log(`pg: databases ${databases.join(', ')}: ${databases.map((db) => url() + db).join('  ')}`);
  console.log(`pg: CONSENSUS_LAB_PG=${url()} (the default); stop it with: npm run pg:stop`);
}

function stop() {
  const bin = binDir();
  if (!running(bin)) {
    console.log('pg: not running');
    return;
  }
  const result = run(bin, 'pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  if (result.status !== 0) fail(`pg_ctl stop failed: ${result.stdout}${result.stderr}`);
  console.log('pg: stopped');
}

function status() {
  const bin = binDir();
  console.log(running(bin) ? `pg: running at ${url()}` : 'pg: not running (start it with: npm run pg:start)');
}

const command = process.argv[2] || 'status';
if (command === 'start') start();
else if (command === 'stop') stop();
else if (command === 'status') status();
else fail(`unknown command ${command}: use start, stop or status`);
