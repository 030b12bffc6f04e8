import { IConstruct } from 'constructs';
import { FloeValidationError } from './errors';

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const REGISTRY = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9._-]+)*$/;
const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** A container image, split so that the registry can be mirrored and the tag overridden. */
export interface ContainerImage {
  /** Registry host (and optional path prefix), e.g. `docker.io`, `quay.io`. */
  readonly registry: string;
  /** Repository within the registry, e.g. `apache/polaris`. */
  readonly repository: string;
  /** A pinned tag that exists upstream. `latest` is refused. */
  readonly tag: string;
}

/** Per-component image override. Every field is optional and falls back to the component's default. */
export interface ImageOverride {
  /**
   * Registry host, e.g. a pull-through mirror `registry.example.com/dockerhub`.
   * @default - the platform's `imageRegistry` if set, else the upstream registry
   */
  readonly registry?: string;
  /**
   * Repository within the registry.
   * @default - the upstream repository
   */
  readonly repository?: string;
  /**
   * Tag. Must be pinned: `latest` is refused.
   * @default - the version this library is tested with
   */
  readonly tag?: string;
}

/**
 * Resolves the image a container runs: the override's fields win, then the platform-wide registry
 * mirror, then the component default. Validates the result.
 */
export function resolveImage(
  scope: IConstruct,
  field: string,
  defaults: ContainerImage,
  override?: ImageOverride,
  registryMirror?: string,
): ContainerImage {
  const image: ContainerImage = {
    registry: override?.registry ?? registryMirror ?? defaults.registry,
    repository: override?.repository ?? defaults.repository,
    tag: override?.tag ?? defaults.tag,
  };
  if (!REGISTRY.test(image.registry)) {
    throw new FloeValidationError(
      scope,
      `${field}.registry`,
      image.registry,
      'a registry host with optional port and path, e.g. "quay.io" or "mirror.example.com:5000/dockerhub"',
    );
  }
  if (!REPOSITORY.test(image.repository)) {
    throw new FloeValidationError(
      scope,
      `${field}.repository`,
      image.repository,
      'a lower-case repository path, e.g. "apache/polaris"',
    );
  }
  if (!TAG.test(image.tag) || image.tag === 'latest') {
    throw new FloeValidationError(
      scope,
      `${field}.tag`,
      image.tag,
      "a pinned tag (letters, digits, '_', '.', '-'; not 'latest')",
    );
  }
  return image;
}

/** The full image reference `registry/repository:tag`. */
export function imageReference(image: ContainerImage): string {
  return `${image.registry}/${image.repository}:${image.tag}`;
}
