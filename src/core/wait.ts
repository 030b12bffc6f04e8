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

/**
 * An init container that blocks until `host:port` accepts TCP connections, so a pod does not
 * crash-loop while what it needs is still starting. It retries every 2 s, without a deadline:
 * the pod's own status shows `Init:0/1` while it waits.
 */
export function waitForTcpContainer(
  scope: IConstruct,
  dep: TcpDependency,
  registryMirror?: string,
  image?: ImageOverride,
): k8s.Container {
  const script =
    `until nc -z -w 2 ${dep.host} ${dep.port}; do ` +
    `echo "waiting for ${dep.host}:${dep.port}"; sleep 2; done`;
  return buildContainer(
    scope,
    {
      name: dep.name,
      image: resolveImage(scope, 'waitImage', BUSYBOX_IMAGE, image, registryMirror),
      command: ['sh', '-c', script],
      resources: WAIT_CONTAINER_RESOURCES,
      resourcesField: 'waitResources',
    },
    BUSYBOX_RUN_AS,
  );
}
