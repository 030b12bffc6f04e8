import { isUtf8 } from 'buffer';
import * as fs from 'fs';
import {
  CST,
  Document,
  isCollection,
  isMap,
  isNode,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  Pair,
  parseDocument,
  Parser,
  visit,
  YAMLMap,
} from 'yaml';
import { z } from 'zod';
import { closest, formatPath, ManifestProblem, ROOT_PATH, showValue, YAML_PATH } from './errors';
import { Manifest, MANIFEST_SCHEMAS, ManifestKind } from './schema';

/** The largest manifest file read: manifests are a few KiB, anything this big is the wrong file. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** The deepest nesting of mappings and lists accepted (manifests need fewer than ten levels). */
export const MAX_MANIFEST_DEPTH = 64;

/** The alias budget of the YAML library: more alias expansion than this is an alias bomb. */
export const MAX_ALIAS_COUNT = 100;

/** A path into a manifest: keys and list indices. */
export type ManifestPath = readonly (string | number)[];

/** A 1-based position in the source. */
export interface SourcePosition {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly col: number;
}

/** A manifest that passed its schema. */
export interface LoadedManifest<M extends Manifest = Manifest> {
  /** Always true. */
  readonly ok: true;
  /** The file, as given. */
  readonly file: string;
  /** The manifest, typed by kind (narrow on `manifest.kind`). */
  readonly manifest: M;
  /**
   * Where a field is in the source: its value (scalars) or its key (collections). For mapping later
   * problems (e.g. a construct's validation error) back to a line. Undefined for absent fields.
   */
  position(path: ManifestPath): SourcePosition | undefined;
}

/** A manifest with problems. */
export interface FailedManifest {
  /** Always false. */
  readonly ok: false;
  /** The file, as given. */
  readonly file: string;
  /** Every problem found, in source order. */
  readonly problems: readonly ManifestProblem[];
}

/** What `parseManifest` returns. */
export type LoadResult<M extends Manifest = Manifest> = LoadedManifest<M> | FailedManifest;

const KINDS = Object.keys(MANIFEST_SCHEMAS) as ManifestKind[];

type Schema = z.core.$ZodType;

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};

/** Zod's own wording, for issues raised where no schema-specific message was given. */
function defaultExpected(issue: z.core.$ZodRawIssue | z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => showValue(v)).join(', ')}`;
    case 'too_small':
      return `at least ${String(issue.minimum)}${issue.origin === 'array' ? ' items' : ''}`;
    case 'too_big':
      return `at most ${String(issue.maximum)}${issue.origin === 'array' ? ' items' : ''}`;
    default:
      return 'a valid value';
  }
}

const DEFAULT_MESSAGE = /^Invalid (input|option|value|string|number|key)|^Too (small|big)|^Unrecognized key/;

function expectedOf(issue: z.core.$ZodIssue): string {
  return issue.message && !DEFAULT_MESSAGE.test(issue.message) ? issue.message : defaultExpected(issue);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(data: unknown, path: ManifestPath): unknown {
  let current = data;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') {
      current = current[segment];
    } else if (isRecord(current)) {
      current = current[String(segment)];
    } else {
      return undefined;
    }
  }
  return current;
}

/** The object schema that applies to `data` (looking through optional and unions). */
function resolve(schema: Schema, data: unknown): Schema {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional) {
      s = s.unwrap();
    } else if (s instanceof z.ZodUnion) {
      const options = (s.options as readonly Schema[]).filter((o) => o instanceof z.ZodObject);
      const discriminator = s instanceof z.ZodDiscriminatedUnion ? s.def.discriminator : undefined;
      const chosen =
        discriminator !== undefined && isRecord(data)
          ? options.find((o) => {
              const tag = (o as z.ZodObject).shape[discriminator];
              return (
                tag instanceof z.ZodLiteral && tag.values.has(data[discriminator] as z.core.util.Literal)
              );
            })
          : options[0];
      if (!chosen) {
        return s;
      }
      s = chosen;
    } else {
      return s;
    }
  }
}

/** The known field names of the mapping at `path` (only the required ones with `requiredOnly`). */
function knownKeys(root: Schema, data: unknown, path: ManifestPath, requiredOnly = false): string[] {
  let s: Schema | undefined = root;
  for (let i = 0; i <= path.length && s !== undefined; i++) {
    s = resolve(s, valueAt(data, path.slice(0, i)));
    if (i === path.length) {
      break;
    }
    const segment = path[i];
    if (s instanceof z.ZodObject) {
      s = (s.shape as Record<string, Schema>)[String(segment)];
    } else if (s instanceof z.ZodArray) {
      s = s.element as Schema;
    } else if (s instanceof z.ZodRecord) {
      s = s.valueType as Schema;
    } else {
      s = undefined;
    }
  }
  if (!(s instanceof z.ZodObject)) {
    return [];
  }
  const shape = s.shape as Record<string, Schema>;
  return Object.keys(shape).filter((k) => !requiredOnly || !(shape[k] instanceof z.ZodOptional));
}

/** Finds nodes of a parsed document. */
class Locator {
  /** The pairs of each mapping by key, built on first use: a lookup stays O(1) in a large mapping. */
  private readonly index = new Map<YAMLMap, Map<string, Pair>>();

  public constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** The pair of `key` in `map` (the first one, as the document's own lookup finds). */
  private pair(map: YAMLMap, key: string | number): Pair | undefined {
    let pairs = this.index.get(map);
    if (pairs === undefined) {
      pairs = new Map();
      for (const p of map.items) {
        const k = isScalar(p.key) ? String(p.key.value) : undefined;
        if (k !== undefined && !pairs.has(k)) pairs.set(k, p);
      }
      this.index.set(map, pairs);
    }
    return pairs.get(String(key));
  }

  /** The node at `path` (scalars as nodes), like `doc.getIn(path, true)` but indexed. */
  private node(path: ManifestPath): unknown {
    let current: unknown = this.doc.contents;
    for (const segment of path) {
      if (isMap(current)) {
        current = this.pair(current, segment)?.value;
      } else if (isSeq(current) && typeof segment === 'number') {
        current = current.items[segment];
      } else {
        return undefined;
      }
    }
    return current;
  }

  /** Position of the key of `path` (the item itself in a list), else of its value. */
  public key(path: ManifestPath): SourcePosition | undefined {
    if (path.length === 0) {
      return this.at(this.doc.contents?.range?.[0] ?? 0);
    }
    const parent = this.node(path.slice(0, -1));
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const node = this.pair(parent, last)?.key;
      if (isNode(node) && node.range) {
        return this.at(node.range[0]);
      }
    }
    if (isSeq(parent) && typeof last === 'number') {
      const item = parent.items[last];
      if (isNode(item) && item.range) {
        return this.at(item.range[0]);
      }
    }
    return undefined;
  }

  /** Position of the value of `path` when it is a scalar, else of its key. */
  public value(path: ManifestPath): SourcePosition | undefined {
    const node = this.node(path);
    if (
      isScalar(node) &&
      node.range &&
      node.source !== '' &&
      !(node.value === null && node.source === undefined)
    ) {
      return this.at(node.range[0]);
    }
    if (isCollection(node) && path.length === 0 && node.range) {
      return this.at(node.range[0]);
    }
    return this.key(path) ?? (isNode(node) && node.range ? this.at(node.range[0]) : undefined);
  }

  /** Position for something missing at `path`: the key of the nearest present ancestor. */
  public missing(path: ManifestPath): SourcePosition {
    for (let n = path.length - 1; n > 0; n--) {
      const found = this.key(path.slice(0, n));
      if (found) {
        return found;
      }
    }
    return this.key([]) ?? { line: 1, col: 1 };
  }

  private at(offset: number): SourcePosition {
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }
}

interface Located {
  readonly offset: readonly [number, number];
  readonly path: string;
  readonly message: string;
}

/** Turns zod issues into problems, looking into unions for the branch that was meant. */
function describe(
  issues: readonly z.core.$ZodIssue[],
  prefix: ManifestPath,
  data: unknown,
  root: Schema,
  locate: Locator,
  out: Located[],
): void {
  for (const issue of issues) {
    const path: ManifestPath = [...prefix, ...(issue.path as (string | number)[])];
    const value = valueAt(data, path);
    const push = (pos: SourcePosition | undefined, at: ManifestPath, message: string): void => {
      const p = pos ?? locate.missing(at);
      out.push({ offset: [p.line, p.col], path: formatPath(at), message });
    };
    if (issue.code === 'unrecognized_keys') {
      // Once per mapping, not per key: a file with thousands of unknown keys stays linear.
      const known = knownKeys(root, data, path);
      const parent = valueAt(data, path);
      const present = new Set(isRecord(parent) ? Object.keys(parent) : []);
      const absent = known.filter((k) => !present.has(k));
      for (const key of issue.keys) {
        const suggestion = closest(key, absent);
        const hint = suggestion !== undefined ? `, did you mean '${suggestion}'?` : '';
        const expected = known.length > 0 ? `expected one of ${known.join(', ')}` : 'expected no fields here';
        push(locate.key([...path, key]), [...path, key], `unknown field${hint} (${expected})`);
      }
    } else if (issue.code === 'invalid_key') {
      // A mapping key that breaks the key rule (a label key, a variable name): show the key.
      const key = path[path.length - 1];
      const inner = issue.issues.find((i) => i.path.length === 0);
      push(
        locate.key(path),
        path,
        `invalid key (got ${showValue(String(key))}, expected ${inner ? expectedOf(inner) : expectedOf(issue)})`,
      );
    } else if (issue.code === 'invalid_union' && issue.discriminator !== undefined) {
      const raw = (issue as { options?: unknown }).options;
      const allowed = Array.isArray(raw) ? raw.map(String) : [];
      const options = allowed.map((o) => showValue(o));
      const expected = options.length > 0 ? `one of ${options.join(', ')}` : expectedOf(issue);
      if (value === undefined) {
        push(undefined, path, `missing required field (expected ${expected})`);
      } else {
        const suggestion = typeof value === 'string' ? closest(value, allowed) : undefined;
        const hint = suggestion !== undefined ? `, did you mean '${suggestion}'?` : '';
        push(locate.value(path), path, `not allowed${hint} (got ${showValue(value)}, expected ${expected})`);
      }
    } else if (issue.code === 'invalid_union') {
      // A union of differently typed branches (e.g. a path or an inline object): the branch whose
      // type matched is the one that was meant.
      const matched = issue.errors.filter(
        (branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0),
      );
      if (matched.length === 1) {
        describe(matched[0], path, data, root, locate, out);
      } else {
        const expected = issue.errors
          .map((branch) => branch.find((i) => i.path.length === 0))
          .filter((i): i is z.core.$ZodIssue => i !== undefined)
          .map((i) => expectedOf(i));
        const text = expected.length > 0 ? expected.join(' or ') : expectedOf(issue);
        push(locate.value(path), path, `wrong type (got ${showValue(value)}, expected ${text})`);
      }
    } else if (value === undefined) {
      const required = issue.code === 'invalid_type' ? knownKeys(root, data, path, true) : [];
      const expected =
        issue.code === 'invalid_type' && issue.expected === 'object' && required.length > 0
          ? `a mapping with ${required.join(', ')}`
          : expectedOf(issue);
      push(undefined, path, `missing required field (expected ${expected})`);
    } else if (issue.code === 'invalid_type') {
      push(locate.value(path), path, `wrong type (got ${showValue(value)}, expected ${expectedOf(issue)})`);
    } else if (issue.code === 'invalid_value') {
      const allowed = issue.values.map(String);
      const suggestion = typeof value === 'string' ? closest(value, allowed) : undefined;
      const hint = suggestion !== undefined ? `, did you mean '${suggestion}'?` : '';
      push(
        locate.value(path),
        path,
        `not allowed${hint} (got ${showValue(value)}, expected ${expectedOf(issue)})`,
      );
    } else {
      push(
        locate.value(path),
        path,
        `invalid value (got ${showValue(value)}, expected ${expectedOf(issue)})`,
      );
    }
  }
}

function problemsOf(file: string, located: Located[]): ManifestProblem[] {
  const seen = new Set<string>();
  return located
    .filter((l) => {
      const key = `${l.offset[0]}:${l.offset[1]}:${l.path}:${l.message}`;
      return seen.has(key) ? false : (seen.add(key), true);
    })
    .sort((a, b) => a.offset[0] - b.offset[0] || a.offset[1] - b.offset[1])
    .map((l) => ({ file, line: l.offset[0], col: l.offset[1], path: l.path, message: l.message }));
}

/** What the concrete syntax tree shows before the document is built. */
interface Shape {
  /** Offset of a second document in the file, if any. */
  readonly secondDocument?: number;
  /** Offset of the first collection nested deeper than `MAX_MANIFEST_DEPTH`, if any. */
  readonly tooDeep?: number;
  /** Offset of the first alias (`*name`), if any. */
  readonly firstAlias?: number;
}

/**
 * Finds, on the token stream alone, nesting that a syntax tree could not hold in bounded memory:
 * flow collections (`[[[[...`) and compact block collections on one line (`- - - ...`, `? ? ...`).
 * The parser would build one tree node per level before `scanShape` could look at it (1 MiB of
 * `[` took a gigabyte); the lexer keeps only a counter. Nesting by indentation needs a line per
 * level, so the file size limit already bounds it, and `scanShape` reports it exactly.
 * Returns the source offset of the first level beyond `MAX_MANIFEST_DEPTH`, if any.
 */
function lexicalTooDeep(text: string): number | undefined {
  let offset = 0;
  let flow = 0;
  let compact = 0;
  for (const token of new Lexer().lex(text)) {
    // Control tokens mark structure and are not source text.
    if (token === CST.DOCUMENT || token === CST.SCALAR || token === CST.FLOW_END) continue;
    if (token === '[' || token === '{') {
      if (++flow > MAX_MANIFEST_DEPTH) return offset;
    } else if (token === ']' || token === '}') {
      flow = Math.max(0, flow - 1);
    } else if (token === '-' || token === '?') {
      if (flow === 0 && ++compact > MAX_MANIFEST_DEPTH) return offset;
    } else if (token.startsWith('\n') || token.startsWith('\r')) {
      compact = 0;
    } else if (token.startsWith('---') || token.startsWith('...')) {
      flow = 0;
    }
    offset += token.length;
  }
  return undefined;
}

/**
 * Counts documents, nesting depth and aliases on the syntax tree, which the library builds without
 * recursion: a 100 000-deep file is reported before anything recursive (building the document,
 * converting it) can overflow the stack.
 */
function scanShape(text: string): Shape {
  let documents = 0;
  let secondDocument: number | undefined;
  let tooDeep: number | undefined;
  let firstAlias: number | undefined;
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document') continue;
    documents++;
    if (documents === 2) {
      secondDocument = token.offset;
      break;
    }
    const stack: { token: CST.Token; depth: number }[] = token.value
      ? [{ token: token.value, depth: 0 }]
      : [];
    while (stack.length > 0 && tooDeep === undefined) {
      const { token: t, depth } = stack.pop() as { token: CST.Token; depth: number };
      if (t.type === 'alias' && (firstAlias === undefined || t.offset < firstAlias)) {
        firstAlias = t.offset;
      }
      if (t.type !== 'block-map' && t.type !== 'block-seq' && t.type !== 'flow-collection') continue;
      if (depth + 1 > MAX_MANIFEST_DEPTH) {
        tooDeep = t.offset;
        break;
      }
      for (const item of t.items) {
        if (item.key) stack.push({ token: item.key, depth: depth + 1 });
        if (item.value) stack.push({ token: item.value, depth: depth + 1 });
      }
    }
  }
  return { secondDocument, tooDeep, firstAlias };
}

/** Offsets of keys that repeat an earlier key of the same mapping, in linear time. */
function duplicateKeys(doc: Document): number[] {
  const offsets: number[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const value: unknown = pair.key.value;
        if (seen.has(value)) {
          offsets.push(pair.key.range?.[0] ?? 0);
        }
        seen.add(value);
      }
    },
  });
  return offsets;
}

/**
 * Parses YAML text and checks it against the schema of its `kind`. Returns the typed manifest, or
 * every problem with its position: YAML syntax errors first (then nothing else is checked), else
 * schema problems, with "did you mean" for misspelt fields and values.
 */
export function parseManifest(text: string, file: string): LoadResult;
export function parseManifest<K extends ManifestKind>(
  text: string,
  file: string,
  expectKind: K,
): LoadResult<z.infer<(typeof MANIFEST_SCHEMAS)[K]>>;
export function parseManifest(text: string, file: string, expectKind?: ManifestKind): LoadResult {
  const lines = new LineCounter();
  const yamlProblem = (offset: number, message: string): FailedManifest => {
    // The LineCounter only knows lines once a document was parsed with it: count here.
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const col = offset - (before.lastIndexOf('\n') + 1) + 1;
    return { ok: false, file, problems: [{ file, line, col, path: YAML_PATH, message }] };
  };
  const lexical = lexicalTooDeep(text);
  if (lexical !== undefined) {
    // The text up to that point is small enough for the syntax tree, which counts block levels
    // too and so finds the first level past the limit exactly.
    const tooDeep = scanShape(text.slice(0, lexical + 1)).tooDeep ?? lexical;
    return yamlProblem(
      tooDeep,
      `nested more than ${MAX_MANIFEST_DEPTH} levels deep (a manifest needs far fewer: is this the right file?)`,
    );
  }
  const shape = scanShape(text);
  if (shape.secondDocument !== undefined) {
    return yamlProblem(
      shape.secondDocument,
      "several YAML documents in one file (a manifest is one document: split the file at this '---', or remove it)",
    );
  }
  if (shape.tooDeep !== undefined) {
    return yamlProblem(
      shape.tooDeep,
      `nested more than ${MAX_MANIFEST_DEPTH} levels deep (a manifest needs far fewer: is this the right file?)`,
    );
  }
  // Duplicate keys are found below in linear time; the library's own check is quadratic.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: false });
  const syntax = doc.errors.map((e) => {
    const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
    const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    return { file, line: pos.line, col: pos.col, path: YAML_PATH, message: `invalid YAML: ${first}` };
  });
  const duplicates = duplicateKeys(doc).map((offset) => {
    const pos = lines.linePos(offset);
    return {
      file,
      line: pos.line,
      col: pos.col,
      path: YAML_PATH,
      message: 'invalid YAML: Map keys must be unique',
    };
  });
  if (syntax.length > 0 || duplicates.length > 0) {
    const problems = [...syntax, ...duplicates].sort((a, b) => a.line - b.line || a.col - b.col);
    return { ok: false, file, problems };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // The library refuses an alias bomb ("billion laughs") with a ReferenceError.
    const message = error instanceof Error ? error.message : String(error);
    return yamlProblem(
      shape.firstAlias ?? 0,
      /alias/i.test(message)
        ? `aliases expand too much (more than the limit of ${MAX_ALIAS_COUNT} that guards against alias bombs; write the values out instead)`
        : `invalid YAML: ${message.split('\n')[0]}`,
    );
  }
  const locate = new Locator(doc, lines);
  const kinds = expectKind ? [expectKind] : KINDS;
  const kindList = `${kinds.length > 1 ? 'one of ' : ''}${kinds.map((k) => showValue(k)).join(', ')}`;
  const fail = (pos: SourcePosition, path: string, message: string): FailedManifest => ({
    ok: false,
    file,
    problems: [{ file, line: pos.line, col: pos.col, path, message }],
  });
  if (!isRecord(data)) {
    return fail(
      locate.key([]) ?? { line: 1, col: 1 },
      ROOT_PATH,
      `wrong type (got ${data === null || data === undefined ? 'an empty document' : showValue(data)}, expected a mapping with apiVersion, kind and metadata)`,
    );
  }
  const kind = data.kind;
  if (kind === undefined) {
    return fail(locate.missing(['kind']), 'kind', `missing required field (expected ${kindList})`);
  }
  if (typeof kind !== 'string' || !(kinds as string[]).includes(kind)) {
    const suggestion = typeof kind === 'string' ? closest(kind, kinds) : undefined;
    const hint = suggestion !== undefined ? `, did you mean '${suggestion}'?` : '';
    return fail(
      locate.value(['kind']) ?? { line: 1, col: 1 },
      'kind',
      `not allowed${hint} (got ${showValue(kind)}, expected ${kindList})`,
    );
  }
  const schema = MANIFEST_SCHEMAS[kind as ManifestKind] as unknown as z.ZodType<Manifest>;
  const result = schema.safeParse(data, { error: (issue) => defaultExpected(issue) });
  if (!result.success) {
    const located: Located[] = [];
    describe(result.error.issues, [], data, schema, locate, located);
    return { ok: false, file, problems: problemsOf(file, located) };
  }
  return {
    ok: true,
    file,
    manifest: result.data,
    position: (path) => (valueAt(data, path) === undefined ? undefined : locate.value(path)),
  };
}

/** The text of a manifest file, or why it cannot be one. */
function readManifestText(file: string): { text: string } | { reason: string } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    return { reason: `cannot read the file (${readError(error)})` };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    // Read at most one byte past the limit, whatever the file is (a pipe, a device, a growing log).
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const n = fs.readSync(fd, chunk, 0, Math.min(chunk.length, MAX_MANIFEST_BYTES + 1 - size), null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      size += n;
      if (size > MAX_MANIFEST_BYTES) {
        return {
          reason: `too large for a manifest (more than ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB: is this the right file?)`,
        };
      }
    }
  } catch (error) {
    return { reason: `cannot read the file (${readError(error)})` };
  } finally {
    fs.closeSync(fd);
  }
  const bytes = Buffer.concat(chunks);
  const nul = bytes.indexOf(0);
  const bad = nul !== -1 ? nul : firstInvalidUtf8(bytes);
  if (bad !== undefined) {
    return {
      reason: `not a text file (byte ${bad} is ${nul !== -1 ? 'a NUL byte' : 'not UTF-8'}; a manifest is UTF-8 YAML)`,
    };
  }
  return { text: bytes.toString('utf8') };
}

/** Why a file could not be read, in words (the errno code for anything unusual). */
const READ_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'a loop of symbolic links',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ENAMETOOLONG: 'the path is too long',
  EIO: 'input/output error',
};

function readError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return (code === undefined ? undefined : READ_REASONS[code]) ?? code ?? 'unreadable';
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence, if any. */
function firstInvalidUtf8(bytes: Buffer): number | undefined {
  if (isUtf8(bytes)) return undefined;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    // The well-formed sequences of Unicode's table 3-7: no overlong forms, no surrogates.
    const [length, low, high] =
      b < 0x80
        ? [1, 0, 0]
        : b >= 0xc2 && b <= 0xdf
          ? [2, 0x80, 0xbf]
          : b === 0xe0
            ? [3, 0xa0, 0xbf]
            : b === 0xed
              ? [3, 0x80, 0x9f]
              : b >= 0xe1 && b <= 0xef
                ? [3, 0x80, 0xbf]
                : b === 0xf0
                  ? [4, 0x90, 0xbf]
                  : b === 0xf4
                    ? [4, 0x80, 0x8f]
                    : b >= 0xf1 && b <= 0xf3
                      ? [4, 0x80, 0xbf]
                      : [0, 0, 0];
    if (length === 0 || i + length > bytes.length) return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (k === 1 ? c < low || c > high : c < 0x80 || c > 0xbf) return i;
    }
    i += length;
  }
  return i;
}

/**
 * Reads and parses a manifest file. A file that cannot be a manifest (unreadable, over
 * `MAX_MANIFEST_BYTES`, binary, not UTF-8) is one problem at 1:1; the file is never read past the
 * limit.
 */
export function loadManifestFile(file: string): LoadResult {
  const read = readManifestText(file);
  if ('reason' in read) {
    return { ok: false, file, problems: [{ file, line: 1, col: 1, path: ROOT_PATH, message: read.reason }] };
  }
  return parseManifest(read.text, file);
}
