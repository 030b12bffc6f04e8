import { IConstruct } from 'constructs';
import { FloeValidationError } from '../core/errors';
import { checkProps } from '../core/props-check';
import { ResourceRequirements } from '../core/resources';
import { validateDnsLabel, validateEnvName } from '../core/validation';

/** What a pipeline step does. */
export type StepKind = 'dlt-ingest' | 'dbt-run' | 'dbt-test' | 'quality-check';

/** Where the steps of one run share files (dbt's `target/` and `logs/`, dlt's working data). */
export const WORKSPACE_PATH = '/workspace';

/** Where the dbt steps look for the dbt project (and `profiles.yml`) unless told otherwise. */
export const DEFAULT_DBT_PROJECT_DIR = '/app/dbt';

/**
 * dbt writes `target/` (compiled SQL, `manifest.json`, `run_results.json`, the partial-parse file)
 * and `logs/` into the project directory unless `DBT_TARGET_PATH` / `DBT_LOG_PATH` say otherwise;
 * the image is read-only, so both go to the shared workspace (where `dbt test` also finds the
 * manifest `dbt run` wrote).
 */
export const DBT_TARGET_PATH = `${WORKSPACE_PATH}/dbt/target`;
/** See `DBT_TARGET_PATH`. */
export const DBT_LOG_PATH = `${WORKSPACE_PATH}/dbt/logs`;
/** dlt keeps each pipeline's working directory under `DLT_DATA_DIR` (else `~/.dlt`). */
export const DLT_DATA_DIR = `${WORKSPACE_PATH}/dlt`;

/**
 * One step of a pipeline: a container command. Build steps with `ingest.dlt()`, `dbt.run()`,
 * `dbt.test()` and `quality.check()`.
 */
export interface Step {
  /** What the step does; decides the ordering rules. */
  readonly kind: StepKind;
  /** Container name: a DNS label, unique within the pipeline. */
  readonly name: string;
  /** Command and arguments (exec form, no shell). */
  readonly command: readonly string[];
  /** Plain environment variables the step kind needs (e.g. `DBT_TARGET_PATH`); never secrets. */
  readonly env: Readonly<Record<string, string>>;
  /** The user's extra plain environment variables for this step (`StepOptions.env`). */
  readonly extraEnv: Readonly<Record<string, string>>;
  /**
   * Working directory.
   * @default - the image's
   */
  readonly workingDir?: string;
  /**
   * Resources of this step's container.
   * @default - the pipeline's
   */
  readonly resources?: ResourceRequirements;
  /** Kinds of step this one checks: it must come after at least one of them. Empty: checks nothing. */
  readonly checks: readonly StepKind[];
  /** The builder options that shaped the command, validated by the pipeline (`steps[i].<option>`). */
  readonly options: Readonly<Record<string, unknown>>;
}

/** Options every step builder takes. */
export interface StepOptions {
  /**
   * Container name (DNS label, unique within the pipeline).
   * @default - from the step kind: `dbt-run`, `dbt-test`, `quality-check`, `dlt-<source>`
   */
  readonly name?: string;
  /**
   * Resources of this step's container.
   * @default - the pipeline's resources
   */
  readonly resources?: ResourceRequirements;
  /**
   * Extra plain environment variables of this step. Secrets belong in the pipeline's `credentials`.
   * @default - none
   */
  readonly env?: Record<string, string>;
}

/** Options shared by the steps that run dbt. */
export interface DbtProjectOptions extends StepOptions {
  /**
   * The dbt command: `dbt`, or a wrapper that takes the same arguments, such as `dbt-ol` of the
   * `openlineage-dbt` package, which also sends lineage to `OPENLINEAGE_URL`.
   * @default 'dbt'
   */
  readonly executable?: string;
  /**
   * Profile target (`--target`).
   * @default - the profile's default target
   */
  readonly target?: string;
  /**
   * dbt project directory in the image (`--project-dir`): holds `dbt_project.yml` and the
   * installed packages (run `dbt deps` when building the image; the image is read-only at run time).
   * @default '/app/dbt'
   */
  readonly projectDir?: string;
  /**
   * Directory of `profiles.yml` in the image (`--profiles-dir`). Keep credentials out of it: read
   * them with `env_var()` from the variables the pipeline's `credentials` set.
   * @default - the project directory
   */
  readonly profilesDir?: string;
  /**
   * Project variables (`--vars`, passed as JSON, keys sorted).
   * @default - none
   */
  readonly vars?: Record<string, string | number | boolean>;
}

/** Options of `dbt.test()`. */
export interface DbtTestOptions extends DbtProjectOptions {
  /**
   * Node selection (`--select`), e.g. `tag:daily` or `orders customers+` (one string).
   * @default - every node
   */
  readonly select?: string;
  /**
   * Nodes to leave out (`--exclude`).
   * @default - none
   */
  readonly exclude?: string;
}

/** Options of `dbt.run()`. */
export interface DbtRunOptions extends DbtTestOptions {
  /**
   * Rebuild incremental models from scratch (`--full-refresh`).
   * @default false
   */
  readonly fullRefresh?: boolean;
}

/** Options of `ingest.dlt()`. */
export interface DltOptions extends StepOptions {
  /** The dlt source as `dlt init <source> <destination>` names it, e.g. `shopify`, `sql_database`. */
  readonly source: string;
  /**
   * Python script that runs the pipeline, relative to `workingDir` or absolute.
   * @default `<source>_pipeline.py`, the file `dlt init <source> <destination>` generates
   */
  readonly script?: string;
  /**
   * Working directory: where the script and its `.dlt/config.toml` live.
   * @default - the image's working directory
   */
  readonly workingDir?: string;
}

/** Options of `quality.check()`. */
export interface QualityCheckOptions extends DbtProjectOptions {
  /**
   * The checks to run (`--select` of `dbt test`).
   * @default 'tag:quality' - floe's quality checks are dbt tests tagged `quality`
   */
  readonly select?: string;
  /**
   * A custom command instead of `dbt test` (e.g. a Soda or Great Expectations run); it must exit
   * non-zero when a check fails. The dbt options may not be combined with it.
   * @default - `dbt test --select tag:quality`
   */
  readonly command?: string[];
}

function dbtEnv(): Record<string, string> {
  return {
    DBT_TARGET_PATH,
    DBT_LOG_PATH,
    // No usage reporting from batch jobs (and no `.user.yml` written next to profiles.yml).
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
  };
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

function dbtCommand(
  subcommand: 'run' | 'test',
  o: DbtRunOptions,
  select: string | undefined,
): readonly string[] {
  const projectDir = o.projectDir ?? DEFAULT_DBT_PROJECT_DIR;
  return [
    o.executable ?? 'dbt',
    subcommand,
    '--project-dir',
    projectDir,
    '--profiles-dir',
    o.profilesDir ?? projectDir,
    // Also as flags: dbt 1.10.5+ moves its own variables towards a DBT_ENGINE_ prefix, the flags
    // (dbt 1.5+) work on every supported version.
    '--target-path',
    DBT_TARGET_PATH,
    '--log-path',
    DBT_LOG_PATH,
    ...(o.target !== undefined ? ['--target', o.target] : []),
    ...(select !== undefined ? ['--select', select] : []),
    ...(o.exclude !== undefined ? ['--exclude', o.exclude] : []),
    ...(o.vars !== undefined && Object.keys(o.vars).length > 0
      ? ['--vars', JSON.stringify(sortKeys(o.vars))]
      : []),
    ...(o.fullRefresh === true ? ['--full-refresh'] : []),
  ];
}

/** The builder options a step records for validation: everything but name, resources and env. */
function recorded(o: StepOptions): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...o };
  delete rest.name;
  delete rest.resources;
  delete rest.env;
  return rest;
}

function base(kind: StepKind, defaultName: string, o: StepOptions, checks: readonly StepKind[]) {
  return {
    kind,
    name: o.name ?? defaultName,
    ...(o.resources ? { resources: o.resources } : {}),
    extraEnv: { ...(o.env ?? {}) },
    checks,
    options: recorded(o),
  };
}

/**
 * dbt steps. `dbt.run()` builds the selected models (Iceberg tables through the catalog the
 * profile points at); `dbt.test()` tests them and must come after the step that built or loaded
 * what it tests.
 */
export const dbt = {
  /** `dbt run --project-dir <dir> --profiles-dir <dir> [--target] [--select] [--exclude] [--vars] [--full-refresh]`. */
  run(options: DbtRunOptions = {}): Step {
    checkProps('dbt.run()', 'DbtRunOptions', options);
    return {
      ...base('dbt-run', 'dbt-run', options, []),
      command: dbtCommand('run', options, options.select),
      env: dbtEnv(),
    };
  },
  /** `dbt test ...`: fails (non-zero exit) when a test fails. Must come after a `dbt.run()` or an ingest. */
  test(options: DbtTestOptions = {}): Step {
    checkProps('dbt.test()', 'DbtTestOptions', options);
    return {
      ...base('dbt-test', 'dbt-test', options, ['dbt-run', 'dlt-ingest']),
      command: dbtCommand('test', options, options.select),
      env: dbtEnv(),
    };
  },
};

/** Ingestion steps: load raw tables. */
export const ingest = {
  /**
   * A dlt pipeline script: `python <source>_pipeline.py`. dlt reads its configuration from
   * `.dlt/config.toml` in the working directory and from environment variables
   * (`SOURCES__<SOURCE>__...`, `DESTINATION__...`), which the pipeline's `credentials` can set.
   */
  dlt(options: DltOptions): Step {
    checkProps('ingest.dlt()', 'DltOptions', options);
    const source = typeof options.source === 'string' ? options.source : '';
    return {
      ...base('dlt-ingest', `dlt-${source.replace(/_/g, '-')}`, options, []),
      command: ['python', options.script ?? `${source}_pipeline.py`],
      env: { DLT_DATA_DIR },
      ...(options.workingDir !== undefined ? { workingDir: options.workingDir } : {}),
    };
  },
};

/** Quality steps: pass/fail checks over what earlier steps built or loaded. */
export const quality = {
  /**
   * `dbt test --select tag:quality` (floe's quality checks are dbt tests tagged `quality`), or a
   * custom `command`. Must come after a `dbt.run()` or an ingest.
   */
  check(options: QualityCheckOptions = {}): Step {
    checkProps('quality.check()', 'QualityCheckOptions', options);
    const custom = options.command !== undefined;
    return {
      ...base('quality-check', 'quality-check', options, ['dbt-run', 'dlt-ingest']),
      command: custom
        ? [...(options.command ?? [])]
        : dbtCommand('test', options, options.select ?? 'tag:quality'),
      env: custom ? {} : dbtEnv(),
    };
  },
};

const ABSOLUTE_PATH = /^\/[^\0\n\r]*$/;
const DLT_SOURCE = /^[a-z][a-z0-9_]*$/;
const TARGET = /^[A-Za-z0-9_-]+$/;
const EXECUTABLE = /^[A-Za-z0-9_./-]+$/;
const PYTHON_SCRIPT = /^[^\0\n\r\s]+\.py$/;

function checkSelector(scope: IConstruct | string, field: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '' || /[\0\n\r]/.test(value) || value.startsWith('-')) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      "a dbt selection on one line, e.g. 'tag:daily' or 'orders customers+' (not empty, not starting with '-')",
    );
  }
}

function checkPattern(
  scope: IConstruct | string,
  field: string,
  value: unknown,
  pattern: RegExp,
  allowed: string,
): void {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new FloeValidationError(scope, field, value, allowed);
  }
}

/**
 * Validates one step as the pipeline receives it: name, command, env names and the builder options
 * (`steps[i].select`, `steps[i].source`, ...).
 * @param scope the pipeline (for the construct path in errors)
 * @param field the step's property path, e.g. `steps[2]`
 * @param step the step
 */
export function validateStep(scope: IConstruct | string, field: string, step: Step): void {
  if (
    !Array.isArray(step.command) ||
    step.command.length === 0 ||
    step.command.some((a) => typeof a !== 'string')
  ) {
    throw new FloeValidationError(
      scope,
      `${field}.command`,
      step.command,
      "a non-empty list of strings, e.g. ['python', 'check.py']",
    );
  }
  for (const name of Object.keys(step.extraEnv)) {
    validateEnvName(scope, `${field}.env.${name}`, name);
  }
  const o = step.options;
  for (const key of ['select', 'exclude'] as const) {
    if (o[key] !== undefined) checkSelector(scope, `${field}.${key}`, o[key]);
  }
  if (o.executable !== undefined) {
    checkPattern(
      scope,
      `${field}.executable`,
      o.executable,
      EXECUTABLE,
      "a command name or absolute path, e.g. 'dbt' or 'dbt-ol'",
    );
  }
  if (o.target !== undefined) {
    checkPattern(
      scope,
      `${field}.target`,
      o.target,
      TARGET,
      "a profile target name: letters, digits, '_' and '-'",
    );
  }
  for (const key of ['projectDir', 'profilesDir'] as const) {
    if (o[key] !== undefined) {
      checkPattern(
        scope,
        `${field}.${key}`,
        o[key],
        ABSOLUTE_PATH,
        "an absolute path in the image, e.g. '/app/dbt'",
      );
    }
  }
  if (o.vars !== undefined) {
    const vars = o.vars;
    const ok =
      typeof vars === 'object' &&
      vars !== null &&
      !Array.isArray(vars) &&
      Object.entries(vars).every(
        ([k, v]) =>
          k !== '' &&
          ['string', 'number', 'boolean'].includes(typeof v) &&
          !(typeof v === 'number' && !Number.isFinite(v)),
      );
    if (!ok) {
      throw new FloeValidationError(
        scope,
        `${field}.vars`,
        vars,
        'an object of non-empty names to strings, finite numbers or booleans',
      );
    }
  }
  if (step.kind === 'dlt-ingest') {
    checkPattern(
      scope,
      `${field}.source`,
      o.source,
      DLT_SOURCE,
      "a dlt source name as `dlt init` takes it: lower-case letters, digits and '_', starting with a letter",
    );
    if (o.script !== undefined) {
      checkPattern(
        scope,
        `${field}.script`,
        o.script,
        PYTHON_SCRIPT,
        "a Python file path without spaces, e.g. 'shopify_pipeline.py'",
      );
    }
  }
  if (step.workingDir !== undefined) {
    checkPattern(
      scope,
      `${field}.workingDir`,
      step.workingDir,
      ABSOLUTE_PATH,
      "an absolute path in the image, e.g. '/app/ingest'",
    );
  }
  if (step.kind === 'quality-check' && o.command !== undefined) {
    const combined = ['executable', 'select', 'target', 'projectDir', 'profilesDir', 'vars'].filter(
      (k) => o[k] !== undefined,
    );
    if (combined.length > 0) {
      throw new FloeValidationError(
        scope,
        `${field}.${combined[0]}`,
        o[combined[0]],
        'nothing: the dbt options do not apply to a custom quality command',
      );
    }
  }
  validateDnsLabel(scope, `${field}.name`, step.name);
}
