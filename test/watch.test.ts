import { CollectionRef, KubeApi, VersionedList, WatchEvent, WatchStream } from '../src/ops/kube';
import { KubeObject } from '../src/ops/readiness';
import { applyWatchEvent, CollectionWatch } from '../src/ops/watch';
import { recordedResponse } from './support/stand-in-kube-api';

const deployments: CollectionRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo' };

describe('applyWatchEvent (pure), on the events a kube-apiserver v1.28 sent', () => {
  test('ADDED, MODIFIED, DELETED as recorded: the map follows, the version moves on', () => {
    const events = recordedResponse('13-deployment-watch.json').body as WatchEvent[];
    const objects = new Map<string, KubeObject>();
    const effects = events.map((e) => applyWatchEvent(objects, deployments, e));
    expect(effects.map((e) => [e.resourceVersion, e.changed, e.expired])).toEqual([
      ['194', true, false],
      ['195', true, false],
      ['196', true, false],
    ]);
    // psa was added and deleted; web was modified (so it is known from then on).
    expect([...objects.keys()]).toEqual(['demo/web']);
    expect(objects.get('demo/web')?.kind).toBe('Deployment');
  });

  test('BOOKMARK moves the version only; ERROR 410 means list again; another ERROR is an error', () => {
    const objects = new Map<string, KubeObject>();
    const bookmark = applyWatchEvent(objects, deployments, {
      type: 'BOOKMARK',
      object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: '', resourceVersion: '300' } },
    });
    expect(bookmark).toEqual({ resourceVersion: '300', changed: false, expired: false });
    expect(objects.size).toBe(0);
    const status = (code: number, reason: string, message: string): KubeObject =>
      ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, metadata: {} }) as never;
    const expired = applyWatchEvent(objects, deployments, {
      type: 'ERROR',
      object: status(410, 'Expired', 'too old resource version: 1 (300)'),
    });
    expect(expired).toEqual({ changed: false, expired: true });
    const failed = applyWatchEvent(objects, deployments, {
      type: 'ERROR',
      object: status(500, 'InternalError', 'etcd is down'),
    });
    expect(failed.expired).toBe(false);
    expect(failed.error?.kind).toBe('server');
    expect(failed.error?.message).toBe(
      'watch Deployment in demo: the API server answered HTTP 500: etcd is down',
    );
  });
});

/** A server whose every watch ends at once with nothing in it. */
class ClosingServer implements Partial<KubeApi> {
  public watches = 0;
  public async listVersioned(): Promise<VersionedList> {
    return { items: [], resourceVersion: '7' };
  }
  public watch(): WatchStream {
    this.watches++;
    return { ended: Promise.resolve(), stop: () => undefined };
  }
}

describe('CollectionWatch', () => {
  test('a server that ends every watch at once is asked again with backoff, then given up on', async () => {
    const server = new ClosingServer();
    const waits: number[] = [];
    const notices: string[] = [];
    const w = new CollectionWatch(server as unknown as KubeApi, deployments, {
      retries: 3,
      sleep: async (s) => {
        waits.push(s);
      },
      notice: (l) => notices.push(l),
    }).start();
    while (w.failure === undefined) await w.changed();
    expect(server.watches).toBe(4);
    expect(waits).toEqual([1, 2, 4]);
    expect(notices[0]).toBe(
      'lost the watch of Deployment in demo (watch Deployment in demo: the server ended the watch at once); again in 1s',
    );
    expect(w.failure.message).toBe('watch Deployment in demo: the server ended the watch at once');
    w.stop();
  });
});
