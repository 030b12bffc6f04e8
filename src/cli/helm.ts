/**
 * What turns synthesized manifests into Helm templates, shared by `floe synth --format helm` and
 * `npm run synth:helm` (scripts/synth.js).
 */

/**
 * Keeps a literal `{{` literal when Helm renders the text as a template: every `{{` becomes the
 * action `{{ "{{" }}`, which outputs `{{`. Only `{{` opens an action in Go templates; a `}}`
 * outside an action is plain text and stays as it is (checked with helm 3.16: `a }} b` renders
 * unchanged).
 */
export function escapeForHelm(text: string): string {
  return text.replace(/\{\{/g, '{{ "{{" }}');
}
