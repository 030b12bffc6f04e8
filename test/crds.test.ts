import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { customResourceKindNames, validateObjects } from './support/k8s-schema';

const root = path.join(__dirname, '..');
const crdFiles = fs.readdirSync(path.join(root, 'crds')).filter((f) => f.endsWith('.yaml'));

describe('crds/ and the classes generated from them (src/imports/)', () => {
  test('the CRD files are valid Kubernetes 1.28 CustomResourceDefinitions of the kinds the library writes', () => {
    const docs = crdFiles.flatMap((f) =>
      parseAllDocuments(fs.readFileSync(path.join(root, 'crds', f), 'utf8')).map((d) => d.toJS() as unknown),
    );
    expect(validateObjects(docs)).toEqual([]);
    expect(customResourceKindNames()).toEqual([
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' },
    ]);
  });

  test('src/imports/ is what `npm run import:crds` generates today (else run it and commit the result)', () => {
    // The generator runs the cdk8s CLI and prettier (dynamic import(), which jest's VM lacks) in
    // its own process, in check mode: it writes nothing and exits 1 when a file is stale.
    const check = spawnSync(process.execPath, [path.join(root, 'scripts', 'import-crds.js'), '--check'], {
      encoding: 'utf8',
    });
    expect({ status: check.status, stdout: check.stdout, stderr: check.stderr }).toEqual({
      status: 0,
      stdout: '',
      stderr: '',
    });
  }, 60_000);

  test('scripts/check-crds.js finds a field that is not upstream and a changed type', () => {
    // A stand-in "upstream" made from our own file: the checker must accept the file itself and
    // report the differences below. (The real comparison with the upstream release is recorded in
    // docs/monitoring.md; the upstream file is not part of this repository.)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { checkCrd } = require('../scripts/check-crds.js') as {
      checkCrd: (ours: string, upstream: string) => string[];
    };
    const ours = path.join(root, 'crds', 'monitoring.coreos.com_servicemonitors.yaml');
    expect(checkCrd(ours, ours)).toEqual([]);
    const text = fs.readFileSync(ours, 'utf8');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-crds-'));
    const upstream = path.join(dir, 'upstream.yaml');
    fs.writeFileSync(
      upstream,
      text
        .replace(
          'honorLabels:\n                        type: boolean',
          'honorLabels:\n                        type: string',
        )
        .replace('jobLabel:', 'jobLabelName:'),
    );
    expect(checkCrd(ours, upstream)).toEqual([
      'v1.openAPIV3Schema.spec.endpoints[].honorLabels: type is "boolean", upstream "string"',
      'v1.openAPIV3Schema.spec.jobLabel: not in the upstream schema',
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
