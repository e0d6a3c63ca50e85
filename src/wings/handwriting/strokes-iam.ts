/**
 * Reader for the IAM On-Line Handwriting Database (IAM-OnDB; Liwicki & Bunke 2005)
 * `lineStrokes` files, the data Graves (2013) §4 trains on. Each file is one written line:
 *
 * ```xml
 * <WhiteboardCaptureSession>
 *   <WhiteboardDescription>...</WhiteboardDescription>
 *   <StrokeSet>
 *     <Stroke colour="black" start_time="769.05" end_time="769.64">
 *       <Point x="1073" y="1058" time="769.05"/>
 *       ...
 *     </Stroke>
 *   </StrokeSet>
 * </WhiteboardCaptureSession>
 * ```
 *
 * Coordinates are whiteboard pixels with y pointing down. IAM-OnDB is registration-only;
 * users who have it point kioku at their `lineStrokes` folder:
 *
 * ```ts
 * const lines = loadLineStrokesFolder('/data/iam/lineStrokes');     // Drawing[], ids like a01-000u-01
 * const d = parseLineStrokes(readFileSync(f, 'latin1'), f);
 * ```
 *
 * Errors name the file, the line in it and the element: a malformed document, a missing or
 * non-numeric attribute, an empty `<Stroke>`, a file without `<StrokeSet>`.
 * The XML reader below is deliberately small: elements, attributes, text, comments,
 * processing instructions, CDATA and a DOCTYPE line — what these files contain.
 */
import { readdirSync, statSync } from 'node:fs';
import { readFileBounded } from '../../node/files.js';
import { readDecimal } from '../../util/numbers.js';
import { basename, join } from 'node:path';
import { KiokuError } from '../../util/errors.js';
import type { Drawing, Stroke } from './strokes.js';

/** One parsed XML element. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** 1-based line of the element's start tag. */
  line: number;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string, fail: (msg: string) => never): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (_, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      // XML 1.0 §2.2: a character reference must name a Unicode scalar value.
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || code === 0)
        fail(`character reference &${e}; is not a Unicode character (at most U+10FFFF)`);
      return String.fromCodePoint(code);
    }
    const v = ENTITIES[e];
    if (v === undefined) fail(`unknown entity &${e};`);
    return v;
  });
}

/**
 * Parse an XML document into its root element. Throws `KiokuError`
 * "`<source>`: line N: malformed XML: ..." on anything it cannot read.
 */
export function parseXml(text: string, source: string): XmlElement {
  let pos = 0;
  let line = 1;
  const fail = (msg: string, at = line): never => {
    throw new KiokuError(`${source}: line ${at}: malformed XML: ${msg}`);
  };
  const advance = (to: number): void => {
    for (let i = pos; i < to; i++) if (text.charCodeAt(i) === 10) line++;
    pos = to;
  };
  const skipTo = (marker: string, what: string): void => {
    const end = text.indexOf(marker, pos);
    if (end < 0) fail(`unterminated ${what}`);
    advance(end + marker.length);
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const nameRe = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const textEnd = lt < 0 ? text.length : lt;
    if (text.slice(pos, textEnd).trim() !== '' && stack.length === 0) fail('text outside the root element');
    advance(textEnd);
    if (lt < 0) break;
    if (text.startsWith('<?', pos)) skipTo('?>', 'processing instruction');
    else if (text.startsWith('<!--', pos)) skipTo('-->', 'comment');
    else if (text.startsWith('<![CDATA[', pos)) skipTo(']]>', 'CDATA section');
    else if (text.startsWith('<!', pos)) skipTo('>', 'declaration');
    else if (text.startsWith('</', pos)) {
      const start = line;
      nameRe.lastIndex = pos + 2;
      const m = nameRe.exec(text);
      if (!m) fail('expected a tag name after "</"');
      const name = m![0];
      advance(pos + 2 + name.length);
      const gt = text.indexOf('>', pos);
      if (gt < 0 || text.slice(pos, gt).trim() !== '') fail(`expected ">" to close </${name}>`);
      advance(gt + 1);
      const open = stack.pop();
      if (!open) fail(`closing tag </${name}> without an open element`, start);
      if (open!.name !== name)
        fail(`expected </${open!.name}> (opened at line ${open!.line}), found </${name}>`, start);
    } else {
      const start = line;
      nameRe.lastIndex = pos + 1;
      const m = nameRe.exec(text);
      if (!m) fail('expected a tag name after "<"');
      const el: XmlElement = { name: m![0], attrs: {}, children: [], line: start };
      advance(pos + 1 + el.name.length);
      let closed = false;
      for (;;) {
        const ws = /\s*/y;
        ws.lastIndex = pos;
        ws.exec(text);
        advance(ws.lastIndex);
        if (pos >= text.length) fail(`unterminated start tag <${el.name}>`, start);
        if (text.startsWith('/>', pos)) {
          advance(pos + 2);
          closed = true;
          break;
        }
        if (text[pos] === '>') {
          advance(pos + 1);
          break;
        }
        nameRe.lastIndex = pos;
        const a = nameRe.exec(text);
        if (!a) fail(`unexpected character ${JSON.stringify(text[pos])} in <${el.name}>`);
        const attr = a![0];
        advance(pos + attr.length);
        const eq = /\s*=\s*(["'])/y;
        eq.lastIndex = pos;
        const q = eq.exec(text);
        if (!q) fail(`attribute ${attr} of <${el.name}> must be written ${attr}="value"`);
        advance(eq.lastIndex);
        const close = text.indexOf(q![1], pos);
        if (close < 0) fail(`unterminated value of attribute ${attr} in <${el.name}>`);
        const raw = text.slice(pos, close);
        if (raw.includes('<')) fail(`"<" inside the value of attribute ${attr} of <${el.name}>`);
        if (attr in el.attrs) fail(`attribute ${attr} repeated in <${el.name}>`);
        el.attrs[attr] = decodeEntities(raw, (msg) => fail(msg));
        advance(close + 1);
      }
      if (stack.length) stack[stack.length - 1].children.push(el);
      else if (root) fail(`second root element <${el.name}> (the first was <${root.name}>)`, start);
      else root = el;
      if (!closed) stack.push(el);
    }
  }
  if (stack.length) {
    const open = stack[stack.length - 1];
    fail(`end of file inside <${open.name}> (opened at line ${open.line})`);
  }
  if (!root) fail('no root element', 1);
  return root!;
}

/**
 * Read one `lineStrokes` document into a drawing (absolute whiteboard coordinates,
 * y down; `t` from the `time` attribute when present).
 */
export function parseLineStrokes(xml: string, source: string, id?: string): Drawing {
  const root = parseXml(xml, source);
  if (root.name !== 'WhiteboardCaptureSession') {
    throw new KiokuError(
      `${source}: line ${root.line}: expected root element <WhiteboardCaptureSession>, got <${root.name}>`,
    );
  }
  const sets = root.children.filter((c) => c.name === 'StrokeSet');
  if (sets.length === 0)
    throw new KiokuError(
      `${source}: no <StrokeSet> element in <WhiteboardCaptureSession> (line ${root.line})`,
    );
  const strokes: Stroke[] = [];
  let k = 0;
  for (const set of sets) {
    for (const s of set.children) {
      if (s.name !== 'Stroke') continue;
      k++;
      const pts: Stroke = [];
      let j = 0;
      for (const p of s.children) {
        if (p.name !== 'Point') continue;
        j++;
        const num = (attr: string, required: boolean): number | undefined => {
          const v = p.attrs[attr];
          if (v === undefined) {
            if (!required) return undefined;
            throw new KiokuError(
              `${source}: line ${p.line}: <Point> ${j} of <Stroke> ${k} is missing attribute "${attr}"`,
            );
          }
          return readDecimal(
            v.trim(),
            `${source}: line ${p.line}: <Point> ${j} of <Stroke> ${k}: attribute ${attr}`,
          );
        };
        const t = num('time', false);
        pts.push({ x: num('x', true)!, y: num('y', true)!, ...(t !== undefined ? { t } : {}) });
      }
      if (pts.length === 0)
        throw new KiokuError(`${source}: line ${s.line}: <Stroke> ${k} is empty (no <Point> elements)`);
      strokes.push(pts);
    }
  }
  if (strokes.length === 0)
    throw new KiokuError(`${source}: <StrokeSet> (line ${sets[0].line}) has no <Stroke> elements`);
  return { id: id ?? basename(source).replace(/\.xml$/i, ''), strokes };
}

/** Read one `lineStrokes` file (IAM files declare ISO-8859-1; they are ASCII in practice). */
export function loadLineStrokesFile(path: string): Drawing {
  return parseLineStrokes(readFileBounded(path).toString('latin1'), path);
}

/** Every `*.xml` file under `dir` (recursively), sorted by path. */
export function findXmlFiles(dir: string): string[] {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new KiokuError(`lineStrokes folder ${dir} does not exist`);
  }
  if (!st.isDirectory())
    throw new KiokuError(`${dir} is not a folder (expected IAM-OnDB's lineStrokes folder)`);
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.toLowerCase().endsWith('.xml')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Load every line of an IAM-OnDB `lineStrokes` folder (`a01/a01-000/a01-000u-01.xml`, ...).
 * `limit` reads only the first n files (sorted by path).
 */
export function loadLineStrokesFolder(dir: string, opts: { limit?: number } = {}): Drawing[] {
  const files = findXmlFiles(dir);
  if (files.length === 0)
    throw new KiokuError(`${dir}: no .xml files found (expected IAM-OnDB lineStrokes files)`);
  const chosen = opts.limit !== undefined ? files.slice(0, opts.limit) : files;
  return chosen.map((f) => loadLineStrokesFile(f));
}

/**
 * The IAM form id of a line id (`a01-000u-01` → `a01-000u`): lines of one form share a
 * writer, so splits are made by form.
 */
export function iamFormId(lineId: string): string {
  const m = /^(.*)-\d+$/.exec(lineId);
  return m ? m[1] : lineId;
}
