/**
 * A reference to one key of a Kubernetes Secret that already exists in the namespace.
 * The library never writes secret values: it only refers to them.
 */
export interface SecretKeyRef {
  /** Name of the Secret. */
  readonly name: string;
  /** Key within the Secret's data. */
  readonly key: string;
}

/**
 * A Secret a deployment of this library expects to exist, with the keys it must hold.
 * Constructs list these so the README and `kubectl create secret` lines stay true.
 */
export interface SecretRequirement {
  /** Name of the Secret. */
  readonly name: string;
  /** Keys the Secret must contain. */
  readonly keys: readonly string[];
  /** What the Secret is for, one sentence. */
  readonly purpose: string;
}

/**
 * Merges Secret requirements by name (keys united, purposes joined), sorted by name, so a Secret
 * several parts read is listed once with every key any of them needs.
 */
export function mergeSecretRequirements(requirements: Iterable<SecretRequirement>): SecretRequirement[] {
  const byName = new Map<string, { keys: Set<string>; purposes: string[] }>();
  for (const req of requirements) {
    const entry = byName.get(req.name) ?? { keys: new Set<string>(), purposes: [] };
    req.keys.forEach((k) => entry.keys.add(k));
    if (!entry.purposes.includes(req.purpose)) entry.purposes.push(req.purpose);
    byName.set(req.name, entry);
  }
  return [...byName.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, e]) => ({ name, keys: [...e.keys].sort(), purpose: e.purposes.join('; ') }));
}
