import { IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { ContainerImage, ImageOverride, resolveImage } from './image';
import { buildContainer, RunAs } from './pod';
import { WAIT_CONTAINER_RESOURCES } from './resources';

/** busybox, for init containers that wait until a dependency accepts TCP connections. */
export const BUSYBOX_IMAGE: ContainerImage = {
  registry: 'docker.io',
  repository: 'library/busybox',
  tag: '1.37.0',
};

/** busybox's `nobody`: a non-root user that exists in the image. */
const BUSYBOX_RUN_AS: RunAs = { user: 65534, group: 65534 };

/** A dependency an init container waits for. */
export interface TcpDependency {
  /** Container name, e.g. `wait-for-catalog-db`. */
  readonly name: string;
  /** Host (a Service DNS name). */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
}

/** How long a wait script retries before it gives up (seconds), unless told otherwise. */
export const DEFAULT_WAIT_SECONDS = 300;

/** The longest pause between two tries of a wait script (seconds). */
export const MAX_WAIT_DELAY_SECONDS = 30;

/**
 * A POSIX `sh` loop that runs `check` until it succeeds: tries again after 1 s, then 2, 4, 8, ...
 * up to `MAX_WAIT_DELAY_SECONDS` between tries, and after `maxSeconds` (by the clock) gives up
 * with exit status 1 and `gave up waiting for <what> after <n>s` on stderr. Each retry logs what it
 * waits for and how long it has waited. In an init container the kubelet then restarts it with its
 * own back-off (the pod shows the failure instead of hanging in `Init`); in a Job it fails the pod,
 * and the Job's `backoffLimit` and `activeDeadlineSeconds` bound the rest. The script contains
 * neither `$(` nor `$$`, which the kubelet would expand.
 */
export function boundedWaitScript(
  what: string,
  check: string,
  maxSeconds: number = DEFAULT_WAIT_SECONDS,
): string {
  return [
    'start=`date +%s`',
    'delay=1',
    `until ${check}; do`,
    '  waited=`date +%s`',
    '  waited=`expr "$waited" - "$start"`',
    `  if [ "$waited" -ge ${maxSeconds} ]; then echo "gave up waiting for ${what} after \${waited}s" >&2; exit 1; fi`,
    `  echo "waiting for ${what} (\${waited}s so far; next try in \${delay}s)"`,
    '  sleep "$delay"',
    '  delay=`expr "$delay" \\* 2`',
    `  if [ "$delay" -gt ${MAX_WAIT_DELAY_SECONDS} ]; then delay=${MAX_WAIT_DELAY_SECONDS}; fi`,
    'done',
  ].join('\n');
}

/**
 * An init container that blocks until `host:port` accepts TCP connections, so a pod does not
 * crash-loop while what it needs is still starting. It retries with capped exponential back-off
 * for `DEFAULT_WAIT_SECONDS` (`boundedWaitScript`), then fails with a message saying what it
 * waited for and how long.
 */
export function waitForTcpContainer(
  scope: IConstruct,
  dep: TcpDependency,
  registryMirror?: string,
  image?: ImageOverride,
): k8s.Container {
  return busyboxWait(
    scope,
    dep.name,
    boundedWaitScript(`${dep.host}:${dep.port}`, `nc -z -w 2 ${dep.host} ${dep.port}`),
    registryMirror,
    image,
  );
}

/** An HTTP endpoint an init container waits for. */
export interface HttpDependency {
  /** Container name, e.g. `wait-for-minio-quorum`. */
  readonly name: string;
  /** What is waited for, for the log and the failure message. */
  readonly what: string;
  /** URL that answers 2xx once the dependency is ready. */
  readonly url: string;
}

/**
 * An init container (busybox) that blocks until `url` answers with a 2xx status: busybox `wget`
 * exits non-zero on a refused connection and on any error status. Bounded like
 * `waitForTcpContainer`.
 */
export function waitForHttpContainer(
  scope: IConstruct,
  dep: HttpDependency,
  registryMirror?: string,
  image?: ImageOverride,
): k8s.Container {
  return busyboxWait(
    scope,
    dep.name,
    boundedWaitScript(dep.what, `wget -q -T 5 -O /dev/null ${dep.url}`),
    registryMirror,
    image,
  );
}

/** An init container of busybox (as `nobody`) that runs a wait script. */
function busyboxWait(
  scope: IConstruct,
  name: string,
  script: string,
  registryMirror?: string,
  image?: ImageOverride,
): k8s.Container {
  return buildContainer(
    scope,
    {
      name,
      image: resolveImage(scope, 'waitImage', BUSYBOX_IMAGE, image, registryMirror),
      command: ['sh', '-c', script],
      resources: WAIT_CONTAINER_RESOURCES,
      resourcesField: 'waitResources',
    },
    BUSYBOX_RUN_AS,
  );
}
