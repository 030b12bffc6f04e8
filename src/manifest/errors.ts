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

/** `FILE:LINE:COL: field.path: what is wrong (got VALUE, expected ...)`. */
export function formatProblem(problem: ManifestProblem): string {
  return `${problem.file}:${problem.line}:${problem.col}: ${problem.path}: ${problem.message}`;
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
    return `'${short.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
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
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The candidate closest to `word` within edit distance `max` (first one on ties), if any. */
export function closest(word: string, candidates: readonly string[], max = 2): string | undefined {
  let best: string | undefined;
  let bestDistance = max + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance && candidate !== word) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
