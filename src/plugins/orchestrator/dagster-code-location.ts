import { IConstruct } from 'constructs';
import { FloeValidationError } from '../../core/errors';
import { ContainerImage } from '../../core/image';
import { RunAs, SchedulingOptions } from '../../core/pod';
import { ResourceRequirements } from '../../core/resources';
import { validateDnsLabel } from '../../core/validation';
import type { CatalogAccessOptions } from '../catalog/catalog-access';

/** The port Dagster's tooling and chart use for code servers. */
export const DAGSTER_CODE_SERVER_PORT = 3030;

/**
 * Longest code location name: the Service is `dagster-<name>` (a DNS label of at most 63
 * characters) and the init containers that wait for it are `wait-for-<name>`, with room to spare.
 */
export const MAX_CODE_LOCATION_NAME_LENGTH = 48;

/**
 * Names that would collide with the webserver's, daemon's and run pods' objects
 * (`dagster-webserver`, `dagster-daemon`, the run pods' ServiceAccount `dagster-run`).
 */
const RESERVED_NAMES = ['webserver', 'daemon', 'run'];

const PYTHON_DOTTED_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const PYTHON_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATH_WITHOUT_SPACES = /^\S+$/;

/**
 * A Dagster code location: a gRPC code server (`dagster api grpc`) running the user's image,
 * with its own Deployment and Service `dagster-<name>` on its port. The webserver and daemon
 * reach it through `workspace.yaml`; runs of its jobs are launched as Kubernetes Jobs with the
 * same image.
 *
 * Exactly one of `moduleName`, `pythonFile` and `packageName` says where the definitions are.
 */
export interface DagsterCodeLocation extends SchedulingOptions {
  /**
   * Code location name, as shown in the UI; the Deployment and Service are `dagster-<name>`.
   * A DNS-1123 label of at most 48 characters, not `webserver`, `daemon` or `run`. Required.
   */
  readonly name: string;
  /**
   * The user-code image, pinned. It must contain `dagster`, `dagster-postgres` and `dagster-k8s`
   * at the same Dagster version as the instance (and `dagster-aws` when the platform has object
   * storage: run pods write the step logs there), plus the code. Run pods use it too. The
   * platform's registry mirror is not applied to it. Required.
   */
  readonly image: ContainerImage;
  /**
   * Python module whose top-level `Definitions` are loaded (`dagster api grpc -m`).
   * @default - none (one of moduleName, pythonFile, packageName is required)
   */
  readonly moduleName?: string;
  /**
   * Python file, inside the image, whose `Definitions` are loaded (`dagster api grpc -f`).
   * @default - none (one of moduleName, pythonFile, packageName is required)
   */
  readonly pythonFile?: string;
  /**
   * Installed Python package whose `Definitions` are loaded (`dagster api grpc --package-name`).
   * @default - none (one of moduleName, pythonFile, packageName is required)
   */
  readonly packageName?: string;
  /**
   * Attribute holding the definitions when the target has several (`-a`).
   * @default - Dagster finds the definitions itself
   */
  readonly attribute?: string;
  /**
   * Working directory the code server loads from (`-d`).
   * @default - the image's working directory
   */
  readonly workingDirectory?: string;
  /**
   * gRPC port of the code server and of its Service.
   * @default 3030
   */
  readonly port?: number;
  /**
   * Number of code server pods (the floe docs' "workers"). With more than one, a
   * PodDisruptionBudget keeps `min(2, replicas - 1)` of them available and they are spread over
   * zones and nodes.
   * @default - the sizing preset's workers: light 2, medium 5, heavy 10
   */
  readonly replicas?: number;
  /**
   * Requests and limits of the code server container.
   * @default - requests 250m CPU / 512Mi, limits 1000m CPU / 1Gi
   */
  readonly resources?: ResourceRequirements;
  /**
   * Extra environment variables of the code server, also passed to the run pods launched from
   * it. `HOME` may be set here (it replaces the default `/tmp`); other names the construct sets
   * are refused.
   * @default - none
   */
  readonly extraEnv?: Record<string, string>;
  /**
   * Numeric user and group the code server and its run pods run as. The image's files must be
   * readable by it; the root filesystem is read-only (`/tmp`, `HOME=/tmp` and `DAGSTER_HOME` are writable).
   * @default - UID/GID 1001, as the webserver and daemon
   */
  readonly runAs?: RunAs;
  /**
   * How the runs of this code location (and its code server, for sensors, when it runs in the
   * run namespace) authenticate to the Iceberg catalog. By default, on Polaris, the location gets
   * a principal of its own, `dagster-<name>`, that reads and writes its namespace of the warehouse
   * (`<name>` with '-' replaced by '_') and nothing else, with the credentials written to the
   * Secret `dagster-<name>-catalog-credentials` in the run namespace (docs/catalog-access.md; the
   * name must then be at most 40 characters). `existingSecret` names a Secret instead; `false`
   * gives no credentials.
   * @default - with a catalog that can set up principals (Polaris): a principal of its own
   */
  readonly catalogAccess?: CatalogAccessOptions | false;
}

/** Checks a code location's name and returns it. */
export function validateCodeLocationName(scope: IConstruct, field: string, name: string): string {
  validateDnsLabel(scope, field, name, MAX_CODE_LOCATION_NAME_LENGTH);
  if (RESERVED_NAMES.includes(name)) {
    throw new FloeValidationError(
      scope,
      field,
      name,
      `a name other than ${RESERVED_NAMES.map((n) => `'${n}'`).join(', ')} (its objects would be named like the webserver's, daemon's or run pods')`,
    );
  }
  return name;
}

/**
 * The `dagster api grpc` arguments that say where the code is: exactly one of `-m`, `-f`,
 * `--package-name`, optionally `-a` and `-d`. Validates them.
 */
export function codeLocationTargetArgs(scope: IConstruct, field: string, loc: DagsterCodeLocation): string[] {
  const targets = [
    ['moduleName', loc.moduleName],
    ['pythonFile', loc.pythonFile],
    ['packageName', loc.packageName],
  ].filter((t): t is [string, string] => t[1] !== undefined);
  if (targets.length !== 1) {
    throw new FloeValidationError(
      scope,
      field,
      Object.fromEntries(targets),
      'exactly one of moduleName, pythonFile or packageName',
    );
  }
  const args: string[] = [];
  if (loc.moduleName !== undefined) {
    args.push(
      '-m',
      checkPattern(
        scope,
        `${field}.moduleName`,
        loc.moduleName,
        PYTHON_DOTTED_NAME,
        'a dotted Python module name, e.g. "analytics.definitions"',
      ),
    );
  }
  if (loc.pythonFile !== undefined) {
    args.push(
      '-f',
      checkPattern(
        scope,
        `${field}.pythonFile`,
        loc.pythonFile,
        PATH_WITHOUT_SPACES,
        'a path to a Python file without whitespace',
      ),
    );
  }
  if (loc.packageName !== undefined) {
    args.push(
      '--package-name',
      checkPattern(
        scope,
        `${field}.packageName`,
        loc.packageName,
        PYTHON_DOTTED_NAME,
        'a dotted Python package name',
      ),
    );
  }
  if (loc.attribute !== undefined) {
    args.push(
      '-a',
      checkPattern(scope, `${field}.attribute`, loc.attribute, PYTHON_IDENTIFIER, 'a Python identifier'),
    );
  }
  if (loc.workingDirectory !== undefined) {
    args.push(
      '-d',
      checkPattern(
        scope,
        `${field}.workingDirectory`,
        loc.workingDirectory,
        PATH_WITHOUT_SPACES,
        'a directory path without whitespace',
      ),
    );
  }
  return args;
}

function checkPattern(
  scope: IConstruct,
  field: string,
  value: string,
  pattern: RegExp,
  allowed: string,
): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new FloeValidationError(scope, field, value, allowed);
  }
  return value;
}
