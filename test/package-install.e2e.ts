import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * The package as a user installs it: built and packed as `npm publish` would (prepack builds lib/),
 * installed into a new cdk8s TypeScript app whose tsconfig is the one cdk8s-cli's own template
 * generates (no skipLibCheck, lib es2016), compiled with tsc and run. Offline: the tarball is
 * unpacked into the app's node_modules and its dependencies are the repository's copies.
 */

jest.setTimeout(180_000);

const root = path.join(__dirname, '..');
const modules = path.join(root, 'node_modules');

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 150_000 });
}

function ok(r: SpawnSyncReturns<string>): string {
  if (r.status !== 0) {
    throw new Error(`exit ${r.status}: ${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** The README's TypeScript examples that import the package, as one program. */
function readmeProgram(): string {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1])
    .filter((b) => b.includes("from 'floe-cdk8s'"));
  const imports = new Map<string, Set<string>>();
  const body: string[] = [];
  const synth: string[] = [];
  for (const block of blocks) {
    for (const line of block.split('\n')) {
      const m = /^import \{ (.+) \} from '([^']+)';$/.exec(line);
      if (m) {
        const names = imports.get(m[2]) ?? new Set<string>();
        m[1].split(', ').forEach((n) => names.add(n));
        imports.set(m[2], names);
      } else if (line.startsWith('synthesize(')) {
        synth.push(line);
      } else {
        body.push(line);
      }
    }
  }
  const head = [...imports].map(
    ([from, names]) => `import { ${[...names].sort().join(', ')} } from '${from}';`,
  );
  return [...head, ...body, ...synth, ''].join('\n');
}

interface Installed {
  readonly files: string[];
  readonly app: string;
  readonly pkg: string;
}

let installed: Installed;

beforeAll(() => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-package-'));
  // What prepack (npm run build) puts in lib/, built into a copy so the checkout is not touched.
  const stage = path.join(tmp, 'stage');
  fs.mkdirSync(stage);
  for (const entry of ['package.json', 'README.md', 'LICENSE', 'bin', 'schemas', 'examples', 'docs']) {
    fs.cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true });
  }
  const tsc = path.join(modules, 'typescript', 'bin', 'tsc');
  ok(
    run(
      process.execPath,
      [tsc, '-p', path.join(root, 'tsconfig.json'), '--outDir', path.join(stage, 'lib')],
      root,
    ),
  );
  ok(run(process.execPath, [path.join(root, 'scripts', 'copy-assets.js'), path.join(stage, 'lib')], root));
  const packed = JSON.parse(
    ok(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], stage)),
  ) as { filename: string; files: { path: string }[] }[];
  const files = packed[0].files.map((f) => f.path).sort();

  // A new cdk8s TypeScript app with cdk8s-cli's template tsconfig.
  const app = path.join(tmp, 'app');
  const pkg = path.join(app, 'node_modules', 'floe-cdk8s');
  fs.mkdirSync(pkg, { recursive: true });
  ok(run('tar', ['-xzf', path.join(tmp, packed[0].filename), '-C', pkg, '--strip-components=1'], tmp));
  fs.copyFileSync(
    path.join(modules, 'cdk8s-cli', 'templates', 'typescript-app', 'tsconfig.json'),
    path.join(app, 'tsconfig.json'),
  );
  fs.writeFileSync(
    path.join(app, 'package.json'),
    '{ "name": "app", "version": "1.0.0", "private": true }\n',
  );
  // The peers and the package's dependencies, as npm would install them next to it.
  for (const dep of ['cdk8s', 'cdk8s-plus-28', 'constructs', 'yaml', 'zod', '@types/node']) {
    fs.mkdirSync(path.dirname(path.join(app, 'node_modules', dep)), { recursive: true });
    fs.symlinkSync(path.join(modules, dep), path.join(app, 'node_modules', dep), 'dir');
  }
  fs.writeFileSync(path.join(app, 'main.ts'), readmeProgram());
  installed = { files, app, pkg };
});

describe('the packed package', () => {
  test('ships lib/, bin/, schemas/, README.md, LICENSE, examples/ and docs/, and no sources or tests', () => {
    const { files } = installed;
    for (const f of ['LICENSE', 'README.md', 'package.json', 'bin/floe', 'lib/index.js', 'lib/index.d.ts']) {
      expect(files).toContain(f);
    }
    expect(files.some((f) => f.startsWith('schemas/'))).toBe(true);
    expect(files.some((f) => f.startsWith('examples/'))).toBe(true);
    expect(files.some((f) => f.startsWith('docs/'))).toBe(true);
    expect(
      files.filter((f) => /^(src|test|bench|scripts|dist)\//.test(f) || f.startsWith('lib/main.')),
    ).toEqual([]);
  });

  test('LICENSE is the Apache License 2.0 that package.json names', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { license: string };
    expect(pkg.license).toBe('Apache-2.0');
    const text = fs.readFileSync(path.join(installed.pkg, 'LICENSE'), 'utf8');
    expect(text).toMatch(/^\s+Apache License\n\s+Version 2\.0, January 2004\n/);
  });

  test('every examples/ and docs/ path the README names is in the package', () => {
    const readme = fs.readFileSync(path.join(installed.pkg, 'README.md'), 'utf8');
    const named = [...new Set([...readme.matchAll(/\b((?:examples|docs)\/[\w./-]*\w)/g)].map((m) => m[1]))];
    expect(named.length).toBeGreaterThan(5);
    const missing = named.filter((p) => !fs.existsSync(path.join(installed.pkg, p)));
    expect(missing).toEqual([]);
  });

  test('the README examples type-check with the cdk8s app template tsconfig, and synthesize', () => {
    const tsc = path.join(modules, 'typescript', 'bin', 'tsc');
    const compiled = run(process.execPath, [tsc, '-p', installed.app], installed.app);
    expect({ status: compiled.status, stdout: compiled.stdout, stderr: compiled.stderr }).toEqual({
      status: 0,
      stdout: '',
      stderr: '',
    });
    const synth = run(process.execPath, ['main.js'], installed.app);
    expect(synth.stderr).toBe('');
    expect(synth.stdout).toBe('http://polaris.floe-platform.svc.cluster.local:8181/api/catalog\n');
    expect(fs.readdirSync(path.join(installed.app, 'dist')).sort()).toEqual([
      '0000-platform.k8s.yaml',
      '0001-sales.k8s.yaml',
    ]);
  });

  test('floe, as installed, validates the shipped example', () => {
    const r = run(
      process.execPath,
      [
        path.join(installed.pkg, 'bin', 'floe'),
        'validate',
        'node_modules/floe-cdk8s/examples/platform/platform-manifest.yaml',
      ],
      installed.app,
    );
    expect([r.status, r.stdout, r.stderr]).toEqual([
      0,
      "node_modules/floe-cdk8s/examples/platform/platform-manifest.yaml: valid PlatformManifest 'floe'\n",
      '',
    ]);
  });

  test('the public declarations reach neither zod nor yaml, nor the props checker and its shapes', () => {
    const lib = path.join(installed.pkg, 'lib');
    const reachable = new Set<string>();
    const queue = [path.join(lib, 'index.d.ts')];
    const external: string[] = [];
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (reachable.has(file)) continue;
      reachable.add(file);
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import\()\s*['"]([^'"]+)['"]/g)) {
        if (!m[1].startsWith('.')) {
          external.push(m[1]);
          continue;
        }
        const base = path.resolve(path.dirname(file), m[1]);
        queue.push(fs.existsSync(`${base}.d.ts`) ? `${base}.d.ts` : path.join(base, 'index.d.ts'));
      }
    }
    expect([...new Set(external)].filter((e) => !/^(cdk8s|cdk8s-plus-28|constructs)(\/|$)/.test(e))).toEqual(
      [],
    );
    const rel = [...reachable].map((f) => path.relative(lib, f));
    expect(rel.filter((f) => f.startsWith('manifest/'))).toEqual([]);
    // Only the checker and its generated shapes may name them; no public declaration does.
    const all = fs
      .readdirSync(lib, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.d.ts'))
      .filter((f) =>
        /props-check|props-shapes|PropsShapeName|PropKind/.test(fs.readFileSync(path.join(lib, f), 'utf8')),
      );
    expect(all.sort()).toEqual(['core/props-check.d.ts', 'core/props-shapes.generated.d.ts']);
    const index = fs.readFileSync(path.join(lib, 'index.d.ts'), 'utf8');
    for (const internal of ['BACKUP_UPLOAD_SCRIPT', 'checkProps', 'PROPS_SHAPES', 'PlatformManifestSchema']) {
      expect(index).not.toContain(internal);
    }
  });
});
