import { z } from 'zod';
import { API_VERSION, MANIFEST_SCHEMAS, ManifestKind, SCHEMA_FILES } from './schema';

/** Where the JSON Schemas are published: the `schemas/` directory of the package. */
export const SCHEMA_ID_BASE = 'https://floe.dev/schemas/v1/';

/**
 * The JSON Schema (draft 2020-12) of one manifest kind, for editors (e.g. the YAML language
 * server's `# yaml-language-server: $schema=...`). It describes the input: optional fields stay
 * optional, and rules that need code (cron fields, time zone names) are not in it.
 */
export function jsonSchemaOf(kind: ManifestKind): Record<string, unknown> {
  const generated = z.toJSONSchema(MANIFEST_SCHEMAS[kind], {
    io: 'input',
    target: 'draft-2020-12',
  });
  return {
    $schema: generated.$schema,
    $id: `${SCHEMA_ID_BASE}${SCHEMA_FILES[kind]}`,
    title: `floe ${kind} (${API_VERSION})`,
    ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== '$schema')),
  };
}

/** Every JSON Schema, by file name under `schemas/`, as unformatted JSON text. */
export function jsonSchemaFiles(): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(SCHEMA_FILES) as ManifestKind[]).map((kind) => [
      SCHEMA_FILES[kind],
      `${JSON.stringify(jsonSchemaOf(kind), null, 2)}\n`,
    ]),
  );
}
