import * as fs from 'fs';
import { Document, isCollection, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { closest, formatPath, ManifestProblem, ROOT_PATH, showValue, YAML_PATH } from './errors';
import { Manifest, MANIFEST_SCHEMAS, ManifestKind } from './schema';

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
  public constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Position of the key of `path` (the item itself in a list), else of its value. */
  public key(path: ManifestPath): SourcePosition | undefined {
    if (path.length === 0) {
      return this.at(this.doc.contents?.range?.[0] ?? 0);
    }
    const parent = path.length === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true);
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
      const node = pair?.key;
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
    const node = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
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
      const known = knownKeys(root, data, path);
      const parent = valueAt(data, path);
      const present = isRecord(parent) ? Object.keys(parent) : [];
      for (const key of issue.keys) {
        const suggestion = closest(
          key,
          known.filter((k) => !present.includes(k)),
        );
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
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      return { file, line: pos.line, col: pos.col, path: YAML_PATH, message: `invalid YAML: ${first}` };
    });
    return { ok: false, file, problems };
  }
  const data: unknown = doc.toJS();
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

/** Reads and parses a manifest file; an unreadable file is one problem at 1:1. */
export function loadManifestFile(file: string): LoadResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (code ?? 'unreadable');
    return {
      ok: false,
      file,
      problems: [{ file, line: 1, col: 1, path: ROOT_PATH, message: `cannot read the file (${reason})` }],
    };
  }
  return parseManifest(text, file);
}
