import { k8s } from 'cdk8s-plus-28';

/** Timing of a probe, in seconds. */
export interface ProbeTiming {
  /** @default 0 */
  readonly initialDelaySeconds?: number;
  /** @default 10 */
  readonly periodSeconds?: number;
  /** @default 5 */
  readonly timeoutSeconds?: number;
  /** @default 3 */
  readonly failureThreshold?: number;
}

function timing(
  t: ProbeTiming = {},
): Pick<k8s.Probe, 'initialDelaySeconds' | 'periodSeconds' | 'timeoutSeconds' | 'failureThreshold'> {
  return {
    ...(t.initialDelaySeconds ? { initialDelaySeconds: t.initialDelaySeconds } : {}),
    periodSeconds: t.periodSeconds ?? 10,
    timeoutSeconds: t.timeoutSeconds ?? 5,
    failureThreshold: t.failureThreshold ?? 3,
  };
}

/** An HTTP GET probe on a named or numbered container port. */
export function httpProbe(path: string, port: string | number, t?: ProbeTiming): k8s.Probe {
  return {
    httpGet: {
      path,
      port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port),
    },
    ...timing(t),
  };
}

/** A probe that runs a command in the container; exit 0 means healthy. */
export function execProbe(command: string[], t?: ProbeTiming): k8s.Probe {
  return { exec: { command }, ...timing(t) };
}

/** A TCP connect probe on a named or numbered container port. */
export function tcpProbe(port: string | number, t?: ProbeTiming): k8s.Probe {
  return {
    tcpSocket: {
      port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port),
    },
    ...timing(t),
  };
}
