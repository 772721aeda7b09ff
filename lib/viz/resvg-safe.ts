/**
 * Rewrites vega's SVG so that resvg 2.6 cannot abort the process on it.
 *
 * resvg draws an element with `opacity`, and a group with `clip-path`, on a layer the size of
 * the element's box cut to the canvas. When that box lies wholly outside the canvas, the cut
 * is empty and resvg 2.6.2 panics in Rust (`geom.rs: called Option::unwrap() on a None
 * value`), which aborts Node: in a notebook the kernel dies. vega writes such elements
 * whenever a `clip: true` mark has data far outside its scale's domain (zoomed axes, a
 * time window over a long trace). Two rewrites avoid it without changing the picture:
 *
 * 1. `opacity` on a leaf element (path, rect, text, ...) becomes `fill-opacity` and
 *    `stroke-opacity` (multiplied into any already there): no layer is needed. This only
 *    differs where an element's own stroke overlaps its own fill, which vega's marks keep
 *    to one colour.
 * 2. Each group with `clip-path` gets a transparent rectangle over its clip region as its
 *    first child, so its box always meets the canvas (vega clips to the plot area, which is
 *    on the canvas).
 *
 * @example
 *   safeForResvg('<rect x="0" y="900" width="5" height="5" opacity="0.5"/>')
 *   // '<rect x="0" y="900" width="5" height="5" fill-opacity="0.5" stroke-opacity="0.5"/>'
 */
export function safeForResvg(svg: string): string {
  const clipRects = new Map<string, string>();
  const clipPattern = /<clipPath id="([^"]+)"><rect ([^>]*?)\/?>/g;
  let found: RegExpExecArray | null;
  while ((found = clipPattern.exec(svg))) clipRects.set(found[1], found[2]);

  const withoutOpacity = svg.replace(/<(path|rect|text|line|circle|ellipse|polygon|polyline)\b([^>]*?)(\/?)>/g, (tag, name: string, attributes: string, selfClosing: string) => {
    const opacity = attributeOf(attributes, 'opacity');
    if (opacity === null) return tag;
    const factor = Number(opacity);
    let rest = removeAttribute(attributes, 'opacity');
    for (const channel of ['fill-opacity', 'stroke-opacity']) {
      const own = attributeOf(rest, channel);
      const combined = (own === null ? 1 : Number(own)) * factor;
      rest = removeAttribute(rest, channel) + ` ${channel}="${round(combined)}"`;
    }
    return `<${name}${rest}${selfClosing}>`;
  });

  return withoutOpacity.replace(/<g\b([^>]*?)clip-path="url\(#([^)"]+)\)"([^>]*)>/g, (tag, _before: string, id: string, after: string) => {
    if (after.endsWith('/')) return tag; // an empty group draws nothing and is safe
    const rect = clipRects.get(id);
    if (rect === undefined) return tag;
    const geometry = ['x', 'y', 'width', 'height'].map((key) => `${key}="${attributeOf(rect, key) ?? '0'}"`).join(' ');
    return `${tag}<rect ${geometry} fill="white" fill-opacity="0"/>`;
  });
}

function attributeOf(attributes: string, name: string): string | null {
  const match = new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(attributes);
  return match ? match[1] : null;
}

function removeAttribute(attributes: string, name: string): string {
  return attributes.replace(new RegExp(`\\s${name}="[^"]*"`), '');
}

function round(value: number): string {
  return String(Math.round(value * 10000) / 10000);
}
