/**
 * The operating commands against a real cluster: runs only when FLOE_E2E_KUBECONFIG names a
 * kubeconfig (a throwaway cluster: it deploys the example platform into it), and says so when it
 * is skipped. README ("Operate") tells how to run it on kind or k3d.
 *
 *   FLOE_E2E_KUBECONFIG=~/.kube/kind-floe npm run test:e2e -- test/e2e/cluster.e2e.ts
 */
import { spawnSync } from 'child_process';
import { FLOE_BIN, ROOT } from '../support/cli';

const KUBECONFIG = process.env.FLOE_E2E_KUBECONFIG;
const MANIFEST = 'examples/platform/platform-manifest.yaml';
const TIMEOUT_MS = 30 * 60 * 1000;

function floe(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [FLOE_BIN, ...args, '--kubeconfig', KUBECONFIG ?? ''], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

if (KUBECONFIG === undefined) {
  console.warn('test/e2e/cluster.e2e.ts skipped: set FLOE_E2E_KUBECONFIG to a throwaway cluster to run it');
  describe('operating commands on a real cluster', () => {
    test.skip('skipped: set FLOE_E2E_KUBECONFIG to a throwaway cluster to run them (see README, Operate)', () => {
      // Nothing without a cluster.
    });
  });
} else {
  jest.setTimeout(TIMEOUT_MS);
  describe(`operating commands on the cluster of ${KUBECONFIG}`, () => {
    test('prerequisites are reported before anything is applied, or present', () => {
      const r = floe('platform', 'deploy', '--manifest', MANIFEST, '--dry-run');
      // Either the prerequisites are there (a server-side dry run of everything) or they are listed.
      expect(r.out).toMatch(/Dry run: \d+ objects accepted|missing prerequisites \(nothing was applied\)/);
    });

    test('deploy, then status is healthy and diff shows nothing to change', () => {
      const deploy = floe('platform', 'deploy', '--manifest', MANIFEST, '--timeout', '15m');
      expect(deploy.out).toMatch(/Platform services deployed successfully! \(\d+ objects applied/);
      expect(deploy.status).toBe(0);
      const status = floe('platform', 'status', '--manifest', MANIFEST);
      expect(status.out).toContain('Healthy.');
      expect(status.status).toBe(0);
      const diff = floe('platform', 'diff', '--manifest', MANIFEST);
      expect(diff.out).toMatch(/0 to create, 0 to update, \d+ unchanged/);
      expect(diff.status).toBe(0);
      const logs = floe('platform', 'logs', 'catalog', '--manifest', MANIFEST, '--tail', '5');
      expect(logs.status).toBe(0);
      expect(logs.out).toMatch(/^\[polaris-/m);
    });
  });
}
