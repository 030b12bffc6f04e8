import { IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { FloeValidationError } from './errors';
import { SecretKeyRef } from './secrets';
import { validateEnvName } from './validation';

/** A plain environment variable. */
export function plainEnv(name: string, value: string): k8s.EnvVar {
  return { name, value };
}

/** An environment variable read from one key of an existing Secret. */
export function secretEnv(name: string, ref: SecretKeyRef): k8s.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } };
}

/** An environment variable from the downward API, e.g. `status.podIP`. */
export function fieldEnv(name: string, fieldPath: string): k8s.EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/**
 * Appends the user's extra variables (sorted by name, for stable output) to a container's own.
 * A name that the component already sets is refused: two entries with one name are rejected by
 * server-side apply, and silently overriding a variable the component relies on breaks it.
 */
export function withExtraEnv(
  scope: IConstruct,
  field: string,
  base: k8s.EnvVar[],
  extra: Record<string, string> | undefined,
): k8s.EnvVar[] {
  const seen = new Set<string>();
  for (const e of base) {
    if (seen.has(e.name)) {
      throw new Error(`internal: duplicate env var ${e.name} at ${scope.node.path}`);
    }
    seen.add(e.name);
  }
  const result = [...base];
  for (const name of Object.keys(extra ?? {}).sort()) {
    validateEnvName(scope, `${field}.${name}`, name);
    if (seen.has(name)) {
      throw new FloeValidationError(
        scope,
        `${field}.${name}`,
        extra?.[name],
        `a variable the component does not set itself (it sets ${[...seen].sort().join(', ')})`,
      );
    }
    result.push(plainEnv(name, (extra ?? {})[name]));
  }
  return result;
}
