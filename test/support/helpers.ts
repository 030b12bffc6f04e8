/**
 * Small accessors and error helpers shared by the construct tests.
 *
 * Everything here reads synthesized manifests (plain JSON, see {@link K8sObject}) and narrows
 * `unknown` values instead of casting them blindly: an accessor that finds something of the wrong
 * shape throws, so a test fails loudly instead of comparing against `undefined`.
 */
import { FloeValidationError } from '../../src/core/errors';
import { findObject, get, K8sObject } from './synth';

/** A JSON object (not an array, not null) inside a synthesized manifest. */
export type Json = Record<string, unknown>;

/** One entry of a container's `env` list. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Json;
}

/** True for a JSON object, i.e. neither an array nor null. */
export function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Narrows `value` to a JSON object, or throws saying what it is instead. */
export function asJson(value: unknown): Json {
  if (!isJson(value)) {
    throw new Error(`expected an object, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Narrows `value` to an array, or throws saying what it is instead. */
export function asArray(value: unknown): unknown[] {
  if (!Array.isArray(value)) {
    throw new Error(`expected an array, got ${JSON.stringify(value)}`);
  }
  return value;
}

function isEnvVar(value: unknown): value is EnvVar {
  return (
    isJson(value) &&
    typeof value.name === 'string' &&
    (value.value === undefined || typeof value.value === 'string') &&
    (value.valueFrom === undefined || isJson(value.valueFrom))
  );
}

function asEnvVar(value: unknown): EnvVar {
  if (!isEnvVar(value)) {
    throw new Error(`expected an env var, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The pod spec (`spec.template.spec`) of the one workload `kind`/`name` in `objects`
 * (Deployment, StatefulSet, DaemonSet or Job).
 */
export function workloadPodSpec(objects: K8sObject[], kind: string, name: string): Json {
  return asJson(get(findObject(objects, kind, name), 'spec.template.spec'));
}

/**
 * A container of the workload `kind`/`name`: the one at index `which` (the first by default), or
 * the one named `which`. Throws when there is no such container.
 */
export function workloadContainer(
  objects: K8sObject[],
  kind: string,
  name: string,
  which: number | string = 0,
): Json {
  const containers = asArray(workloadPodSpec(objects, kind, name).containers).map(asJson);
  const found = typeof which === 'number' ? containers[which] : containers.find((c) => c.name === which);
  if (found === undefined) {
    throw new Error(`${kind}/${name} has no container ${which}`);
  }
  return found;
}

/** A container's `env` list, or `[]` when the container sets no `env` at all. */
export function envVars(container: Json): EnvVar[] {
  return container.env === undefined ? [] : asArray(container.env).map(asEnvVar);
}

/** The literal `value` of the env var `name` of a container (undefined if unset or set with `valueFrom`). */
export function envValue(container: Json, name: string): string | undefined {
  return envVars(container).find((e) => e.name === name)?.value;
}

/** The names of a container's env vars, in order (`[]` when it sets none). */
export function envNames(container: Json): string[] {
  return envVars(container).map((e) => e.name);
}

/**
 * A container's env as `{ NAME: value }`, where value is the literal `value` or else the
 * `valueFrom` object. Unlike {@link envVars}, throws when the container has no `env` list.
 */
export function envMap(container: Json): Record<string, unknown> {
  return Object.fromEntries(
    asArray(container.env)
      .map(asEnvVar)
      .map((e) => [e.name, e.value ?? e.valueFrom]),
  );
}

/**
 * The text under `key` in the `data` of ConfigMap `name` (keys contain dots, which `get` would
 * split). Throws when there is no such string entry.
 */
export function configMapFile(objects: K8sObject[], name: string, key: string): string {
  const value = asJson(findObject(objects, 'ConfigMap', name).data)[key];
  if (typeof value !== 'string') {
    throw new Error(`ConfigMap ${name} has no ${key}`);
  }
  return value;
}

/**
 * Calls `fn`, which must throw, and returns the message of what it threw (`String(thrown)` for a
 * non-Error). Throws when `fn` returns normally.
 */
export function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error('expected an error');
}

/**
 * Calls `fn`, which must throw a {@link FloeValidationError}, and returns that error so a test
 * can check its `message` and `field`. Anything else thrown is rethrown; throws when `fn` returns
 * normally.
 */
export function thrownValidationError(fn: () => unknown): FloeValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FloeValidationError) {
      return e;
    }
    throw e;
  }
  throw new Error('expected a FloeValidationError');
}

/** Asserts that `fn` throws a {@link FloeValidationError} whose message is exactly `message`. */
export function expectValidationError(fn: () => unknown, message: string): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(FloeValidationError);
  expect((error as Error).message).toBe(message);
}
