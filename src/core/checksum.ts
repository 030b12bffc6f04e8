import { createHash } from 'crypto';

/** The pod-template annotation that carries the checksum of the configuration a pod reads. */
export const CONFIG_CHECKSUM_ANNOTATION = 'checksum/config';

/** The data of ConfigMaps a pod reads, by ConfigMap name. */
export type ConfigMapData = Readonly<Record<string, Readonly<Record<string, string>>>>;

/**
 * SHA-256 (hex) of the data of the ConfigMaps a pod reads: of the JSON array of
 * `[name, [[key, value], ...]]`, ConfigMaps sorted by name and keys by key, so the same data always
 * gives the same checksum and any changed, added or removed key or ConfigMap gives another.
 */
export function configChecksum(configMaps: ConfigMapData): string {
  const canonical = Object.keys(configMaps)
    .sort()
    .map((name) => {
      const data = configMaps[name];
      return [
        name,
        Object.keys(data)
          .sort()
          .map((key) => [key, data[key]]),
      ];
    });
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/**
 * The `checksum/config` annotation for a pod template that reads `configMaps`, or nothing when the
 * component's `configChecksums` switch is off. Kubernetes rolls a Deployment or StatefulSet when
 * its pod template changes, and a ConfigMap change alone changes no template: the annotation does.
 */
export function configChecksumAnnotations(
  enabled: boolean,
  configMaps: ConfigMapData,
): Record<string, string> {
  return enabled ? { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(configMaps) } : {};
}
