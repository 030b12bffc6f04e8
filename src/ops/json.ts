/** Reading Kubernetes objects as plain JSON, where any field may be missing or of another type. */

/** A JSON object. */
export type Json = Record<string, unknown>;

/** `v` if it is an object (not an array), else `{}`. */
export function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

/** `v`'s elements as objects if it is an array, else `[]`. */
export function list(v: unknown): Json[] {
  return Array.isArray(v) ? (v as unknown[]).map(obj) : [];
}

/** `v` if it is a non-empty string. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** `v` if it is a finite number. */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
