import * as fs from 'fs';
import * as path from 'path';
import { formatProblem } from '../src/manifest/errors';
import { loadManifestFile, parseManifest } from '../src/manifest/loader';

const corpus = path.join(__dirname, 'fixtures', 'invalid');

/**
 * Every file of the invalid corpus, with the exact lines `floe validate` prints for it (after
 * `FILE:`). Files ending in `.yaml.txt` hold YAML syntax errors (prettier cannot parse them, so
 * they do not end in `.yaml`).
 */
const EXPECTED: Record<string, string[]> = {
  'bad-service-values.yaml': [
    "6:12: namespace: invalid value (got 'Floe_Platform', expected a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, 1 to 63 characters)",
    '9:15: services.orchestrator.replicas: invalid value (got 0, expected an integer >= 1)',
    "12:14: services.orchestrator.resources.requests.cpu: wrong type (got 1, expected a Kubernetes quantity as a string, such as '500m', '2' (quoted), '512Mi' or '1Gi')",
    "13:17: services.orchestrator.resources.requests.memory: invalid value (got '512MB', expected a Kubernetes quantity as a string, such as '500m', '2' (quoted), '512Mi' or '1Gi')",
    "14:7: services.orchestrator.resources.limits.memory: missing required field (expected a Kubernetes quantity as a string, such as '500m', '2' (quoted), '512Mi' or '1Gi')",
    "15:14: services.orchestrator.resources.limits.cpu: wrong type (got 2, expected a Kubernetes quantity as a string, such as '500m', '2' (quoted), '512Mi' or '1Gi')",
    "17:16: services.orchestrator.ingress.enabled: wrong type (got 'yes', expected true or false)",
    "18:13: services.orchestrator.ingress.host: invalid value (got 'Dagster_UI.example.com', expected a host name: a DNS-1123 subdomain such as 'dagster.example.com', optionally starting with '*.')",
    "19:3: services.catalogue: unknown field, did you mean 'catalog'? (expected one of orchestrator, catalog, semantic, storage, dashboards, lineage, tracing, metrics, collector)",
    '25:13: database.external.orchestrator-db.port: invalid value (got 70000, expected an integer from 1 to 65535)',
    "26:23: database.external.orchestrator-db.passwordSecret: wrong type (got 'dagster-db', expected a mapping)",
  ],
  'bad-slot-types.yaml': [
    "7:9: storage.type: not allowed (got 'gcs', expected one of 'minio', 's3')",
    "10:8: catalog.uri: invalid value (got 'ftp://catalog.example.com', expected an http:// or https:// URL without credentials, e.g. 'https://polaris.example.com/api/catalog')",
    "13:9: semantic.type: not allowed, did you mean 'cube'? (got 'cubes', expected 'cube' or 'none')",
    "15:12: observability.tracing: not allowed (got 'zipkin', expected 'jaeger' or 'none')",
  ],
  'daemon-typo.yaml': [
    "9:11: orchestrator.daemon.mode: not allowed, did you mean 'single'? (got 'singel', expected 'single' or 'ha')",
    "10:5: orchestrator.daemon.restart_timout: unknown field, did you mean 'restart_timeout'? (expected one of mode, restart_timeout, health_check_interval)",
    "11:28: orchestrator.daemon.health_check_interval: wrong type (got 30, expected a duration: a whole number followed by 'ms', 's', 'm' or 'h', e.g. '60s')",
  ],
  'data-product.yaml': [
    "4:9: metadata.name: invalid value (got 'Customer360', expected a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, 1 to 52 characters)",
    "5:12: metadata.version: wrong type (got 1, expected a version string such as '1.0' or '1.2.3' (quote it: an unquoted 1.0 is a number in YAML))",
    "8:8: image: invalid value (got 'registry.example.com/sales/customer-360:latest', expected an image reference with a pinned tag, e.g. 'registry.example.com/sales/customer-360:1.4.2' (no digest, not 'latest'))",
    "12:11: transforms[1].type: not allowed, did you mean 'dbt'? (got 'dbtt', expected one of 'dlt', 'dbt', 'quality')",
    "15:5: transforms[2].selct: unknown field, did you mean 'select'? (expected one of type, select, path, profilesDir, target, vars, name, resources)",
    "17:9: schedule.cron: invalid value (got '0 6 * *', expected a cron expression (4 fields instead of 5))",
    "18:13: schedule.timezone: invalid value (got 'Berlin', expected an IANA time zone name such as 'Europe/Berlin' or 'UTC' (not 'Local', not an offset))",
    "20:5: credentials[0].secretName: missing required field (expected a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', at most 253 characters)",
    '20:5: credentials[0].secret: unknown field (expected one of secretName, env)',
  ],
  'domain.yaml': [
    '1:1: enterprise: missing required field (expected a mapping with ref)',
    "4:9: metadata.name: invalid value (got 'sales-and-customer-success-and-everything-else-teams', expected a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, 1 to 51 characters)",
    "7:9: orchestrator.type: not allowed (got 'airflow', expected 'dagster')",
    '10:5: products[1]: wrong type (got 42, expected a non-empty path or a mapping)',
    '15:5: products[2].transforms: invalid value (got an empty list, expected at least one transform)',
  ],
  'empty.yaml': [
    '1:1: <root>: wrong type (got an empty document, expected a mapping with apiVersion, kind and metadata)',
  ],
  'missing-fields.yaml': [
    "1:13: apiVersion: not allowed, did you mean 'floe.dev/v1'? (got 'floe.dev/v2', expected 'floe.dev/v1')",
    "3:1: metadata.version: missing required field (expected a version string such as '1.0' or '1.2.3' (quote it: an unquoted 1.0 is a number in YAML))",
    '5:1: storage.credentialsSecret: missing required field (expected a mapping with name)',
  ],
  'not-a-mapping.yaml': [
    '1:1: <root>: wrong type (got a list, expected a mapping with apiVersion, kind and metadata)',
  ],
  'production-shared-services.yaml': [
    '7:3: production.sizing: unknown field (expected one of autoscaling, disruptionBudgets, topologySpread, serviceAccounts, configChecksums, networkPolicies, monitoring, backups)',
    "8:20: production.networkPolicies: wrong type (got 'yes', expected true, false or a mapping of network policy options)",
    '9:3: production.monitoring: wrong type (got null (an empty value), expected true, false or a mapping of monitoring options)',
    '10:12: production.backups: wrong type (got 3, expected true, false or a mapping of backup options)',
  ],
  'production.yaml': [
    "7:11: production.sizing: not allowed, did you mean 'medium'? (got 'meduim', expected 'light', 'medium' or 'heavy')",
    "8:16: production.autoscaling: wrong type (got 'no', expected true or false)",
    "9:3: production.topologySpred: unknown field, did you mean 'topologySpread'? (expected one of sizing, autoscaling, disruptionBudgets, topologySpread, serviceAccounts, configChecksums, networkPolicies, monitoring, backups)",
    "12:15: production.networkPolicies.dns.cidrs[0]: invalid value (got '169.254.20.10', expected a CIDR: an IPv4 or IPv6 address with a prefix length, e.g. '10.0.0.0/8' or 'fd00::/8')",
    '14:7: production.networkPolicies.kubernetesApi.ports: invalid value (got an empty list, expected at least one port)',
    "15:5: production.networkPolicies.externalCidr: unknown field, did you mean 'externalCidrs'? (expected one of dns, kubernetesApi, ingressController, metricsScraper, externalCidrs)",
    "18:7: production.monitoring.labels[\"app.kubernetes.io/name\"]: invalid key (got 'app.kubernetes.io/name', expected a label key of the form 'prefix/name' or 'name', not one of the app.kubernetes.io/* labels the library sets)",
    "19:16: production.monitoring.labels.release: invalid value (got 'kube prometheus', expected a label value: 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)",
    "20:21: production.monitoring.scrapeInterval: invalid value (got '0s', expected a non-zero Prometheus duration: units y, w, d, h, m, s, ms in that order, e.g. '30s', '2m', '1h30m')",
    '22:25: production.monitoring.alerts.memoryLimitRatio: invalid value (got 1.5, expected a fraction above 0 and at most 1, e.g. 0.9)',
    '23:26: production.monitoring.alerts.failedRunsPerHour: invalid value (got 0, expected an integer >= 1)',
    "25:15: production.backups.schedule: invalid value (got '0 */6 * *', expected a cron expression (4 fields instead of 5))",
    "26:15: production.backups.timezone: invalid value (got 'Berlin', expected an IANA time zone name such as 'Europe/Berlin' or 'UTC' (not 'Local', not an offset))",
    '27:20: production.backups.retentionDays: invalid value (got 0, expected an integer from 1 to 36500)',
    "28:13: production.backups.prefix: invalid value (got '/postgres', expected an object key prefix: segments of letters, digits, '.', '_' and '-' separated by '/', e.g. 'postgres')",
    "29:13: production.backups.bucket: invalid value (got 'Backups', expected an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit, without '..', '.-' or '-.', not an IP address, not starting with 'xn--', 'sthree-', 'amzn-s3-demo-' and not ending with '-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3')",
    '30:5: production.backups.s3.credentialsSecret: missing required field (expected a mapping with name)',
  ],
  'syntax-bad-indent.yaml.txt': [
    '4:9: <yaml>: invalid YAML: Nested mappings are not allowed in compact mappings',
    '4:9: <yaml>: invalid YAML: Implicit keys need to be on a single line',
  ],
  'syntax-duplicate-key.yaml.txt': ['7:1: <yaml>: invalid YAML: Map keys must be unique'],
  'syntax-unclosed-quote.yaml.txt': ['6:1: <yaml>: invalid YAML: Missing closing "quote'],
  'unknown-kind.yaml': [
    "2:7: kind: not allowed, did you mean 'PlatformManifest'? (got 'PlatformManifst', expected one of 'PlatformManifest', 'DataProduct', 'EnterpriseManifest', 'DomainManifest')",
  ],
  'unknown-root-field.yaml': [
    "6:1: servics: unknown field, did you mean 'services'? (expected one of apiVersion, kind, metadata, namespace, orchestrator, catalog, semantic, storage, observability, services, database, images, production)",
    '9:1: telemetry: unknown field (expected one of apiVersion, kind, metadata, namespace, orchestrator, catalog, semantic, storage, observability, services, database, images, production)',
  ],
};

describe('invalid manifests', () => {
  test('the table covers exactly the corpus', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(fs.readdirSync(corpus).sort());
  });

  test.each(Object.keys(EXPECTED))('%s: exact messages', (name) => {
    const file = path.join(corpus, name);
    const result = loadManifestFile(file);
    expect(result.ok).toBe(false);
    const lines = result.ok ? [] : result.problems.map(formatProblem);
    expect(lines).toEqual(EXPECTED[name].map((l) => `${file}:${l}`));
  });
});

describe('problem details', () => {
  const platform = (body: string): string =>
    `apiVersion: floe.dev/v1\nkind: PlatformManifest\nmetadata:\n  name: floe\n  version: '1'\n${body}`;

  test('a problem carries file, 1-based line and column, dotted path and message', () => {
    const result = parseManifest(
      platform('services:\n  orchestrator:\n    ingress:\n      enabled: true\n      host: A_B\n'),
      'm.yaml',
    );
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toEqual([
      {
        file: 'm.yaml',
        line: 10,
        col: 13,
        path: 'services.orchestrator.ingress.host',
        message:
          "invalid value (got 'A_B', expected a host name: a DNS-1123 subdomain such as 'dagster.example.com', optionally starting with '*.')",
      },
    ]);
  });

  test('"did you mean" only within edit distance 2', () => {
    const near = parseManifest(platform('namepsace: x\n'), 'm.yaml');
    const far = parseManifest(platform('nmspc: x\n'), 'm.yaml');
    expect(near.ok ? [] : near.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^unknown field, did you mean 'namespace'\? \(expected one of /),
    ]);
    expect(far.ok ? [] : far.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^unknown field \(expected one of /),
    ]);
  });

  test('odd keys are quoted in the path', () => {
    const result = parseManifest(
      platform(
        'services:\n  orchestrator:\n    ingress:\n      enabled: true\n      annotations:\n        example.com/x: 1\n',
      ),
      'm.yaml',
    );
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      'm.yaml:11:24: services.orchestrator.ingress.annotations["example.com/x"]: wrong type (got 1, expected a string)',
    ]);
  });

  test('an expected kind is enforced', () => {
    const text = platform('');
    expect(parseManifest(text, 'm.yaml', 'PlatformManifest').ok).toBe(true);
    const wrong = parseManifest(text, 'm.yaml', 'DataProduct');
    expect(wrong.ok ? [] : wrong.problems.map(formatProblem)).toEqual([
      "m.yaml:2:7: kind: not allowed (got 'PlatformManifest', expected 'DataProduct')",
    ]);
  });

  test('a valid manifest maps paths back to positions', () => {
    const result = parseManifest(platform('orchestrator:\n  type: dagster\n'), 'm.yaml');
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    expect(result.position(['orchestrator', 'type'])).toEqual({ line: 7, col: 9 });
    expect(result.position(['orchestrator'])).toEqual({ line: 6, col: 1 });
    expect(result.position(['catalog'])).toBeUndefined();
  });

  test('an unreadable file is one problem', () => {
    const result = loadManifestFile(path.join(corpus, 'no-such-file.yaml'));
    expect(
      result.ok ? [] : result.problems.map((p) => `${p.line}:${p.col}: ${p.path}: ${p.message}`),
    ).toEqual(['1:1: <root>: cannot read the file (no such file)']);
  });
});
