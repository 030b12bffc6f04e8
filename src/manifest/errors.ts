/** One problem found in a manifest file, at a position. */
export interface ManifestProblem {
  /** The file, as given. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly col: number;
  /**
   * Field path, dotted (`services.orchestrator.ingress.host`, `transforms[0].type`), or `<yaml>`
   * for a YAML syntax error and `<root>` for the document as a whole.
   */
  readonly path: string;
  /** What is wrong, e.g. `wrong type (got 3, expected a string)`. */
  readonly message: string;
}

/** Path shown for YAML syntax errors. */
export const YAML_PATH = '<yaml>';
/** Path shown for problems of the document as a whole. */
export const ROOT_PATH = '<root>';

/**
 * Characters a terminal may act on rather than show: C0 and C1 controls, DEL, line and paragraph
 * separators, and the bidirectional overrides and isolates that reorder what is shown.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every character a terminal could act on written as an escape (`\n`, `\t`, `\x1b`,
 * `\u202e`), so that a message never echoes raw control bytes from a file or an argument.
 * Printable text, backslashes included, is left as it is.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** `FILE:LINE:COL: field.path: what is wrong (got VALUE, expected ...)`, control characters escaped. */
export function formatProblem(problem: ManifestProblem): string {
  return printable(`${problem.file}:${problem.line}:${problem.col}: ${problem.path}: ${problem.message}`);
}

/** How many problems of one file are printed; the rest are counted. */
export const MAX_PROBLEMS_PER_FILE = 20;

/**
 * The lines for `problems`: at most `perFile` per file, then one line
 * `FILE: ... and N more problems` for the rest of that file.
 */
export function formatProblems(
  problems: readonly ManifestProblem[],
  perFile: number = MAX_PROBLEMS_PER_FILE,
): string[] {
  const shown = new Map<string, number>();
  const hidden = new Map<string, number>();
  const lines: string[] = [];
  for (const problem of problems) {
    const n = shown.get(problem.file) ?? 0;
    if (n < perFile) {
      shown.set(problem.file, n + 1);
      lines.push(formatProblem(problem));
    } else {
      hidden.set(problem.file, (hidden.get(problem.file) ?? 0) + 1);
    }
  }
  for (const [file, n] of hidden) {
    lines.push(printable(`${file}: ... and ${n} more problem${n === 1 ? '' : 's'}`));
  }
  return lines;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** A field path for humans: `a.b[0].c`, with odd keys quoted: `annotations["example.com/x"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) {
    return ROOT_PATH;
  }
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
    } else {
      const key = String(segment);
      out += PLAIN_KEY.test(key) ? `${out === '' ? '' : '.'}${key}` : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** A value as shown after "got": strings in single quotes (shortened), collections by kind. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') {
    const short = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `'${printable(short.replace(/\\/g, '\\\\').replace(/'/g, "\\'"))}'`;
  }
  if (value === null) {
    return 'null (an empty value)';
  }
  if (Array.isArray(value)) {
    return value.length === 0 ? 'an empty list' : 'a list';
  }
  if (typeof value === 'object') {
    return 'a mapping';
  }
  return String(value);
}

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
 * neighbours each cost 1 (`restart_timout` → `restart_timeout` is 1, `mdoe` → `mode` is 1).
 */
export function editDistance(a: string, b: string): number {
  // Three rows of the matrix (the transposition looks two rows back), not the whole matrix.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        current[j] = Math.min(current[j], before[j - 2] + 1);
      }
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length];
}

/** The candidate closest to `word` within edit distance `max` (first one on ties), if any. */
export function closest(word: string, candidates: readonly string[], max = 2): string | undefined {
  let best: string | undefined;
  let bestDistance = max + 1;
  for (const candidate of candidates) {
    // The distance is at least the difference in length: skip the matrix (a long key stays cheap).
    if (Math.abs(word.length - candidate.length) > max) continue;
    const distance = editDistance(word, candidate);
    if (distance < bestDistance && candidate !== word) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
