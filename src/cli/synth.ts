/**
 * `floe synth`: manifests in, Kubernetes YAML (or Helm charts) out, all or nothing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Names } from 'cdk8s';
import { formatProblems } from '../manifest/errors';
import { BuiltChart, buildFromManifests } from '../manifest/build';
import { CliCommand, CliIo, EXIT, UsageError } from './command';
import { escapeForHelm } from './helm';
import {
  checkOutputDir,
  makeStagingDir,
  OutputDirError,
  OutputTarget,
  removeStagingDir,
  replaceOutputDir,
} from './output-dir';
import { synthesize } from '../core/synth';

const SYNTH_HELP = `Usage: floe synth --manifest FILE [--domain FILE ...] [--product FILE ...]
                  [--out DIR] [--format yaml|helm] [--debug]

Synthesizes the charts a platform describes: the platform (PlatformManifest, or the shared
services of an EnterpriseManifest), each domain (DomainManifest, with an EnterpriseManifest) and
the data products (DataProduct, one FloeJobs chart per namespace).

Writes one YAML file per chart (NNNN-<chart>.k8s.yaml, numbered in apply order), or with
--format helm one Helm chart per chart (<chart>/Chart.yaml with the platform version, and
<chart>/templates/). DIR is replaced as a whole, and only after every chart was synthesized: on
any error nothing is written.

DIR is replaced only when it is absent, empty, or holds exactly a previous floe output (its
.floe-output file lists what floe wrote; a directory of only *.k8s.yaml files, as cdk8s synth
writes, counts too). Any other DIR, or one that contains an input file or the current
directory, is refused (exit 1) and left untouched.

Options:
  --manifest FILE  the PlatformManifest or EnterpriseManifest (required)
  --domain FILE    a DomainManifest of the enterprise (repeatable)
  --product FILE   a DataProduct (floe.yaml) (repeatable)
  --out DIR        output directory (default: dist)
  --format F       yaml (default) or helm
  --debug          show stack traces of unexpected errors
  -h, --help       show this help

Exit status: 0 when everything was written, 1 on problems in the manifests, 2 on wrong usage.`;

const FORMATS = ['yaml', 'helm'] as const;
type Format = (typeof FORMATS)[number];

interface SynthArgs {
  readonly manifest: string;
  readonly domains: string[];
  readonly products: string[];
  readonly out: string;
  readonly format: Format;
}

function parseArgs(args: readonly string[]): SynthArgs {
  let manifest: string | undefined;
  let out: string | undefined;
  let format: Format | undefined;
  const domains: string[] = [];
  const products: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) {
        throw new UsageError(`${name} needs a value`);
      }
      if (v === '') {
        throw new UsageError(`${name} needs a value (got an empty string)`);
      }
      return v;
    };
    switch (name) {
      case '--manifest':
        if (manifest !== undefined)
          throw new UsageError('--manifest given twice (give one platform or enterprise)');
        manifest = value();
        break;
      case '--domain':
        domains.push(value());
        break;
      case '--product':
        products.push(value());
        break;
      case '--out':
        out = value();
        break;
      case '--format': {
        const f = value();
        if (!(FORMATS as readonly string[]).includes(f)) {
          throw new UsageError(`unknown --format '${f}' (expected yaml or helm)`);
        }
        format = f as Format;
        break;
      }
      default:
        throw new UsageError(
          arg.startsWith('-') ? `unknown option '${arg}'` : `unexpected argument '${arg}'`,
        );
    }
  }
  if (manifest === undefined) {
    throw new UsageError('--manifest FILE is required');
  }
  return { manifest, domains, products, out: out ?? 'dist', format: format ?? 'yaml' };
}

/** Helm chart names and versions. */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

function countObjects(text: string): number {
  return text.trim() === '' ? 0 : text.split(/^---$/m).filter((doc) => doc.trim() !== '').length;
}

/** Where each chart was written, in apply order. */
interface Written {
  readonly chart: BuiltChart;
  readonly file: string;
  readonly objects: number;
}

/** Turns the synthesized YAML files in `dir` into one Helm chart per chart, in place. */
function toHelm(dir: string, written: Written[]): Written[] {
  return written.map((w) => {
    const name = w.chart.helmName;
    const chartDir = path.join(dir, name);
    fs.mkdirSync(path.join(chartDir, 'templates'), { recursive: true });
    const text = fs.readFileSync(w.file, 'utf8');
    const template = path.join(chartDir, 'templates', path.basename(w.file));
    fs.writeFileSync(template, escapeForHelm(text));
    fs.rmSync(w.file);
    const description =
      w.chart.role === 'jobs'
        ? `floe data products in namespace ${w.chart.chart.namespace ?? 'default'}, generated by floe-cdk8s`
        : `floe platform services in namespace ${w.chart.chart.namespace ?? 'default'}, generated by floe-cdk8s`;
    fs.writeFileSync(
      path.join(chartDir, 'Chart.yaml'),
      [
        'apiVersion: v2',
        `name: ${name}`,
        `version: ${w.chart.version}`,
        `appVersion: "${w.chart.version}"`,
        `description: ${description}`,
        'type: application',
        '',
      ].join('\n'),
    );
    return { ...w, file: path.join(chartDir, 'Chart.yaml') };
  });
}

/** `floe synth`. */
export const synthCommand: CliCommand = {
  name: 'synth',
  summary: 'write the Kubernetes YAML (or Helm charts) of a platform and its products',
  help: SYNTH_HELP,
  run(args: readonly string[], io: CliIo): number {
    const opts = parseArgs(args);
    const target: OutputTarget = {
      dir: opts.out,
      inputs: [opts.manifest, ...opts.domains, ...opts.products],
    };
    let tmp: string | undefined;
    try {
      checkOutputDir(target);
      tmp = makeStagingDir(opts.out);
      const built = buildFromManifests(opts, tmp);
      if (!built.ok) {
        formatProblems(built.problems).forEach((line) => io.out(line));
        io.err(
          `floe synth: ${built.problems.length} problem${built.problems.length === 1 ? '' : 's'}; nothing was written`,
        );
        return EXIT.problems;
      }
      if (opts.format === 'helm') {
        const bad = built.charts.find((c) => !SEMVER.test(c.version));
        if (bad !== undefined) {
          io.err(
            `floe synth: ${opts.manifest}: metadata.version: not allowed with --format helm (got '${bad.version}', expected a SemVer version such as '1.0.0', as Helm requires); nothing was written`,
          );
          return EXIT.problems;
        }
      }
      synthesize(built.app);
      const staging = tmp;
      const files = fs.readdirSync(staging).sort();
      let written: Written[] = built.app.charts.map((chart, index) => {
        const label = Names.toDnsLabel(chart);
        const file = files.find(
          (f) => f === `${label}.k8s.yaml` || f.replace(/^\d{4}-/, '') === `${label}.k8s.yaml`,
        );
        const info = built.charts.find((c) => c.chart === chart);
        if (file === undefined || info === undefined) {
          throw new Error(`internal: no output file for chart ${chart.node.path}`);
        }
        // cdk8s numbers the files only when the app has several charts; the help promises
        // NNNN-<chart>.k8s.yaml (the apply order) whatever their number.
        const numbered = /^\d{4}-/.test(file) ? file : `${String(index).padStart(4, '0')}-${file}`;
        const full = path.join(staging, numbered);
        if (numbered !== file) {
          fs.renameSync(path.join(staging, file), full);
        }
        return { chart: info, file: full, objects: countObjects(fs.readFileSync(full, 'utf8')) };
      });
      if (opts.format === 'helm') {
        written = toHelm(staging, written);
      }
      const warnings = replaceOutputDir(staging, { ...target, inputs: [...target.inputs, ...built.files] });
      for (const w of written) {
        const file = path.join(opts.out, path.relative(staging, w.file));
        io.out(`${w.chart.chart.node.id}: ${w.objects} object${w.objects === 1 ? '' : 's'} -> ${file}`);
      }
      warnings.forEach((w) => io.err(`floe synth: ${w}`));
      return EXIT.ok;
    } catch (error) {
      if (error instanceof OutputDirError) {
        io.err(`floe synth: ${error.message}`);
        return EXIT.problems;
      }
      throw error;
    } finally {
      if (tmp !== undefined) removeStagingDir(tmp);
    }
  },
};
