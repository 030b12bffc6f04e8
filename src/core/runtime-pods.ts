import { Construct } from 'constructs';
import { FloeValidationError } from './errors';
import { checkConstructProps } from './props-check';
import { validateDnsLabel } from './validation';

/** Options of `RuntimePods`. */
export interface RuntimePodsProps {
  /** Name of the policy written for these pods (a DNS label, unique among the namespace's workloads). */
  readonly name: string;
  /** Namespace the pods run in. */
  readonly namespace: string;
  /** Labels the pods carry; the stable ones (`app.kubernetes.io/name`, `/instance`, `/component`) select them. */
  readonly labels: Record<string, string>;
}

/**
 * Pods that no workload object of the app describes because something creates them at run time
 * (Dagster's run launcher starts one Job per run). Declared under the construct that makes them
 * start, they are clients of that construct's connections like its workloads, and get a policy.
 */
export class RuntimePods extends Construct {
  /** True for a `RuntimePods`. */
  public static isRuntimePods(x: unknown): x is RuntimePods {
    return x instanceof RuntimePods;
  }

  /** Policy name. */
  public readonly name: string;
  /** Namespace of the pods. */
  public readonly namespace: string;
  /** Labels of the pods. */
  public readonly labels: Readonly<Record<string, string>>;

  public constructor(scope: Construct, id: string, props: RuntimePodsProps) {
    checkConstructProps(scope, id, 'RuntimePodsProps', props);
    super(scope, id);
    this.name = validateDnsLabel(this, 'name', props.name);
    this.namespace = validateDnsLabel(this, 'namespace', props.namespace);
    if (Object.keys(props.labels).length === 0) {
      throw new FloeValidationError(this, 'labels', props.labels, 'at least one label that selects the pods');
    }
    this.labels = { ...props.labels };
  }
}
