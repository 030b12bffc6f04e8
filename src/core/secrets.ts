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
