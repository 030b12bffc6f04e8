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
