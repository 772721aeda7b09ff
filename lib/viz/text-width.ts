/**
 * Text widths for chart layout in Node, where vega has no canvas to measure text with.
 *
 * Without a canvas, vega guesses every character to be 0.8 em wide, far wider than DejaVu Sans
 * (about 0.6 em): axis titles then sit too far out, legends get too much room and labels
 * are cut short. This module gives vega the real advance widths of DejaVu Sans (the font
 * the PNGs are drawn with), read once from the font files' `hmtx` tables and written down
 * here, so that layout does not depend on which fonts a machine has (the same spec gives
 * the same PNG everywhere DejaVu Sans is installed).
 *
 * @example
 *   textWidthPx('virtual time (ms)', 11, false) // ≈ 92
 */

/** Advance widths of DejaVu Sans Book, ASCII 32..126, in thousandths of an em. */
const REGULAR_ASCII = [
  318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636, 636,
  636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863,
  748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635,
  615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636,
  337, 636, 838,
];

/** Advance widths of DejaVu Sans Bold, ASCII 32..126, in thousandths of an em. */
const BOLD_ASCII = [
  348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696, 696,
  696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995,
  837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716,
  678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712,
  365, 712, 838,
];

/** A few non-ASCII characters the charts use (same width in both weights unless listed twice). */
const OTHER_CHARACTERS: Record<string, number> = {
  '×': 838, '…': 1000, '–': 500, '—': 1000, '·': 318, 'µ': 636, '→': 838, '←': 838, '↑': 838, '↓': 838,
  '≤': 838, '≥': 838, '±': 838, '°': 500, '✕': 838, '●': 873, '■': 945, '▲': 769, '▼': 769, '◆': 769,
};

/** DejaVu Sans Mono: every glyph is 1233/2048 em wide. */
const MONOSPACE_WIDTH = 602;

/** Width in pixels of one line of `text` in DejaVu Sans at `fontSizePx`. */
export function textWidthPx(text: string, fontSizePx: number, bold: boolean, monospace = false): number {
  let thousandths = 0;
  for (const character of text) {
    if (monospace) {
      thousandths += MONOSPACE_WIDTH;
      continue;
    }
    const code = character.codePointAt(0) as number;
    if (code >= 32 && code <= 126) thousandths += (bold ? BOLD_ASCII : REGULAR_ASCII)[code - 32];
    else if (character in OTHER_CHARACTERS) thousandths += OTHER_CHARACTERS[character];
    else if (code >= 0x2e80) thousandths += 1000; // CJK and other full-width scripts
    else thousandths += bold ? 680 : 620;
  }
  return (thousandths * fontSizePx) / 1000;
}

/** The part of a vega scenegraph text item that decides its width. */
interface TextItem {
  font?: string;
  fontSize?: number;
  fontWeight?: string | number;
}

/** What vega-scenegraph's `textMetrics` looks like (not in vega's published types). */
export interface VegaTextMetrics {
  width: (item: TextItem, text: unknown) => number;
}

/**
 * A `textMetrics.width` for vega: measures the raw text (vega truncates to `limit` itself,
 * calling this for each candidate), as vl-convert's own measurer does.
 */
export function measureVegaText(item: TextItem, text: unknown): number {
  const line = text == null ? '' : String(text).trim();
  const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
  const weight = item.fontWeight;
  const bold = weight === 'bold' || weight === 'bolder' || (typeof weight === 'number' ? weight >= 600 : Number(weight) >= 600);
  const monospace = /mono/i.test(String(item.font ?? '').split(',')[0]);
  return textWidthPx(line, size, bold, monospace);
}

/**
 * Runs `work` with vega measuring text as DejaVu Sans, then puts vega's own measurer back,
 * so nothing else in the process sees the change.
 */
export function withDejaVuMetrics<T>(metrics: VegaTextMetrics, work: () => T): T {
  const previous = metrics.width;
  metrics.width = measureVegaText;
  try {
    return work();
  } finally {
    metrics.width = previous;
  }
}
