/**
 * A bounded text buffer for what a test prints: it keeps the first and the last `limitChars / 2`
 * characters and counts what it dropped, so a test that prints in a loop costs memory and
 * report space that stay small.
 */
export class BoundedText {
  private head = '';
  private tail = '';
  private dropped = 0;

  constructor(readonly limitChars: number) {}

  append(text: string): void {
    const half = Math.floor(this.limitChars / 2);
    if (this.head.length < half) {
      const room = half - this.head.length;
      this.head += text.slice(0, room);
      text = text.slice(room);
      if (text === '') return;
    }
    this.tail += text;
    if (this.tail.length > 2 * half) {
      const cut = this.tail.length - half;
      this.dropped += cut;
      this.tail = this.tail.slice(cut);
    }
  }

  /** The text kept, with a line saying how much was left out in the middle. */
  text(): string {
    const half = Math.floor(this.limitChars / 2);
    let tail = this.tail;
    let dropped = this.dropped;
    if (tail.length > half) {
      dropped += tail.length - half;
      tail = tail.slice(tail.length - half);
    }
    if (dropped === 0) return this.head + tail;
    return `${this.head}\n[... ${dropped} characters of output left out ...]\n${tail}`;
  }

  clear(): void {
    this.head = '';
    this.tail = '';
    this.dropped = 0;
  }
}
