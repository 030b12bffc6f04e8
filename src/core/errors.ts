import { IConstruct } from 'constructs';

/**
 * Thrown when a construct is given a property value it cannot turn into a working manifest.
 *
 * The message always names where (the construct path), what (the property), the value that was
 * given and what would have been accepted, so the user can fix the input without reading a trace.
 */
export class FloeValidationError extends Error {
  /** Path of the construct that rejected the value, e.g. `platform/catalog`. */
  public readonly constructPath: string;
  /** Property that holds the bad value, e.g. `webserver.replicas`. */
  public readonly field: string;
  /** The rejected value. */
  public readonly value: unknown;
  /** A description of what is allowed. */
  public readonly allowed: string;

  public constructor(scope: IConstruct | string, field: string, value: unknown, allowed: string) {
    const path = typeof scope === 'string' ? scope : scope.node.path || '<root>';
    super(`${path}: invalid ${field}: got ${formatValue(value)}, expected ${allowed}`);
    this.name = 'FloeValidationError';
    this.constructPath = path;
    this.field = field;
    this.value = value;
    this.allowed = allowed;
  }
}

/**
 * Every problem `checkProps` found in the props or options of one call (unknown keys, values of the
 * wrong kind, missing required values), thrown before anything is built. The message has one line
 * per problem, each in the `FloeValidationError` format (`<path>: invalid <prop>: got ..., expected
 * ...`); `constructPath`, `field`, `value` and `allowed` are those of the first problem.
 */
export class FloePropsError extends FloeValidationError {
  /** Every problem, in the order of the props. */
  public readonly problems: readonly FloeValidationError[];

  public constructor(problems: readonly FloeValidationError[]) {
    if (problems.length === 0) {
      throw new Error('internal: FloePropsError without problems');
    }
    const first = problems[0];
    super(first.constructPath, first.field, first.value, first.allowed);
    this.name = 'FloePropsError';
    this.message = problems.map((p) => p.message).join('\n');
    this.problems = problems;
  }
}

/** Renders a value for an error message: strings quoted, everything else as JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined) {
    return 'undefined';
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return String(value);
  }
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
