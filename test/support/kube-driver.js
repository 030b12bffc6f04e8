'use strict';
// Runs floe's Kubernetes client (src/ops/kube.ts, on @kubernetes/client-node) in a plain Node
// process, as the `floe` CLI does: the client is an ES module, which Node loads through `require`
// but jest's module system does not. Arguments: a JSON file with { kubeconfig, context, calls },
// each call { op, ... }; prints one JSON line per call: { ok: result } or { error: { kind, status,
// message, causes } }.
require('../../scripts/cdk8s-app.js').register();
const fs = require('fs');
const { Writable } = require('stream');
const { connect } = require('../../src/ops/kube.ts');

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  let api;
  try {
    api = connect({ kubeconfig: spec.kubeconfig, context: spec.context });
  } catch (e) {
    console.log(JSON.stringify({ error: { kind: e.kind, message: e.message } }));
    return;
  }
  for (const call of spec.calls) {
    try {
      let result;
      if (call.op === 'apply') result = await api.apply(call.object, call.options);
      else if (call.op === 'get') result = (await api.get(call.ref)) ?? null;
      else if (call.op === 'list')
        result = await api.list(call.apiVersion, call.kind, call.namespace, call.labelSelector);
      else if (call.op === 'delete') result = await api.delete(call.ref);
      else if (call.op === 'logs') {
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
      console.log(JSON.stringify({ ok: result === undefined ? null : result }));
    } catch (e) {
      console.log(
        JSON.stringify({
          error: {
            kind: e.kind,
            status: e.status,
            message: e.message,
            causes: e.causes,
            stack: e.kind ? undefined : e.stack,
          },
        }),
      );
    }
  }
}
main();
