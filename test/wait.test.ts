import { spawnSync } from 'child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Testing } from 'cdk8s';
import { boundedWaitScript, MAX_WAIT_DELAY_SECONDS } from '../src/core/wait';
import { FloePlatform } from '../src/platform/floe-platform';
import { K8sObject } from './support/synth';

/**
 * Runs a wait script under `sh` with stand-ins: `check` succeeds on its `succeedAt`-th call
 * (never when 0); `sleep` advances a fake clock by its argument and records it; `date +%s` prints
 * the clock. So the back-off and the deadline are checked without waiting.
 */
function run(
  maxSeconds: number,
  succeedAt: number,
): { status: number | null; stdout: string; stderr: string; sleeps: number[] } {
  const bin = mkdtempSync(join(tmpdir(), 'floe-wait-'));
  const file = (name: string): string => join(bin, name);
  writeFileSync(file('clock'), '1000\n');
  writeFileSync(file('calls'), '');
  writeFileSync(file('sleeps'), '');
  const stub = (name: string, body: string): void => {
    writeFileSync(file(name), `#!/bin/sh\n${body}\n`);
    chmodSync(file(name), 0o755);
  };
  stub(
    'check',
    `echo x >> "${file('calls')}"\nn=\`wc -l < "${file('calls')}"\`\n[ ${succeedAt} -gt 0 ] && [ "$n" -ge ${succeedAt} ]`,
  );
  stub(
    'sleep',
    `echo "$1" >> "${file('sleeps')}"\nc=\`cat "${file('clock')}"\`\nexpr "$c" + "$1" > "${file('clock')}"`,
  );
  stub('date', `cat "${file('clock')}"`);
  const r = spawnSync('sh', ['-c', boundedWaitScript('db:5432', 'check', maxSeconds)], {
    env: { PATH: `${bin}:/usr/bin:/bin` },
    encoding: 'utf8',
    timeout: 20_000,
  });
  const sleeps = readFileSync(file('sleeps'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, sleeps };
}

describe('bounded waits (boundedWaitScript)', () => {
  test('retries with exponential back-off and stops waiting as soon as the check passes', () => {
    const r = run(300, 5);
    expect(r.status).toBe(0);
    expect(r.sleeps).toEqual([1, 2, 4, 8]);
    expect(r.stdout.split('\n')[0]).toBe('waiting for db:5432 (0s so far; next try in 1s)');
    expect(r.stdout.split('\n')[3]).toBe('waiting for db:5432 (7s so far; next try in 8s)');
  });

  test('caps the pause, then gives up after the deadline saying what it waited for and how long', () => {
    const r = run(120, 0);
    expect(r.status).toBe(1);
    expect(r.sleeps).toEqual([1, 2, 4, 8, 16, 30, 30, 30]);
    expect(Math.max(...r.sleeps)).toBe(MAX_WAIT_DELAY_SECONDS);
    expect(r.stderr.trim()).toBe('gave up waiting for db:5432 after 121s');
  });

  test('nothing in it for the kubelet to expand ($( and $$)', () => {
    const script = boundedWaitScript('x', 'true');
    expect(script).not.toContain('$(');
    expect(script).not.toContain('$$');
  });

  test('every wait init container of the platform is bounded', () => {
    const app = Testing.app();
    const objects = Testing.synth(new FloePlatform(app, 'platform')) as K8sObject[];
    const waits = objects.flatMap((o) => {
      const spec = (
        o.spec as { template?: { spec?: { initContainers?: { name: string; command?: string[] }[] } } }
      )?.template?.spec;
      const jobSpec = (
        o.spec as {
          jobTemplate?: {
            spec?: { template?: { spec?: { initContainers?: { name: string; command?: string[] }[] } } };
          };
        }
      )?.jobTemplate?.spec?.template?.spec;
      return [...(spec?.initContainers ?? []), ...(jobSpec?.initContainers ?? [])]
        .filter((c) => c.name.startsWith('wait-'))
        .map((c) => `${o.kind}/${o.metadata.name} ${c.name}: ${(c.command ?? []).join(' ')}`);
    });
    expect(waits.length).toBeGreaterThan(5);
    expect(waits.filter((w) => !w.includes('gave up waiting for'))).toEqual([]);
  });
});
