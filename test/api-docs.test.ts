import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/**
 * House rule: every field of an exported props/options interface carries TSDoc, and every optional
 * field states its default with `@default`. This walks the sources with the TypeScript parser.
 */
function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    // src/imports/ is generated from CRDs (scripts/import-crds.js); its docs come from the CRDs.
    if (e.isDirectory()) return e.name === 'imports' ? [] : sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

interface Finding {
  where: string;
  problem: string;
}

function check(file: string): Finding[] {
  const text = fs.readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const findings: Finding[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isInterfaceDeclaration(node) &&
      node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) &&
      /(Props|Options)$/.test(node.name.text)
    ) {
      for (const member of node.members) {
        if (!ts.isPropertySignature(member) || !member.name) continue;
        const name = `${path.relative(process.cwd(), file)}: ${node.name.text}.${member.name.getText(sf)}`;
        const docs = ts
          .getJSDocCommentsAndTags(member)
          .map((d) => d.getText(sf))
          .join('\n');
        if (!docs) {
          findings.push({ where: name, problem: 'no TSDoc' });
        } else if (member.questionToken && !/@default/.test(docs)) {
          findings.push({ where: name, problem: 'optional but no @default' });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return findings;
}

test('every props/options field is documented, and every optional one states its default', () => {
  const findings = sourceFiles(path.join(__dirname, '..', 'src')).flatMap(check);
  expect(findings.map((f) => `${f.where}: ${f.problem}`)).toEqual([]);
});
