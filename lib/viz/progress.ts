import { ConfigError } from '../core';
import { HTML_MIME, TEXT_MIME } from './bundle';
import { notebookDisplayWriter } from './display';

/** A progress bar for a long loop in a notebook cell; see `progress`. */
export interface Progress {
  /** Marks `count` more steps done (default 1) and redraws the bar when its percentage changes. */
  tick(count?: number): void;
  /** Marks the loop finished; `note` replaces the step counter (e.g. 'done in 2.1 s'). */
  done(note?: string): void;
}

let nextId = 1;

/**
 * A progress bar that updates in place in the notebook (one output, redrawn with Jupyter's
 * update_display_data), saying what the loop is doing and how far it is: "Figure 16, disk
 * model: 3/6 ranges". It redraws only when the whole percentage changes (at most about 100
 * updates) and reads no clock, so a saved notebook holds the same final bar every run. Outside
 * a notebook it is silent.
 *
 * @example
 *   const bar = progress('Dueling proposers: back-offs', backoffs.length);
 *   for (const b of backoffs) { run(b); bar.tick(); }
 *   bar.done();
 */
export function progress(what: string, total: number, unit = 'steps'): Progress {
  if (!(Number.isInteger(total) && total >= 1)) throw new ConfigError('progress total', 'an integer >= 1', total);
  const writer = notebookDisplayWriter();
  const displayId = `consensus-lab-progress-${nextId++}`;
  let doneCount = 0;
  let shownPercent = -1;
  const draw = (note: string | null, update: boolean) => {
    if (!writer) return;
    const fraction = Math.min(1, doneCount / total);
    const counter = note ?? `${doneCount}/${total} ${unit}`;
    const width = 30;
    const filled = Math.round(fraction * width);
    const text = `${what}: [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${counter}`;
    const html =
      `<div style="font-family: monospace; font-size: 12px"><progress value="${doneCount}" max="${total}" style="width: 240px; vertical-align: middle"></progress>` +
      ` ${escapeHtml(what)}: ${escapeHtml(counter)}</div>`;
    writer({ data: { [HTML_MIME]: html, [TEXT_MIME]: text }, metadata: {}, transient: { display_id: displayId } }, update);
  };
  draw(null, false);
  shownPercent = 0;
  return {
    tick(count = 1) {
      doneCount = Math.min(total, doneCount + count);
      const percent = Math.floor((100 * doneCount) / total);
      if (percent !== shownPercent) {
        shownPercent = percent;
        draw(null, true);
      }
    },
    done(note) {
      doneCount = total;
      draw(note ?? `${total}/${total} ${unit}, done`, true);
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
