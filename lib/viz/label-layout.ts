import { textWidthPx } from './text-width';

/**
 * Where text goes in a diagram: a plain greedy placer over boxes in plot pixels, so that
 * labels placed later skip or move instead of printing over labels placed earlier. Widths
 * come from `textWidthPx` (DejaVu Sans, what the PNGs are drawn with), so the layout is the
 * same on every machine: the same input gives the same boxes.
 *
 * @example
 *   const space = new TextSpace();
 *   space.add(textBox(100, 50, 'lock acquired', 9, 'left'));
 *   space.fits(textBox(104, 55, 'vote', 9, 'left')) // false: it would overlap
 */

/** A rectangle in plot pixels: x to the right, y down. */
export interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Height of one line of text at `fontSizePx`, in pixels (what a line of labels needs). */
export function lineHeightPx(fontSizePx: number): number {
  return Math.ceil(fontSizePx * 1.25);
}

/**
 * The box of one line of text whose anchor is at (xPx, yPx), vertically centred on yPx:
 * 'left' text starts at xPx, 'right' text ends there, 'center' text is centred on it.
 */
export function textBox(xPx: number, yPx: number, text: string, fontSizePx: number, align: 'left' | 'right' | 'center', bold = false): Box {
  const width = textWidthPx(text, fontSizePx, bold);
  const x0 = align === 'left' ? xPx : align === 'right' ? xPx - width : xPx - width / 2;
  const half = lineHeightPx(fontSizePx) / 2;
  return { x0, x1: x0 + width, y0: yPx - half, y1: yPx + half };
}

/**
 * The boxes placed so far; a new box fits when it keeps `padXPx` clear of all of them side
 * to side and `padYPx` up and down (a line box already has room above and below the glyphs).
 */
export class TextSpace {
  private readonly boxes: Box[] = [];

  constructor(private readonly padXPx = 3, private readonly padYPx = 0.5) {}

  fits(box: Box): boolean {
    const px = this.padXPx;
    const py = this.padYPx;
    return !this.boxes.some((b) => box.x0 < b.x1 + px && b.x0 < box.x1 + px && box.y0 < b.y1 + py && b.y0 < box.y1 + py);
  }

  add(box: Box): void {
    this.boxes.push(box);
  }

  /** Adds and returns the first candidate whose boxes all fit; null (nothing added) when none does. */
  placeFirst<T extends { boxes: Box[] }>(candidates: readonly T[]): T | null {
    for (const candidate of candidates) {
      if (candidate.boxes.every((box) => this.fits(box))) {
        candidate.boxes.forEach((box) => this.add(box));
        return candidate;
      }
    }
    return null;
  }
}

/** `text` cut to at most `maxPx` wide, ending in '…' when cut ('' when not even '…' fits). */
export function fitText(text: string, maxPx: number, fontSizePx: number, bold = false): string {
  if (textWidthPx(text, fontSizePx, bold) <= maxPx) return text;
  const characters = [...text];
  for (let n = characters.length - 1; n > 0; n--) {
    const cut = characters.slice(0, n).join('').trimEnd() + '…';
    if (textWidthPx(cut, fontSizePx, bold) <= maxPx) return cut;
  }
  return textWidthPx('…', fontSizePx, bold) <= maxPx ? '…' : '';
}

/**
 * Items joined with `separator` into lines at most `maxPx` wide, at most `maxLines` lines:
 * an item too wide for a line of its own is cut with '…', and when items are left over the
 * last line ends in '…'. Items are kept in order.
 *
 * @example
 *   packLines(['timeout', 'termination round'], 80, 9, 3) // ['timeout', 'termination round']
 */
export function packLines(items: readonly string[], maxPx: number, fontSizePx: number, maxLines: number, separator = ' · '): string[] {
  const lines: string[] = [];
  let current = '';
  let index = 0;
  for (; index < items.length; index++) {
    const item = items[index];
    const joined = current === '' ? item : current + separator + item;
    if (textWidthPx(joined, fontSizePx, false) <= maxPx) {
      current = joined;
      continue;
    }
    if (current !== '') {
      if (lines.length + 1 === maxLines) break;
      lines.push(current);
    }
    current = fitText(item, maxPx, fontSizePx);
  }
  if (index < items.length) current = fitText(current + separator + items.slice(index).join(separator), maxPx, fontSizePx);
  if (current !== '') lines.push(current);
  return lines;
}
