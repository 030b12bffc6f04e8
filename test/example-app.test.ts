import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { buildExampleApp } from '../src/main';
import { FloePlatform } from '../src/platform/floe-platform';
import { validateObjects } from './support/k8s-schema';
import { checkPolicy } from './support/policy';
import { K8sObject } from './support/synth';

function exampleObjects(): { platform: FloePlatform; objects: K8sObject[] } {
  const app = buildExampleApp(fs.mkdtempSync(path.join(os.tmpdir(), 'floe-example-')));
  const platform = app.node.findChild('platform') as FloePlatform;
  return { platform, objects: Testing.synth(platform) as K8sObject[] };
}

describe('example app (src/main.ts, what `npx cdk8s synth` runs)', () => {
  const { platform, objects } = exampleObjects();

  test('passes strict schema validation', () => {
    expect(validateObjects(objects)).toEqual([]);
  });

  test('passes the policy check with the README prerequisites', () => {
    expect(
      checkPolicy(objects, {
        prerequisiteSecrets: platform.requiredSecrets.map((s) => s.name),
        prerequisiteConfigMaps: platform.requiredConfigMaps,
      }),
    ).toEqual([]);
  });

  test('the README gives the command for every prerequisite of the example', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    for (const command of platform.prerequisiteCommands()) {
      expect(readme).toContain(command);
    }
  });

  test('no string opens a Helm template action, so the Helm chart renders objects literally', () => {
    const offending: string[] = [];
    const visit = (v: unknown): void => {
      if (typeof v === 'string' && v.includes('{{')) offending.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(visit);
    };
    visit(objects);
    expect(offending).toEqual([]);
  });

  test('the committed dist/platform.k8s.yaml is what the example synthesizes today', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-example-'));
    buildExampleApp(outdir).synth();
    const fresh = fs.readFileSync(path.join(outdir, 'platform.k8s.yaml'), 'utf8');
    const committed = fs.readFileSync(path.join(__dirname, '..', 'dist', 'platform.k8s.yaml'), 'utf8');
    fs.rmSync(outdir, { recursive: true, force: true });
    // On failure: run `npx cdk8s synth`, review the diff of dist/ and commit it.
    expect(committed === fresh).toBe(true);
  });
});
