import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/floe';
import {
  checkOutputDir,
  makeStagingDir,
  OUTPUT_MARKER,
  OutputDirError,
  removeOutputDir,
  replaceOutputDir,
} from '../src/cli/output-dir';

const root = path.join(__dirname, '..');
const platform = path.join(root, 'examples/platform-with-products/platform-manifest.yaml');

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'floe-out-'));
}

/** Creates `files` (relative path -> text) under `dir`; a name ending in `/` is a directory. */
function populate(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    const full = path.join(dir, name);
    if (name.endsWith('/')) {
      fs.mkdirSync(full, { recursive: true });
    } else {
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, text);
    }
  }
}

/** Every entry under `dir` with its text (directories as `/`-terminated names with ''). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const name = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        out[`${name}/`] = '';
        walk(name);
      } else if (entry.isSymbolicLink()) {
        out[name] = `-> ${fs.readlinkSync(path.join(dir, name))}`;
      } else {
        out[name] = fs.readFileSync(path.join(dir, name), 'utf8');
      }
    }
  };
  walk('');
  return out;
}

async function synth(
  out: string,
  ...args: string[]
): Promise<{ code: number; out: string[]; err: string[] }> {
  const lines: string[] = [];
  const err: string[] = [];
  const code = await main(['synth', '--manifest', platform, ...args, '--out', out], {
    out: (l) => lines.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: lines, err };
}

/** The message checkOutputDir throws for `dir`, or undefined when the directory may be replaced. */
function refusal(dir: string): string | undefined {
  try {
    checkOutputDir({ dir, inputs: [] });
    return undefined;
  } catch (error) {
    if (error instanceof OutputDirError) return error.message;
    throw error;
  }
}

describe('floe synth --out: only an absent, empty or previous floe output directory is replaced', () => {
  test('a directory of other files is refused, named with what it holds, and left untouched', async () => {
    const parent = tmpdir();
    const out = path.join(parent, 'project');
    populate(out, { 'README.md': '# mine\n', 'src/main.ts': 'export {};\n', 'notes.txt': 'x\n' });
    const before = snapshot(parent);
    const r = await synth(out);
    expect(r).toEqual({
      code: 1,
      out: [],
      err: [
        `floe synth: ${out} is not a floe output directory (it holds README.md, notes.txt, src/); choose an empty or new directory`,
      ],
    });
    // Nothing touched, and no temporary directory left beside it.
    expect(snapshot(parent)).toEqual(before);
  });

  test('a previous floe output is replaced; the marker lists exactly the files written', async () => {
    const out = path.join(tmpdir(), 'dist');
    const products = ['sales', 'marketing'].flatMap((p) => [
      '--product',
      path.join(root, `examples/platform-with-products/${p}/floe.yaml`),
    ]);
    expect((await synth(out, ...products)).code).toBe(0);
    expect(fs.readFileSync(path.join(out, OUTPUT_MARKER), 'utf8').split('\n').slice(3)).toEqual([
      '0000-platform.k8s.yaml',
      '0001-floe-sales.k8s.yaml',
      '0002-floe-campaign-performance.k8s.yaml',
      '',
    ]);
    // A second synth accepts the first one's output (platform only now: the old files go).
    const r = await main(
      ['synth', '--manifest', path.join(root, 'examples/platform/platform-manifest.yaml'), '--out', out],
      { out: () => undefined, err: () => undefined },
    );
    expect(r).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual([OUTPUT_MARKER, '0000-platform.k8s.yaml']);
    expect(fs.readdirSync(path.dirname(out))).toEqual(['dist']);
  });

  test('a previous floe output with a file added by hand is refused: the added file is named', async () => {
    const out = path.join(tmpdir(), 'dist');
    expect((await synth(out)).code).toBe(0);
    populate(out, { 'my-patch.yaml': 'kind: Patch\n' });
    const before = snapshot(out);
    const r = await synth(out);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      `floe synth: ${out} is not a floe output directory (it holds my-patch.yaml); choose an empty or new directory`,
    ]);
    expect(snapshot(out)).toEqual(before);
  });

  test('an output that contains an input file or the current directory is refused', async () => {
    const dir = tmpdir();
    populate(dir, { 'manifests/platform.yaml': fs.readFileSync(platform, 'utf8') });
    const err: string[] = [];
    const code = await main(
      [
        'synth',
        '--manifest',
        path.join(dir, 'manifests/platform.yaml'),
        '--out',
        path.join(dir, 'manifests'),
      ],
      { out: () => undefined, err: (l) => err.push(l) },
    );
    expect({ code, err }).toEqual({
      code: 1,
      err: [
        `floe synth: ${path.join(dir, 'manifests')} contains the input file ${path.join(dir, 'manifests/platform.yaml')}; choose an empty or new directory`,
      ],
    });
    expect(snapshot(dir)).toEqual({
      'manifests/': '',
      'manifests/platform.yaml': fs.readFileSync(platform, 'utf8'),
    });
    expect(() => checkOutputDir({ dir: path.dirname(process.cwd()), inputs: [] })).toThrow(
      `${path.dirname(process.cwd())} contains the current directory; choose an empty or new directory`,
    );
  });
});

describe('floe synth --out: unusable paths are one line each, and leave nothing behind', () => {
  test('an empty --out is a usage error (exit 2), not the current directory', async () => {
    const err: string[] = [];
    const code = await main(['synth', '--manifest', platform, '--out', ''], {
      out: () => undefined,
      err: (l) => err.push(l),
    });
    expect(code).toBe(2);
    expect(err[0]).toBe('floe synth: --out needs a value (got an empty string)');
  });

  test('a path through a file is refused in one line, and the file is untouched', async () => {
    const dir = tmpdir();
    populate(dir, { notes: 'mine' });
    const r = await synth(path.join(dir, 'notes', 'out'));
    expect(r).toEqual({
      code: 1,
      out: [],
      err: [
        `floe synth: cannot write ${path.join(dir, 'notes', 'out')}: a part of the path is a file, not a directory; nothing was written`,
      ],
    });
    expect(snapshot(dir)).toEqual({ notes: 'mine' });
  });

  test('parents that floe created for an output that failed are removed; existing ones stay', async () => {
    const dir = tmpdir();
    populate(dir, { 'keep/': '' });
    const bad = path.join(dir, 'keep', 'bad.yaml');
    fs.writeFileSync(bad, 'kind: PlatformManifest\n');
    const code = await main(['synth', '--manifest', bad, '--out', path.join(dir, 'keep/a/b/out')], {
      out: () => undefined,
      err: () => undefined,
    });
    expect(code).toBe(1);
    expect(snapshot(dir)).toEqual({ 'keep/': '', 'keep/bad.yaml': 'kind: PlatformManifest\n' });
    // On success the parents are the output's and stay.
    expect((await synth(path.join(dir, 'keep/a/b/out'))).code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'keep/a/b/out', OUTPUT_MARKER))).toBe(true);
  });

  test('a directory floe may not write to is one line, exit 1 (as a non-root user sees it)', async () => {
    const dir = tmpdir();
    const denied = Object.assign(new Error("EACCES: permission denied, mkdtemp '...'"), {
      code: 'EACCES',
    });
    // The module object itself: the namespace import above has read-only bindings of it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeFs = require('fs') as typeof fs;
    const spy = jest.spyOn(nodeFs, 'mkdtempSync').mockImplementation(() => {
      throw denied;
    });
    try {
      const r = await synth(path.join(dir, 'new', 'out'));
      expect(r).toEqual({
        code: 1,
        out: [],
        err: [
          `floe synth: cannot write ${path.join(dir, 'new', 'out')}: permission denied; nothing was written`,
        ],
      });
    } finally {
      spy.mockRestore();
    }
    expect(snapshot(dir)).toEqual({});
  });
});

describe('the output directory rule (src/cli/output-dir.ts)', () => {
  test('accepts what cdk8s synth wrote before the marker existed, in exactly its shapes', () => {
    const yaml = tmpdir();
    populate(yaml, { '0000-platform.k8s.yaml': 'a\n', '0001-sales.k8s.yaml': 'b\n' });
    const helm = tmpdir();
    populate(helm, {
      'Chart.yaml': 'name: x\n',
      'README.md': 'This Helm chart is generated using cdk8s. Any manual changes ...',
      'templates/0000-platform.k8s.yaml': 'a\n',
    });
    expect([refusal(yaml), refusal(helm)]).toEqual([undefined, undefined]);
    const ownReadme = tmpdir();
    populate(ownReadme, {
      'Chart.yaml': 'name: x\n',
      'README.md': '# My chart\n',
      'templates/a.k8s.yaml': '',
    });
    const ownTemplate = tmpdir();
    populate(ownTemplate, { 'Chart.yaml': 'name: x\n', 'templates/_helpers.tpl': '' });
    const plainYaml = tmpdir();
    populate(plainYaml, { 'deployment.yaml': 'a\n', '0000-platform.k8s.yaml': 'a\n' });
    expect([refusal(ownReadme), refusal(ownTemplate), refusal(plainYaml)]).toEqual([
      `${ownReadme} is not a floe output directory (it holds README.md); choose an empty or new directory`,
      `${ownTemplate} is not a floe output directory (it holds templates/_helpers.tpl); choose an empty or new directory`,
      `${plainYaml} is not a floe output directory (it holds deployment.yaml); choose an empty or new directory`,
    ]);
  });

  test('trusts a marker only for the files it lists inside the directory; never follows a link', () => {
    const header =
      '# A floe output directory, written by floe-cdk8s (floe synth, npm run synth, npm run synth:helm).\n';
    const escape = tmpdir();
    populate(escape, { [OUTPUT_MARKER]: `${header}../outside.txt\nnotes.txt\n`, 'notes.txt': 'mine\n' });
    const forged = tmpdir();
    populate(forged, { [OUTPUT_MARKER]: 'notes.txt\n', 'notes.txt': 'mine\n' });
    const linked = tmpdir();
    populate(linked, { [OUTPUT_MARKER]: `${header}a.k8s.yaml\n` });
    fs.symlinkSync(os.homedir(), path.join(linked, 'a.k8s.yaml'));
    const legacyLink = tmpdir();
    fs.symlinkSync(os.homedir(), path.join(legacyLink, 'home.k8s.yaml'));
    expect([refusal(escape), refusal(forged), refusal(linked), refusal(legacyLink)]).toEqual([
      `${escape} is not a floe output directory (it holds ${OUTPUT_MARKER}, notes.txt); choose an empty or new directory`,
      `${forged} is not a floe output directory (it holds ${OUTPUT_MARKER}, notes.txt); choose an empty or new directory`,
      `${linked} is not a floe output directory (it holds a.k8s.yaml); choose an empty or new directory`,
      `${legacyLink} is not a floe output directory (it holds home.k8s.yaml); choose an empty or new directory`,
    ]);
    expect(refusal(path.join(tmpdir(), 'absent'))).toBeUndefined();
    expect(refusal(tmpdir())).toBeUndefined();
    const file = path.join(tmpdir(), 'out.yaml');
    fs.writeFileSync(file, 'mine\n');
    expect(refusal(file)).toBe(`${file} exists and is not a directory; choose an empty or new directory`);
  });

  test('a nested floe output (dist/helm in dist) is kept when its parent is replaced', () => {
    const parent = tmpdir();
    const dist = path.join(parent, 'dist');
    const write = (dir: string, files: Record<string, string>): void => {
      const staging = makeStagingDir(dir);
      populate(staging, files);
      expect(replaceOutputDir(staging, { dir, inputs: [] })).toEqual([]);
    };
    write(dist, { '0000-platform.k8s.yaml': 'old\n' });
    write(path.join(dist, 'helm'), {
      'Chart.yaml': 'name: floe-platform\n',
      'templates/0000-platform.k8s.yaml': 'h\n',
    });
    const helm = snapshot(path.join(dist, 'helm'));
    write(dist, { '0000-platform.k8s.yaml': 'new\n', '0001-sales.k8s.yaml': 'sales\n' });
    const after = snapshot(dist);
    expect(Object.keys(after).sort()).toEqual(
      [
        OUTPUT_MARKER,
        '0000-platform.k8s.yaml',
        '0001-sales.k8s.yaml',
        'helm/',
        ...Object.keys(helm).map((k) => `helm/${k}`),
      ].sort(),
    );
    expect(after['0000-platform.k8s.yaml']).toBe('new\n');
    expect(snapshot(path.join(dist, 'helm'))).toEqual(helm);
    expect(fs.readdirSync(parent)).toEqual(['dist']);
  });

  test('replacing re-checks the directory: a file added while synthesizing stops the swap', () => {
    const dir = path.join(tmpdir(), 'dist');
    const first = makeStagingDir(dir);
    populate(first, { 'a.k8s.yaml': 'a\n' });
    replaceOutputDir(first, { dir, inputs: [] });
    const staging = makeStagingDir(dir);
    populate(staging, { 'b.k8s.yaml': 'b\n' });
    populate(dir, { 'mine.txt': 'mine\n' });
    const before = snapshot(dir);
    expect(() => replaceOutputDir(staging, { dir, inputs: [] })).toThrow(OutputDirError);
    expect(snapshot(dir)).toEqual(before);
  });

  test('removing (npm run clean) deletes only a floe output, and only its own files', () => {
    const parent = tmpdir();
    const out = path.join(parent, 'helm');
    const staging = makeStagingDir(out);
    populate(staging, { 'Chart.yaml': 'x\n', 'templates/a.k8s.yaml': 'a\n' });
    replaceOutputDir(staging, { dir: out, inputs: [] });
    removeOutputDir({ dir: out, inputs: [] });
    expect(fs.readdirSync(parent)).toEqual([]);
    const mine = path.join(parent, 'mine');
    populate(mine, { 'Chart.yaml': 'x\n', 'values.yaml': 'y\n' });
    expect(() => removeOutputDir({ dir: mine, inputs: [] })).toThrow(
      `${mine} is not a floe output directory (it holds values.yaml); choose an empty or new directory`,
    );
    expect(snapshot(mine)).toEqual({ 'Chart.yaml': 'x\n', 'values.yaml': 'y\n' });
  });
});
