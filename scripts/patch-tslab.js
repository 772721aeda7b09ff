#!/usr/bin/env node
// Patches two bugs of tslab 1.0.22 (run by scripts/setup.js after every install; idempotent).
//
// 1. A crash. tslab drives TypeScript's watch compiler with a fake timer that allows one pending rebuild
// and throws "Unexpected pending rebuildTimer" on a second one. When files the kernel's
// compiler watches change on disk (which is what happens when `npm start` recompiles lib/
// while a kernel runs) TypeScript can ask for a second timer before the first has run, and the
// kernel prints an UncaughtException into whatever cell runs next. The patch lets the pending
// timer run both callbacks, in order, and ignores clearing a timer that already ran.
//
// 2. Shorthand properties. tslab rewrites a name declared in an earlier cell to `exports.name`
// but skips shorthand properties, so `const seed = 1;` in one cell and `run({ seed })` in the
// next fails with "ReferenceError: seed is not defined". The patch rewrites `{ seed }` to
// `{ seed: exports.seed }` when `seed` comes from an earlier cell.
'use strict';
const fs = require('fs');
const path = require('path');

const TIMER_MARK = '/* consensus-lab patch: tolerant rebuild timer */';
const ORIGINAL = `    sys.setTimeout = (callback) => {
        // TypeScript compier implements debouncing using a timer.
        // It clears a timer when a new change is notified before the timer
        // is fired and it starts rebuilding sources.
        //
        // In this converter, it often happens when notifyUpdateSrc and
        // notifyUpdateDecls are called in sequence.
        if (rebuildTimer) {
            throw new Error("Unexpected pending rebuildTimer");
        }
        rebuildTimer = {
            callback: () => {
                callback();
                rebuildTimer = null;
            },
        };
        return rebuildTimer;
    };
    sys.clearTimeout = (timeoutId) => {
        if (rebuildTimer === timeoutId) {
            rebuildTimer = null;
            return;
        }
        throw new Error("clearing unexpected tiemr");
    };`;
const PATCHED = `    ${TIMER_MARK}
    sys.setTimeout = (callback) => {
        if (rebuildTimer) {
            const earlier = rebuildTimer.run;
            rebuildTimer.run = () => {
                earlier();
                callback();
            };
            return rebuildTimer;
        }
        const timer = {
            run: callback,
            callback: () => {
                timer.run();
                if (rebuildTimer === timer) rebuildTimer = null;
            },
        };
        rebuildTimer = timer;
        return timer;
    };
    sys.clearTimeout = (timeoutId) => {
        if (rebuildTimer === timeoutId) {
            rebuildTimer = null;
        }
    };`;

const SHORTHAND_MARK = '/* consensus-lab patch: shorthand properties */';
const SHORTHAND_ORIGINAL = `        function wrapPrevIdentifier(node) {
            var _a, _b;
            if (!ts.isIdentifier(node)) {`;
const SHORTHAND_PATCHED = `        function wrapPrevIdentifier(node) {
            var _a, _b;
            ${SHORTHAND_MARK}
            if (ts.isShorthandPropertyAssignment(node)) {
                const value = checker.getShorthandAssignmentValueSymbol(node);
                if (value && (value.declarations || []).some((decl) => decl.getSourceFile() === declsFile)) {
                    const name = node.name.text;
                    return ts.factory.createPropertyAssignment(name, ts.factory.createPropertyAccessExpression(ts.factory.createIdentifier("exports"), name));
                }
            }
            if (!ts.isIdentifier(node)) {`;

const PATCHES = [
  { name: 'rebuild timer', mark: TIMER_MARK, original: ORIGINAL, patched: PATCHED },
  { name: 'shorthand properties', mark: SHORTHAND_MARK, original: SHORTHAND_ORIGINAL, patched: SHORTHAND_PATCHED },
];

/** Applies every patch; returns one line per patch: 'patched', 'already patched' or why it could not. */
function patchTslab(root = path.resolve(__dirname, '..')) {
  const file = path.join(root, 'node_modules', 'tslab', 'dist', 'converter.js');
  if (!fs.existsSync(file)) return 'tslab is not installed';
  let source = fs.readFileSync(file, 'utf8');
  const results = [];
  for (const patch of PATCHES) {
    if (source.includes(patch.mark)) results.push(`${patch.name}: already patched`);
    else if (!source.includes(patch.original)) results.push(`${patch.name}: tslab changed, the code to patch was not found (is tslab still 1.0.22?)`);
    else {
      source = source.replace(patch.original, patch.patched);
      results.push(`${patch.name}: patched`);
    }
  }
  fs.writeFileSync(file, source);
  return results.join('; ');
}

module.exports = { patchTslab };

if (require.main === module) console.log(`tslab patches: ${patchTslab()}`);
