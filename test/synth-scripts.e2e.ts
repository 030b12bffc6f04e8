import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { main } from '../src/cli/floe';
import { OUTPUT_MARKER } from '../src/cli/output-dir';

jest.setTimeout(120_000);

const root = path.join(__dirname, '..');
const DIST = path.join(root, 'dist');

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'floe-scripts-'));
}

/** Every file under `dir` with its text. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const name = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(name);
      else out[name] = fs.readFileSync(path.join(dir, name), 'utf8');
    }
  };
  walk('');
  return out;
}

/** `npm run SCRIPT -- ARGS` in the repository, as the README shows it, with `env` added. */
function npmRun(script: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync('npm', ['run', '--silent', script, '--', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 110_000,
  });
}

/** An environment without internet: no cached cdk8s version, every proxy a closed port. */
function offline(): Record<string, string> {
  const home = path.join(tmpdir(), 'home');
  fs.mkdirSync(home);
  const proxy = 'http://127.0.0.1:9';
  return { HOME: home, http_proxy: proxy, https_proxy: proxy, HTTP_PROXY: proxy, HTTPS_PROXY: proxy };
}

/**
 * A helm binary, if this machine has one: $FLOE_TEST_HELM, else `helm` on the PATH. Without one,
 * the Helm test checks the escaped template text only.
 */
function helmBinary(): string | undefined {
  const candidate = process.env.FLOE_TEST_HELM ?? 'helm';
  const r = spawnSync(candidate, ['version', '--short'], { encoding: 'utf8' });
  return r.status === 0 ? candidate : undefined;
}

/** `helm template` of the chart in `dir`: the rendered objects. */
function helmTemplate(helm: string, dir: string): { metadata: { annotations?: Record<string, string> } }[] {
  const home = tmpdir();
  const r = spawnSync(helm, ['template', 'rel', dir], {
    encoding: 'utf8',
    env: {
      ...process.env,
      HELM_CACHE_HOME: path.join(home, 'cache'),
      HELM_CONFIG_HOME: path.join(home, 'config'),
      HELM_DATA_HOME: path.join(home, 'data'),
    },
  });
  expect(r.stderr).toBe('');
  return r.stdout
    .split(/^---$/m)
    .filter((doc) => doc.trim() !== '')
    .map((doc) => parse(doc) as { metadata: { annotations?: Record<string, string> } });
}

describe('npm run synth, npm run synth:helm and npm run clean (scripts/synth.js)', () => {
  test('the npm scripts and the README quick start use scripts/synth.js, never a bare cdk8s synth', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.synth).toBe('node scripts/synth.js --out dist');
    expect(pkg.scripts['synth:helm']).toBe('node scripts/synth.js --format helm --out dist/helm');
    expect(pkg.scripts.clean).toBe('rm -rf lib && node scripts/synth.js --remove dist/helm');
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toContain('```sh\nnpm ci && npm run synth\n```');
    const shellBlocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
    expect(shellBlocks).not.toMatch(/cdk8s synth/);
  });

  test('offline: no stack trace, dist/ reproduced with its marker, a nested Helm chart kept', () => {
    // The state of a checkout that ran npm run synth:helm before the marker existed.
    const out = path.join(tmpdir(), 'dist');
    fs.cpSync(DIST, out, { recursive: true, filter: (src) => !src.includes(`${path.sep}helm`) });
    const helm = {
      'Chart.yaml': 'apiVersion: v2\nname: floe-platform\nversion: 0.1.0\n',
      'README.md': 'This Helm chart is generated using cdk8s. Any manual changes ...',
      'templates/0000-platform.k8s.yaml': 'kind: Namespace\n',
    };
    for (const [name, text] of Object.entries(helm)) {
      fs.mkdirSync(path.dirname(path.join(out, 'helm', name)), { recursive: true });
      fs.writeFileSync(path.join(out, 'helm', name), text);
    }
    const r = npmRun('synth', ['--out', out], offline());
    // cdk8s's upgrade check prints a stack trace when it cannot reach the registry.
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l !== '')).toEqual([
      path.join(out, '0000-platform.k8s.yaml'),
      path.join(out, '0001-sales.k8s.yaml'),
    ]);
    const committed = tree(DIST);
    const written = tree(out);
    expect(Object.keys(committed).filter((f) => !f.startsWith('helm/'))).toContain(OUTPUT_MARKER);
    for (const [name, text] of Object.entries(helm)) {
      expect(written[`helm/${name}`]).toBe(text);
      delete written[`helm/${name}`];
    }
    expect(written).toEqual(
      Object.fromEntries(Object.entries(committed).filter(([f]) => !f.startsWith('helm/'))),
    );
    expect(fs.readdirSync(path.dirname(out))).toEqual(['dist']);
  });

  test('refuse a directory that is not a floe output, and one holding the project', () => {
    const mine = path.join(tmpdir(), 'mine');
    fs.mkdirSync(path.join(mine, 'src'), { recursive: true });
    fs.writeFileSync(path.join(mine, 'README.md'), '# mine\n');
    const script = (...args: string[]): SpawnSyncReturns<string> =>
      spawnSync(process.execPath, [path.join(root, 'scripts', 'synth.js'), ...args], {
        cwd: root,
        encoding: 'utf8',
      });
    const runs = [
      script('--out', mine),
      script('--format', 'helm', '--out', mine),
      script('--remove', mine),
      script('--out', '.'),
      script('--out', '..'),
    ];
    expect(runs.map((r) => [r.status, r.stderr])).toEqual([
      [
        1,
        `synth: ${mine} is not a floe output directory (it holds README.md, src/); choose an empty or new directory\n`,
      ],
      [
        1,
        `synth: ${mine} is not a floe output directory (it holds README.md, src/); choose an empty or new directory\n`,
      ],
      [
        1,
        `clean: ${mine} is not a floe output directory (it holds README.md, src/); choose an empty or new directory\n`,
      ],
      [1, 'synth: . contains the current directory; choose an empty or new directory\n'],
      [1, 'synth: .. contains the current directory; choose an empty or new directory\n'],
    ]);
    expect(tree(mine)).toEqual({ 'README.md': '# mine\n' });
    expect(fs.readdirSync(path.dirname(mine))).toEqual(['mine']);
  });

  test('synth:helm keeps a {{ of the TypeScript app literal, as floe synth --format helm does', async () => {
    const dir = tmpdir();
    const out = path.join(dir, 'helm');
    const r = npmRun('synth:helm', ['--out', out], {
      ...offline(),
      CDK8S_APP: 'node scripts/cdk8s-app.js test/fixtures/helm-app/main.ts',
    });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(Object.keys(tree(out)).sort()).toEqual([
      OUTPUT_MARKER,
      'Chart.yaml',
      'README.md',
      'templates/templated.k8s.yaml',
    ]);
    expect(tree(out)['Chart.yaml']).toMatch(/^apiVersion: v2\nname: floe-platform\nversion: 0\.1\.0\n/);
    const template = tree(out)['templates/templated.k8s.yaml'];
    expect(template).toContain('example.com/release: "{{ "{{" }} .Release.Name }}"');
    // Only `{{` opens a Helm action: a lone `}}` is left as it is.
    expect(template).toContain('closing: a }} b');
    expect(template.split('{{ "{{" }}').join('')).not.toContain('{{');

    const helm = helmBinary();
    if (helm === undefined) {
      // No helm here: the escaped text above is what the test can check.
      return;
    }
    // The same literal through floe synth --format helm, rendered by the same helm.
    const manifest = path.join(dir, 'platform.yaml');
    fs.writeFileSync(
      manifest,
      [
        'apiVersion: floe.dev/v1',
        'kind: PlatformManifest',
        'metadata:',
        '  name: floe',
        "  version: '1.0.0'",
        'services:',
        '  orchestrator:',
        '    ingress:',
        '      enabled: true',
        '      annotations:',
        "        example.com/release: '{{ .Release.Name }}'",
        '',
      ].join('\n'),
    );
    const floeOut = path.join(dir, 'floe');
    const code = await main(['synth', '--manifest', manifest, '--format', 'helm', '--out', floeOut], {
      out: () => undefined,
      err: () => undefined,
    });
    expect(code).toBe(0);

    // With a real helm (3.16.4 checked): both charts render the annotation literally.
    const fromScript = helmTemplate(helm, out);
    expect(fromScript.map((o) => o.metadata.annotations?.['example.com/release'])).toEqual([
      '{{ .Release.Name }}',
    ]);
    const fromFloe = helmTemplate(helm, path.join(floeOut, 'floe-platform'));
    const annotated = fromFloe.filter((o) => o.metadata.annotations?.['example.com/release'] !== undefined);
    expect(annotated.map((o) => o.metadata.annotations?.['example.com/release'])).toEqual([
      '{{ .Release.Name }}',
    ]);
  });
});
