#!/usr/bin/env node
// Patches a crash in tslab 1.0.22 (run by scripts/setup.js after every install; idempotent).
//
// tslab drives TypeScript's watch compiler with a fake timer that allows one pending rebuild
// and throws "Unexpected pending rebuildTimer" on a second one. When files the kernel's
// compiler watches change on disk (which is what happens when `npm start` recompiles lib/
// while a kernel runs) TypeScript can ask for a second timer before the first has run, and the
// kernel prints an UncaughtException into whatever cell runs next. The patch lets the pending
// timer run both callbacks, in order, and ignores clearing a timer that already ran.
'use strict';
const fs = require('fs');
const path = require('path');

const MARK = '/* consensus-lab patch: tolerant rebuild timer */';
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
const PATCHED = `    ${MARK}
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

/** Returns 'patched', 'already patched' or a reason it could not patch. */
function patchTslab(root = path.resolve(__dirname, '..')) {
  const file = path.join(root, 'node_modules', 'tslab', 'dist', 'converter.js');
  if (!fs.existsSync(file)) return 'tslab is not installed';
  const source = fs.readFileSync(file, 'utf8');
  if (source.includes(MARK)) return 'already patched';
  if (!source.includes(ORIGINAL)) return 'tslab changed: the code to patch was not found (is tslab still 1.0.22?)';
  fs.writeFileSync(file, source.replace(ORIGINAL, PATCHED));
  return 'patched';
}

module.exports = { patchTslab };

if (require.main === module) console.log(`tslab rebuild-timer patch: ${patchTslab()}`);
