import { IConstruct } from 'constructs';
import { closest } from '../manifest/errors';
import { FloePropsError, FloeValidationError } from './errors';
import { PROPS_SHAPES, PropsShapeName } from './props-shapes.generated';

/**
 * The checks TypeScript's compiler makes on props, made again at run time for JavaScript callers
 * (and for values TypeScript cannot see, such as JSON or `as` casts): unknown keys, values of the
 * wrong kind, missing required values. The shapes come from the TypeScript declarations
 * (`npm run props-shapes` writes ./props-shapes.generated.ts), so they follow the interfaces.
 * Internal: not exported from the package.
 */

/** What a value must be. Generated from a TypeScript type; see scripts/props-shapes.js. */
export type PropKind =
  | 'string'
  | 'number'
  | 'boolean'
  | 'function'
  | 'object'
  | 'undefined'
  | 'unknown'
  | { readonly lit: readonly (string | number | boolean | null)[] }
  | { readonly array: PropKind }
  | { readonly record: PropKind }
  | { readonly shape: string }
  | { readonly instance: string }
  | { readonly union: readonly PropKind[] };

/**
 * A props/options type: its keys (`props`), which of them must be set (`required`) and the kind of
 * any other key (`index`, for types with an index signature); or a contract such as
 * `PluginProvider` (any object whose methods `contract` lists are functions; `examples` are
 * factories that return one).
 */
export type PropsShape =
  | {
      readonly props: Readonly<Record<string, PropKind>>;
      readonly required: readonly string[];
      readonly index?: PropKind;
    }
  | { readonly contract: readonly string[]; readonly examples?: readonly string[] };

/** One problem: where under the props, the value, what was expected. */
interface Problem {
  readonly field: string;
  readonly value: unknown;
  readonly allowed: string;
}

const SHAPES: Readonly<Record<string, PropsShape>> = PROPS_SHAPES;
// Keys shown after a dot (`externalDatabases.orchestrator-db`); others in brackets, as in manifests.
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
// A string given where a Secret reference belongs may be the secret itself: it is never shown.
const SECRET_REF_SHAPE = 'SecretKeyRef';
const NOT_SHOWN = '<a string, not shown: it may be a secret>';

/**
 * The path a construct with this `id` under `scope` gets, for a check made before `super()` (so
 * that bad props leave nothing in the construct tree).
 */
export function childPath(scope: IConstruct | undefined, id: string): string {
  const parent = (scope as { node?: { path?: unknown } } | undefined)?.node?.path;
  const own = String(id).replace(/\//g, '--');
  return typeof parent === 'string' && parent !== '' ? `${parent}/${own}` : own;
}

/**
 * Checks the props of the construct `id` under `scope` against their TypeScript type, before the
 * construct exists. Throws a `FloePropsError` with every problem.
 */
export function checkConstructProps(
  scope: IConstruct | undefined,
  id: string,
  shape: PropsShapeName,
  props: unknown,
): void {
  checkProps(childPath(scope, id), shape, props);
}

/**
 * Checks props or options against their TypeScript type `shape`: every key known, every value of
 * the declared kind (recursively through nested objects, arrays and records), every required key
 * set. Throws one `FloePropsError` listing every problem, each naming `where` (a construct path,
 * or the function called, e.g. `Dagster.provider()`) and the prop, under `field` when the options
 * are one prop of something larger (e.g. `ingress.orchestrator`).
 */
export function checkProps(
  where: IConstruct | string,
  shape: PropsShapeName,
  props: unknown,
  field = '',
): void {
  const problems: Problem[] = [];
  const rootField = field || (shape.endsWith('Props') ? 'props' : 'options');
  checkKind({ shape }, props, field, problems, rootField);
  if (problems.length > 0) {
    throw new FloePropsError(
      problems.map((p) => new FloeValidationError(where, p.field, preview(p.value), p.allowed)),
    );
  }
}

function join(field: string, key: string): string {
  if (PLAIN_KEY.test(key)) return field === '' ? key : `${field}.${key}`;
  return `${field}[${JSON.stringify(key)}]`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks `value` against `kind`, adding a problem for each mismatch to `out`. */
function checkKind(kind: PropKind, value: unknown, field: string, out: Problem[], rootField?: string): void {
  const problem = (): void => {
    out.push({ field: field || rootField || 'value', value, allowed: describe(kind) });
  };
  if (typeof kind === 'string') {
    switch (kind) {
      case 'unknown':
        return;
      case 'object':
        if (typeof value !== 'object' || value === null) problem();
        return;
      case 'undefined':
        if (value !== undefined) problem();
        return;
      default:
        if (typeof value !== kind) problem();
        return;
    }
  }
  if ('lit' in kind) {
    if (!kind.lit.includes(value as string)) problem();
  } else if ('array' in kind) {
    if (!Array.isArray(value)) return problem();
    value.forEach((item, i) => checkKind(kind.array, item, `${field}[${i}]`, out));
  } else if ('record' in kind) {
    if (!isObject(value)) return problem();
    for (const key of Object.keys(value)) checkKind(kind.record, value[key], join(field, key), out);
  } else if ('instance' in kind) {
    if (!isInstanceOf(value, kind.instance)) problem();
  } else if ('union' in kind) {
    checkUnion(kind, kind.union, value, field, out, rootField);
  } else {
    checkShape(kind.shape, value, field, out, rootField);
  }
}

function checkShape(name: string, value: unknown, field: string, out: Problem[], rootField?: string): void {
  const shape = SHAPES[name];
  if (!isObject(value)) {
    const shown = name === SECRET_REF_SHAPE && typeof value === 'string' ? NOT_SHOWN : value;
    out.push({ field: field || rootField || 'value', value: shown, allowed: describe({ shape: name }) });
    return;
  }
  if ('contract' in shape) {
    if (shape.contract.some((method) => typeof value[method] !== 'function')) {
      out.push({ field: field || rootField || 'value', value, allowed: describe({ shape: name }) });
    }
    return;
  }
  for (const key of Object.keys(value)) {
    const kind = shape.props[key];
    if (kind !== undefined) {
      if (value[key] !== undefined || shape.required.includes(key)) {
        checkKind(kind, value[key], join(field, key), out);
      }
    } else if (shape.index !== undefined) {
      checkKind(shape.index, value[key], join(field, key), out);
    } else {
      const known = Object.keys(shape.props);
      const near = closest(key, known);
      out.push({
        field: join(field, key),
        value: value[key],
        allowed: `one of the known props of ${name}${near ? ` (did you mean '${near}'?)` : ''}: ${known.join(', ')}`,
      });
    }
  }
  for (const key of shape.required) {
    if (!(key in value)) {
      out.push({
        field: join(field, key),
        value: undefined,
        allowed: `${describe(shape.props[key], true)} (required)`,
      });
    }
  }
}

/**
 * A union: fine when one alternative accepts the value. Otherwise, when exactly one structured
 * alternative (object, array, record) has the value's basic type, its own problems are reported
 * (they are more precise, e.g. `monitoring.bogus`), else one problem naming every alternative.
 */
function checkUnion(
  kind: PropKind,
  alternatives: readonly PropKind[],
  value: unknown,
  field: string,
  out: Problem[],
  rootField?: string,
): void {
  const attempts: Problem[][] = [];
  for (const alternative of alternatives) {
    const found: Problem[] = [];
    checkKind(alternative, value, field, found, rootField);
    if (found.length === 0) return;
    attempts.push(found);
  }
  const structured = alternatives.flatMap((alternative, i) => (holdsParts(alternative, value) ? [i] : []));
  if (structured.length === 1) {
    out.push(...attempts[structured[0]]);
    return;
  }
  out.push({ field: field || rootField || 'value', value, allowed: describe(kind) });
}

/** Whether `kind` is an array, record or props type and `value` one too (whose parts can be checked). */
function holdsParts(kind: PropKind, value: unknown): boolean {
  if (typeof kind === 'string') return false;
  if ('array' in kind) return Array.isArray(value);
  if ('record' in kind) return isObject(value);
  if ('shape' in kind) return isObject(value) && !('contract' in SHAPES[kind.shape]);
  return false;
}

function isInstanceOf(value: unknown, className: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (let proto = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
    if ((proto.constructor as { name?: unknown } | undefined)?.name === className) return true;
  }
  return false;
}

/** `a`, `a or b`, `a, b or c` (with `serial`: `a, b, or c`, for phrases that contain "or"). */
function orList(items: readonly string[], serial = false): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')}${serial && items.length > 2 ? ',' : ''} or ${items[items.length - 1]}`;
}

/**
 * What `kind` allows, for an error message. `brief` leaves out how to make a contract (for a
 * missing value, where the type's name says enough).
 */
export function describe(kind: PropKind, brief = false): string {
  if (typeof kind === 'string') {
    return {
      string: 'a string',
      number: 'a number',
      boolean: 'true or false',
      function: 'a function',
      object: 'an object',
      undefined: 'undefined',
      unknown: 'anything',
    }[kind];
  }
  if ('lit' in kind) return orList(kind.lit.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))));
  if ('array' in kind) return `an array (each ${describe(kind.array)})`;
  if ('record' in kind) return `an object of names to values (each ${describe(kind.record)})`;
  if ('instance' in kind) return `a ${kind.instance}`;
  if ('union' in kind)
    return orList(
      kind.union.map((k) => describe(k)),
      true,
    );
  const shape = SHAPES[kind.shape];
  if ('contract' in shape) {
    if (brief) return `a ${kind.shape}`;
    const methods = shape.contract.map((m) => `${m}()`);
    const what =
      methods.length === 0
        ? 'an object'
        : `an object with ${methods.length === 1 ? `a ${methods[0]} method` : `the methods ${methods.join(', ')}`}`;
    const examples = shape.examples?.length ? `, e.g. ${orList(shape.examples)}` : '';
    return `a ${kind.shape} (${what}${examples})`;
  }
  return `an object (${kind.shape})`;
}

/**
 * The value as the message shows it: short plain values as they are, other objects by what they
 * are, and never a string given where a Secret reference belongs.
 */
function preview(value: unknown): unknown {
  if (typeof value === 'function') return `<function ${value.name || '(anonymous)'}>`;
  if (typeof value !== 'object' || value === null) return value;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    return `<a ${(proto.constructor as { name?: string } | undefined)?.name || 'object'}>`;
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  if (json !== undefined && json.length <= 80) return value;
  return Array.isArray(value)
    ? `<an array of ${value.length} items>`
    : `<an object with keys ${Object.keys(value).join(', ')}>`;
}
