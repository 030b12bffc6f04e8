/**
 * The output directory rule of every command that writes manifests (`floe synth`, `npm run synth`,
 * `npm run synth:helm`, and `npm run clean` for what it removes): a directory is replaced only when
 * it is absent, empty, or holds exactly a previous floe output. Anything else is refused with the
 * entries in the way, and nothing is touched.
 *
 * A floe output carries a marker, `.floe-output`, listing the files floe wrote. Accepted as a
 * previous output as well, because cdk8s wrote them before the marker existed:
 *
 * - the shape `cdk8s synth` writes: only `*.k8s.yaml` files;
 * - the shape `cdk8s synth --format helm` writes: `Chart.yaml`, cdk8s's `README.md` and
 *   `templates/` with only `*.k8s.yaml` files.
 *
 * A subdirectory that is a previous output of its own (`dist/helm` in `dist`) is kept: it moves
 * into the new output unchanged. Replacing is atomic: the new output is built in a sibling
 * directory and renamed into place; the previous output's own files are then deleted one by one
 * (never a recursive delete of something floe did not list).
 *
 * scripts/synth.js loads this file the way bin/floe loads the CLI: one implementation of the rule.
 */
import * as fs from 'fs';
import * as path from 'path';
import { printable } from '../manifest/errors';

/** The marker file of a floe output directory. */
export const OUTPUT_MARKER = '.floe-output';

const MARKER_HEADER = [
  '# A floe output directory, written by floe-cdk8s (floe synth, npm run synth, npm run synth:helm).',
  '# The next synth into it replaces the files listed below, and refuses to touch the directory',
  '# when it holds anything else: keep your own files elsewhere.',
];

/** The text of cdk8s's README.md in a Helm chart it synthesized. */
const CDK8S_HELM_README = 'This Helm chart is generated using cdk8s.';

/** An output directory that must not be written or removed: the message says why. */
export class OutputDirError extends Error {}

/** What a directory holds, as far as replacing it goes. */
interface Inspection {
  /** What the directory is. */
  readonly kind: 'absent' | 'empty' | 'floe' | 'cdk8s' | 'other' | 'not-a-directory';
  /** Files of the previous output (relative, `/`-separated, the marker included): deleted. */
  readonly files: readonly string[];
  /** Directories of the previous output, relative: removed once empty. */
  readonly dirs: readonly string[];
  /** Subdirectories that are previous outputs of their own: kept. */
  readonly nested: readonly string[];
  /** For `other`: the entries in the way (relative, directories with a trailing `/`). */
  readonly offending: readonly string[];
}

const K8S_YAML = /\.k8s\.yaml$/;

function entries(dir: string): fs.Dirent[] {
  return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** A relative path from a marker: `/`-separated, inside the directory, nothing odd. */
function listedPath(line: string): boolean {
  return (
    line !== '' &&
    !line.startsWith('/') &&
    !line.includes('\\') &&
    line.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..')
  );
}

/** The files a marker lists, or undefined when it is not a marker floe wrote. */
function readMarker(file: string): Set<string> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  if (!text.startsWith(MARKER_HEADER[0])) {
    return undefined;
  }
  const listed = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return listed.every(listedPath) ? new Set(listed) : undefined;
}

/** True when `dir` is a previous output of its own (kept when its parent is replaced). */
function isNestedOutput(dir: string): boolean {
  const kind = inspect(dir).kind;
  return kind === 'floe' || kind === 'cdk8s';
}

function inspect(dir: string): Inspection {
  const none = { files: [], dirs: [], nested: [], offending: [] };
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { kind: 'absent', ...none };
    }
    throw error;
  }
  if (!stat.isDirectory()) {
    return { kind: 'not-a-directory', ...none };
  }
  const top = entries(dir);
  if (top.length === 0) {
    return { kind: 'empty', ...none };
  }
  const marker = top.find((e) => e.name === OUTPUT_MARKER && e.isFile());
  const listed = marker ? readMarker(path.join(dir, OUTPUT_MARKER)) : undefined;
  if (listed !== undefined) {
    return inspectListed(dir, listed);
  }
  return inspectCdk8s(dir, top);
}

/** A directory with a marker: every entry is listed, a parent of a listed file, or a nested output. */
function inspectListed(dir: string, listed: Set<string>): Inspection {
  const parents = new Set<string>();
  for (const file of listed) {
    const segments = file.split('/');
    for (let n = 1; n < segments.length; n++) parents.add(segments.slice(0, n).join('/'));
  }
  const files: string[] = [OUTPUT_MARKER];
  const dirs: string[] = [];
  const nested: string[] = [];
  const offending: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of entries(path.join(dir, rel))) {
      const name = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (name === OUTPUT_MARKER) continue;
      if (entry.isFile() && listed.has(name)) {
        files.push(name);
      } else if (entry.isDirectory() && parents.has(name)) {
        dirs.push(name);
        walk(name);
      } else if (entry.isDirectory() && rel === '' && isNestedOutput(path.join(dir, name))) {
        nested.push(name);
      } else {
        offending.push(entry.isDirectory() ? `${name}/` : name);
      }
    }
  };
  walk('');
  return offending.length > 0
    ? { kind: 'other', files: [], dirs: [], nested: [], offending }
    : { kind: 'floe', files, dirs, nested, offending };
}

/** A directory without a marker: accepted only in the exact shapes cdk8s writes. */
function inspectCdk8s(dir: string, top: fs.Dirent[]): Inspection {
  const files: string[] = [];
  const dirs: string[] = [];
  const nested: string[] = [];
  const offending: string[] = [];
  const helm = top.some((e) => e.name === 'Chart.yaml' && e.isFile());
  for (const entry of top) {
    const name = entry.name;
    if (entry.isFile() && (K8S_YAML.test(name) || (helm && name === 'Chart.yaml'))) {
      files.push(name);
    } else if (helm && entry.isFile() && name === 'README.md' && isCdk8sReadme(path.join(dir, name))) {
      files.push(name);
    } else if (helm && entry.isDirectory() && name === 'templates') {
      const inside = entries(path.join(dir, name));
      const stray = inside.filter((e) => !(e.isFile() && K8S_YAML.test(e.name)));
      if (stray.length > 0) {
        offending.push(...stray.map((e) => `templates/${e.name}${e.isDirectory() ? '/' : ''}`));
      } else {
        dirs.push(name);
        files.push(...inside.map((e) => `templates/${e.name}`));
      }
    } else if (entry.isDirectory() && isNestedOutput(path.join(dir, name))) {
      nested.push(name);
    } else {
      offending.push(entry.isDirectory() ? `${name}/` : name);
    }
  }
  if (offending.length > 0) {
    return { kind: 'other', files: [], dirs: [], nested: [], offending };
  }
  return { kind: 'cdk8s', files, dirs, nested, offending };
}

function isCdk8sReadme(file: string): boolean {
  try {
    return fs.readFileSync(file, 'utf8').startsWith(CDK8S_HELM_README);
  } catch {
    return false;
  }
}

/** `p` with its existing part resolved through symbolic links (the part that does not exist yet appended). */
function realPath(p: string): string {
  const absolute = path.resolve(p);
  const rest: string[] = [];
  let existing = absolute;
  for (;;) {
    try {
      return path.join(fs.realpathSync(existing), ...rest);
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return absolute;
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

function contains(dir: string, p: string): boolean {
  const relative = path.relative(dir, p);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** Where the output goes and what it must not swallow. */
export interface OutputTarget {
  /** The output directory, as given (relative to the current directory). */
  readonly dir: string;
  /** The files the command reads: the directory must not contain any of them. */
  readonly inputs: readonly string[];
  /**
   * The current directory, which the output directory must not contain either.
   * @default process.cwd()
   */
  readonly cwd?: string;
}

function listOffending(offending: readonly string[]): string {
  const shown = offending.slice(0, 4).join(', ');
  return offending.length > 4 ? `${shown}, ...` : shown;
}

/**
 * Checks that `target.dir` may be replaced (or removed): throws an `OutputDirError` saying why not,
 * else returns what replacing it deletes and keeps.
 */
function check(target: OutputTarget): Inspection {
  const shown = printable(target.dir);
  const dir = realPath(target.dir);
  const cwd = realPath(target.cwd ?? process.cwd());
  if (contains(dir, cwd)) {
    throw new OutputDirError(`${shown} contains the current directory; choose an empty or new directory`);
  }
  const input = target.inputs.find((file) => contains(dir, realPath(file)));
  if (input !== undefined) {
    throw new OutputDirError(
      `${shown} contains the input file ${printable(input)}; choose an empty or new directory`,
    );
  }
  const found = inspect(dir);
  if (found.kind === 'not-a-directory') {
    throw new OutputDirError(`${shown} exists and is not a directory; choose an empty or new directory`);
  }
  if (found.kind === 'other') {
    throw new OutputDirError(
      `${shown} is not a floe output directory (it holds ${printable(listOffending(found.offending))}); choose an empty or new directory`,
    );
  }
  return found;
}

/** What the file system says, in words, for the errors a user can fix. */
const FS_REASONS: Readonly<Record<string, string>> = {
  ENOTDIR: 'a part of the path is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'a loop of symbolic links in the path',
  ENAMETOOLONG: 'the path is too long',
  EEXIST: 'a file appeared in the way while writing',
};

/**
 * Runs `fn`; a file system error the user can fix (a file where a directory is expected, no
 * permission, a full or read-only disk) becomes an `OutputDirError` naming `dir`, so commands print
 * one line instead of Node's error and stack.
 */
function guard<T>(dir: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === undefined ? undefined : FS_REASONS[code];
    if (reason === undefined) throw error;
    throw new OutputDirError(`cannot write ${printable(dir)}: ${reason}; nothing was written`);
  }
}

/** Throws an `OutputDirError` unless `target.dir` may be replaced: call before any work. */
export function checkOutputDir(target: OutputTarget): void {
  guard(target.dir, () => check(target));
}

/** For each staging directory: the first of its parents that `makeStagingDir` created, if any. */
const createdParents = new Map<string, string | undefined>();

/**
 * A new, empty directory beside `dir` to build the output in (created with its parents). Pass it to
 * `replaceOutputDir` on success; remove it with `removeStagingDir` in any case.
 */
export function makeStagingDir(dir: string): string {
  return guard(dir, () => {
    const real = realPath(dir);
    const created = fs.mkdirSync(path.dirname(real), { recursive: true });
    try {
      const staging = fs.mkdtempSync(path.join(path.dirname(real), `.${path.basename(real)}.floe-new-`));
      createdParents.set(staging, created);
      return staging;
    } catch (error) {
      if (created !== undefined) removeEmptyParents(path.dirname(real), created);
      throw error;
    }
  });
}

/** Removes `from` and its parents up to `top`, as long as each is empty. */
function removeEmptyParents(from: string, top: string): void {
  let dir = from;
  for (;;) {
    try {
      fs.rmdirSync(dir);
    } catch {
      return; // not empty (or already gone): what is not floe's stays
    }
    if (dir === top) return;
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/**
 * Removes a directory `makeStagingDir` made, if it is still there, and, when the output was not
 * put in place, the parent directories `makeStagingDir` created for it (those still empty).
 */
export function removeStagingDir(staging: string): void {
  const placed = !fs.existsSync(staging);
  fs.rmSync(staging, { recursive: true, force: true });
  const created = createdParents.get(staging);
  createdParents.delete(staging);
  if (!placed && created !== undefined) removeEmptyParents(path.dirname(staging), created);
}

/** Every file under `dir`, relative and `/`-separated, sorted. */
function filesUnder(dir: string, rel = ''): string[] {
  return entries(path.join(dir, rel)).flatMap((entry) => {
    const name = rel === '' ? entry.name : `${rel}/${entry.name}`;
    return entry.isDirectory() ? filesUnder(dir, name) : [name];
  });
}

/** Deletes the previous output's own files and directories from `dir`; true when `dir` is then gone. */
function deletePrevious(dir: string, previous: Inspection): boolean {
  for (const file of previous.files) {
    fs.rmSync(path.join(dir, file), { force: true });
  }
  const byDepth = [...previous.dirs].sort((a, b) => b.split('/').length - a.split('/').length);
  try {
    for (const d of byDepth) fs.rmdirSync(path.join(dir, d));
    fs.rmdirSync(dir);
    return true;
  } catch {
    // Something that was not floe's appeared meanwhile: it stays.
    return false;
  }
}

/**
 * Writes the marker into `staging` (listing every file in it), checks `target.dir` again, and
 * replaces it with `staging` by renaming: the new output appears whole or not at all. Nested
 * outputs of the old directory move into the new one; the old output's files are then deleted.
 * Returns warnings (something could not be cleaned up); throws an `OutputDirError` when the
 * directory may not be replaced, leaving everything as it was.
 */
export function replaceOutputDir(staging: string, target: OutputTarget): string[] {
  return guard(target.dir, () => replace(staging, target));
}

function replace(staging: string, target: OutputTarget): string[] {
  const files = filesUnder(staging).filter((f) => f !== OUTPUT_MARKER);
  fs.writeFileSync(path.join(staging, OUTPUT_MARKER), [...MARKER_HEADER, ...files, ''].join('\n'));
  const previous = check(target);
  const dir = realPath(target.dir);
  const clash = previous.nested.find((n) => fs.existsSync(path.join(staging, n)));
  if (clash !== undefined) {
    throw new OutputDirError(
      `${printable(target.dir)}/${printable(clash)} is a floe output of its own, and the new output writes ${printable(clash)} too; move it away first`,
    );
  }
  if (previous.kind === 'absent') {
    fs.renameSync(staging, dir);
    return [];
  }
  const old = `${staging}.old`;
  fs.renameSync(dir, old);
  try {
    fs.renameSync(staging, dir);
  } catch (error) {
    fs.renameSync(old, dir);
    throw error;
  }
  const warnings: string[] = [];
  for (const name of previous.nested) {
    try {
      fs.renameSync(path.join(old, name), path.join(dir, name));
    } catch {
      warnings.push(`could not move ${printable(name)} into the new output; it is in ${printable(old)}`);
    }
  }
  if (!deletePrevious(old, previous)) {
    warnings.push(`kept ${printable(old)}: it holds files that appeared while writing`);
  }
  return warnings;
}

/**
 * Removes a previous floe output (`npm run clean`): its own files and directories; nested outputs
 * and the directory itself stay if anything else is there. Throws an `OutputDirError` for a
 * directory that is not a floe output; an absent directory is fine.
 */
export function removeOutputDir(target: OutputTarget): void {
  guard(target.dir, () => {
    const previous = check(target);
    if (previous.kind !== 'absent') {
      deletePrevious(realPath(target.dir), previous);
    }
  });
}
