import { Chart, Testing } from 'cdk8s';

/** A synthesized Kubernetes object, as plain JSON. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
};

/** Builds constructs in a fresh chart (namespace `floe-platform` unless given) and synthesizes it. */
export function synthChart(
  build: (chart: Chart) => void,
  namespace: string | null = 'floe-platform',
): K8sObject[] {
  const app = Testing.app();
  const chart = new Chart(app, 'test', namespace === null ? {} : { namespace });
  build(chart);
  return Testing.synth(chart) as K8sObject[];
}

/**
 * Like {@link synthChart}, and also hands back what `build` returned (typically the construct
 * under test, so a test can check its public properties against the manifests).
 */
export function synthBuilt<T>(
  build: (chart: Chart) => T,
  namespace: string | null = 'floe-platform',
): { objects: K8sObject[]; built: T } {
  let result: { value: T } | undefined;
  const objects = synthChart((chart) => {
    result = { value: build(chart) };
  }, namespace);
  if (result === undefined) {
    throw new Error('not built');
  }
  return { objects, built: result.value };
}

/** Finds exactly one object by kind and name, or throws listing what there is. */
export function findObject(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) {
    const have = objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ');
    throw new Error(`expected one ${kind}/${name}, found ${found.length}; objects: ${have}`);
  }
  return found[0];
}

/** Loose accessor for nested JSON in assertions: `get(obj, 'spec.template.spec.containers.0.name')`. */
export function get(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) {
      return undefined;
    }
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * Freezes `value` and everything in it (objects and arrays), and returns it: for synthesized
 * objects that several tests read, so that a test that modified them (and so another test's input)
 * fails with a TypeError instead.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * `build`, run once on first use: every call returns that first result. For an app that several
 * tests of a file read: synthesizing it once instead of once per test; freeze what the tests read
 * (`deepFreeze`), as they share it.
 */
export function once<T>(build: () => T): () => T {
  let result: { value: T } | undefined;
  return () => {
    if (result === undefined) result = { value: build() };
    return result.value;
  };
}
