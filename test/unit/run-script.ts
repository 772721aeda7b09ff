/**
 * Runs a compiled command-line script (dist/scripts/*.js) in a child process from the project
 * root, as a user would, and collects its exit status, output and wall time: the grader's and
 * the class grader's tests drive them this way.
 */
import { spawn } from 'child_process';
import * as path from 'path';

export const distDir = path.resolve(__dirname, '..', '..');
export const projectRoot = path.resolve(distDir, '..');

export interface ScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node <script> ...args` with CONSENSUS_LAB_TARGET cleared (so the default target applies). */
export function runScript(script: string, args: string[]): Promise<ScriptRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: projectRoot, env: { ...process.env, CONSENSUS_LAB_TARGET: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
  });
}
