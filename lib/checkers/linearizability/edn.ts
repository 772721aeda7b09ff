/**
 * A reader for the part of EDN (github.com/edn-format/edn) that Jepsen histories use: nil,
 * booleans, integers and decimals, strings, keywords, vectors, lists and maps whose keys are
 * keywords or strings. Enough for `{:process 9, :type :invoke, :f :append, :key "0", :value
 * "x 9 0 y"}` and for the `[4 2]` and `:timed-out` values of Jepsen's log lines.
 */

/** An EDN keyword such as `:invoke`; `name` is without the colon. */
export class Keyword {
  constructor(readonly name: string) {}
  toString(): string {
    return ':' + this.name;
  }
}

export type EdnValue = null | boolean | number | string | Keyword | EdnValue[] | EdnMap;
/** A map, keyed by keyword names (without the colon) and strings. */
export type EdnMap = { [key: string]: EdnValue };

/** A syntax error, at a 1-based column of the text read. */
export class EdnSyntaxError extends Error {
  constructor(readonly reason: string, readonly column: number) {
    super(`${reason} (column ${column})`);
    this.name = 'EdnSyntaxError';
  }
}

/**
 * Reads exactly one EDN value from `text` (surrounding whitespace and commas allowed).
 *
 * @example
 *   readEdn('{:process 9, :f :append, :value "x 9 0 y"}');
 *   // { process: 9, f: Keyword(':append'), value: 'x 9 0 y' }
 */
export function readEdn(text: string): EdnValue {
  const reader = new Reader(text);
  const value = reader.value();
  reader.skipSpace();
  if (reader.position < text.length) reader.fail(`unexpected ${JSON.stringify(text[reader.position])} after the value`);
  return value;
}

const DELIMITERS = new Set([' ', '\t', '\n', '\r', ',', '{', '}', '[', ']', '(', ')', '"', ';']);
const CLOSING: Record<string, string> = { '[': ']', '(': ')', '{': '}' };

class Reader {
  position = 0;
  constructor(private readonly text: string) {}

  fail(reason: string): never {
    throw new EdnSyntaxError(reason, this.position + 1);
  }

  skipSpace(): void {
    const text = this.text;
    while (this.position < text.length) {
      const c = text[this.position];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === ',') this.position++;
      else if (c === ';') while (this.position < text.length && text[this.position] !== '\n') this.position++;
      else break;
    }
  }

  value(): EdnValue {
    this.skipSpace();
    if (this.position >= this.text.length) this.fail('a value was expected, the text ended');
    const c = this.text[this.position];
    if (c === '"') return this.string();
    if (c === '[' || c === '(') return this.sequence(c);
    if (c === '{') return this.map();
    if (c === ']' || c === ')' || c === '}') this.fail(`unexpected ${JSON.stringify(c)}`);
    return this.atom();
  }

  private string(): string {
    const text = this.text;
    let out = '';
    this.position++;
    while (this.position < text.length) {
      const c = text[this.position++];
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const escaped = text[this.position++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
      if (escaped in simple) out += simple[escaped];
      else if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(this.position, this.position + 4))) {
        out += String.fromCharCode(parseInt(text.slice(this.position, this.position + 4), 16));
        this.position += 4;
      } else this.fail(`unknown escape \\${escaped ?? ''} in a string`);
    }
    return this.fail('a string is not closed');
  }

  private sequence(open: string): EdnValue[] {
    const close = CLOSING[open];
    const items: EdnValue[] = [];
    this.position++;
    for (;;) {
      this.skipSpace();
      if (this.position >= this.text.length) this.fail(`${open} is not closed with ${close}`);
      if (this.text[this.position] === close) {
        this.position++;
        return items;
      }
      items.push(this.value());
    }
  }

  private map(): EdnMap {
    const map: EdnMap = {};
    this.position++;
    for (;;) {
      this.skipSpace();
      if (this.position >= this.text.length) this.fail('{ is not closed with }');
      if (this.text[this.position] === '}') {
        this.position++;
        return map;
      }
      const keyAt = this.position;
      const key = this.value();
      const name = key instanceof Keyword ? key.name : typeof key === 'string' ? key : null;
      if (name === null) {
        this.position = keyAt;
        this.fail('map keys must be keywords or strings');
      }
      this.skipSpace();
      if (this.text[this.position] === '}' || this.position >= this.text.length) this.fail(`the key ${String(key)} has no value`);
      map[name] = this.value();
    }
  }

  private atom(): EdnValue {
    const start = this.position;
    while (this.position < this.text.length && !DELIMITERS.has(this.text[this.position])) this.position++;
    const token = this.text.slice(start, this.position);
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token.startsWith(':') && token.length > 1) return new Keyword(token.slice(1));
    if (/^[+-]?\d+N?$/.test(token)) return Number(token.replace(/N$/, ''));
    if (/^[+-]?(\d+\.\d*|\d*\.\d+|\d+)([eE][+-]?\d+)?M?$/.test(token)) return Number(token.replace(/M$/, ''));
    this.position = start;
    return this.fail(`cannot read ${JSON.stringify(token)} (expected nil, a number, a string, a keyword, [...] or {...})`);
  }
}
