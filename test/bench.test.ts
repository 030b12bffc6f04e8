import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { buildFloorApp } from '../bench/floor/main';
import { loadManifestFile } from '../src/manifest/loader';

// The inputs and the floor of `npm run bench` (bench/README.md). No timing here: the bench
// measures, these tests only check that it measures the right things.

const root = path.join(__dirname, '..');

function run(file: string, args: string[]): { status: number | null; stdout: string[]; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(root, file), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout.split('\n').filter((l) => l !== ''), stderr: r.stderr };
}

jest.setTimeout(120_000);

describe('bench inputs (bench/generate-manifests.js)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-bench-test-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('writes a platform and N products, a mesh and N domains, all valid for `floe validate`', () => {
    const products = run('bench/generate-manifests.js', ['--out', path.join(dir, 'p'), '--products', '12']);
    const mesh = run('bench/generate-manifests.js', ['--out', path.join(dir, 'm'), '--domains', '3']);
    expect([products.status, mesh.status]).toEqual([0, 0]);
    expect(products.stdout).toHaveLength(1 + 12);
    expect(mesh.stdout).toHaveLength(1 + 3);

    const files = [...products.stdout, ...mesh.stdout];
    const validate = run('bin/floe', ['validate', ...files]);
    expect(validate.stderr).toBe('');
    expect(validate.status).toBe(0);
    expect(validate.stdout).toHaveLength(files.length);
    expect(validate.stdout.filter((l) => l.includes(': valid DataProduct '))).toHaveLength(12);
    expect(validate.stdout.filter((l) => l.includes(': valid DomainManifest '))).toHaveLength(3);
  });

  test('every product has the four steps dlt, dbt run, dbt test, quality; names are unique', () => {
    const products = run('bench/generate-manifests.js', ['--out', path.join(dir, 'q'), '--products', '11']);
    const mesh = run('bench/generate-manifests.js', ['--out', path.join(dir, 'n'), '--domains', '2']);
    const steps: string[][] = [];
    const names: string[] = [];
    for (const file of [...products.stdout, ...mesh.stdout]) {
      const result = loadManifestFile(file);
      if (!result.ok) throw new Error(`${file} is invalid`);
      const manifest = result.manifest;
      const list =
        manifest.kind === 'DataProduct'
          ? [manifest]
          : manifest.kind === 'DomainManifest'
            ? (manifest.products ?? []).filter((p) => typeof p !== 'string')
            : [];
      for (const product of list) {
        names.push(product.metadata.name);
        steps.push(product.transforms.map((t) => (t.type === 'dbt' ? `dbt ${t.command ?? 'run'}` : t.type)));
      }
    }
    expect(names).toHaveLength(11 + 2 * 2);
    expect(new Set(names).size).toBe(names.length);
    for (const s of steps) expect(s).toEqual(['dlt', 'dbt run', 'dbt test', 'quality']);
  });

  test('refuses a missing or non-numeric count with exit 2', () => {
    expect(run('bench/generate-manifests.js', ['--out', path.join(dir, 'x')]).status).toBe(2);
    expect(
      run('bench/generate-manifests.js', ['--out', path.join(dir, 'x'), '--products', 'ten']).status,
    ).toBe(2);
  });
});

describe('bench floor (bench/floor)', () => {
  test('synthesizes exactly one object, a Deployment', () => {
    const app = buildFloorApp();
    const objects = app.charts.flatMap((chart) => Testing.synth(chart) as { kind: string }[]);
    expect(objects.map((o) => o.kind)).toEqual(['Deployment']);
  });

  test('is run the way the example app is: the same launcher in cdk8s.yaml', () => {
    const appLine = (file: string): string =>
      /^app: (.*)$/m.exec(fs.readFileSync(path.join(root, file), 'utf8'))?.[1] ?? '';
    expect(appLine('cdk8s.yaml')).toBe('node scripts/cdk8s-app.js src/main.ts');
    expect(appLine('bench/floor/cdk8s.yaml')).toBe('node ../../scripts/cdk8s-app.js main.ts');
  });
});
