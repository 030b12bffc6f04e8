'use strict';
// Runs floe's Kubernetes client (src/ops/kube.ts, on @kubernetes/client-node) in a plain Node
// process, as the `floe` CLI does: the client is an ES module, which Node loads through `require`
// but jest's module system does not. One process serves a whole test file (loading the client
// costs most of a second of CPU): it reads batches from standard input, one JSON line each,
// { kubeconfig, context, calls } with each call { op, ... }, connects afresh for each batch and
// answers each with one line { results }: per call { ok: result } or { error: { kind, status,
// message, causes } }.
require('../../scripts/cdk8s-app.js').register();
const { Writable } = require('stream');
const { connect } = require('../../src/ops/kube.ts');
const { CollectionWatch } = require('../../src/ops/watch.ts');
const { readinessOf } = require('../../src/ops/readiness.ts');

async function runBatch(spec) {
  const results = [];
  let api;
  try {
    api = connect({ kubeconfig: spec.kubeconfig, context: spec.context });
  } catch (e) {
    return [{ error: { kind: e.kind, message: e.message } }];
  }
  for (const call of spec.calls) {
    try {
      let result;
      if (call.op === 'apply') result = await api.apply(call.object, call.options);
      else if (call.op === 'get') result = (await api.get(call.ref)) ?? null;
      else if (call.op === 'list')
        result = await api.list(call.apiVersion, call.kind, call.namespace, call.labelSelector);
      else if (call.op === 'delete') result = await api.delete(call.ref);
      else if (call.op === 'listVersioned') result = await api.listVersioned(call.collection);
      else if (call.op === 'watchEvents') {
        // One watch request: every event until the server ends the stream.
        const events = [];
        await api.watch(call.collection, call.options, (e) => events.push(e)).ended;
        result = events;
      } else if (call.op === 'watchUntilReady') {
        // A CollectionWatch (LIST, WATCH, reconnects) until object `name` is ready.
        const notices = [];
        const w = new CollectionWatch(api, call.collection, {
          ...call.options,
          // `retryWaitScale`: the waits between attempts, shortened for tests (0.1: a tenth).
          sleep: (s) => new Promise((r) => setTimeout(r, s * 1000 * (call.options.retryWaitScale ?? 1))),
          notice: (l) => notices.push(l),
        }).start();
        for (;;) {
          const changed = w.changed();
          if (w.failure) throw w.failure;
          const o = w.objects.get(`${call.collection.namespace ?? ''}/${call.name}`);
          if (o && readinessOf(o).state === 'ready') break;
          await changed;
        }
        w.stop();
        result = { lists: w.lists, watches: w.watches, notices };
      } else if (call.op === 'logs') {
        let text = '';
        const out = new Writable({
          write(chunk, _enc, cb) {
            text += chunk.toString();
            cb();
          },
        });
        await api.logs(call.namespace, call.pod, out, call.options);
        result = text;
      }
      results.push({ ok: result === undefined ? null : result });
    } catch (e) {
      results.push({
        error: {
          kind: e.kind,
          status: e.status,
          message: e.message,
          causes: e.causes,
          stack: e.kind ? undefined : e.stack,
        },
      });
    }
  }
  return results;
}

async function main() {
  const lines = require('readline').createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const results = await runBatch(JSON.parse(line));
    process.stdout.write(`${JSON.stringify({ results })}\n`);
  }
}
main();
