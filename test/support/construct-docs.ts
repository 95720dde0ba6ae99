// Renders the props tables of docs/constructs.md from the props interfaces' own doc comments, so a
// test can hold the docs to the code. Rewrite the tables in place with:
//   npx tsx test/support/construct-docs.ts --write
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');
export const CONSTRUCTS_DOC = path.join(ROOT, 'docs', 'constructs.md');

/** Each documented props interface and the file that declares it. */
export const PROPS_INTERFACES: readonly [string, string][] = [
  ['KinesisStreamsProps', 'lib/kinesis-streams.ts'],
  ['StreamDefinition', 'lib/kinesis-streams.ts'],
  ['KinesisProducerProps', 'lib/kinesis-producer.ts'],
  ['KinesisConsumerProps', 'lib/kinesis-consumer.ts'],
  ['ConnectorDashboardProps', 'lib/connector-dashboard.ts'],
];

const HEADER = '| prop | type | default | what it does |\n|---|---|---|---|';

function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
}

/** The table of one props interface: every prop, its type, its default and its summary. */
export function propsTable(interfaceName: string, file: string): string {
  const source = ts.createSourceFile(
    file,
    readFileSync(path.join(ROOT, file), 'utf8'),
    ts.ScriptTarget.ES2022,
    true,
  );
  const declaration = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === interfaceName,
  );
  if (!declaration) throw new Error(`${interfaceName} is not declared in ${file}`);
  const rows = declaration.members.filter(ts.isPropertySignature).map((member) => {
    const name = member.name.getText(source);
    const type = member.type?.getText(source) ?? 'unknown';
    const docs = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc);
    const summary = docs.map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '').join(' ');
    const defaultTag = docs.flatMap((doc) => doc.tags ?? []).find((tag) => tag.tagName.text === 'default');
    const byDefault = member.questionToken
      ? cell(ts.getTextOfJSDocComment(defaultTag?.comment) ?? '-')
      : 'required';
    // "- what happens" describes a behaviour; anything else is a value.
    const shown =
      byDefault === 'required'
        ? byDefault
        : byDefault.startsWith('- ')
          ? byDefault.slice(2)
          : `\`${byDefault}\``;
    return `| \`${name}\` | \`${cell(type)}\` | ${shown} | ${cell(summary)} |`;
  });
  return [HEADER, ...rows].join('\n');
}

const section = (name: string) => new RegExp(`(<!-- props:${name} -->\\n)[\\s\\S]*?(<!-- /props -->)`);

/** The doc with every props table replaced by the one rendered from the code. */
export function renderDoc(doc: string): string {
  let out = doc;
  for (const [name, file] of PROPS_INTERFACES) {
    if (!section(name).test(out)) throw new Error(`docs/constructs.md has no <!-- props:${name} --> section`);
    out = out.replace(
      section(name),
      (_all, open: string, close: string) => `${open}${propsTable(name, file)}\n${close}`,
    );
  }
  return out;
}

if (require.main === module) {
  if (process.argv.includes('--write'))
    writeFileSync(CONSTRUCTS_DOC, renderDoc(readFileSync(CONSTRUCTS_DOC, 'utf8')));
  else
    for (const [name, file] of PROPS_INTERFACES)
      console.log(`<!-- props:${name} -->\n${propsTable(name, file)}\n`);
}
