// The settings tables (functions/core/config/*-settings.ts) are the only place a default or a range is
// written. Two guards hold that:
// 1. A scan of the source (TypeScript's own parser, so comments and strings are told apart from code)
//    fails on a number literal, outside the tables, that equals a setting's default or range bound and
//    stands where that setting's name does (a property, variable, parameter or `??` fallback named like
//    the setting), and on a distinctive table number (52224, 51200, 262144, ...) written anywhere.
//    Checked by hand: putting `const settleMillis = options.leaseSettleMillis ?? 2000;` back into
//    functions/consumer/handler-factory.ts, `checkpointIntervalMillis: 10_000,` back into
//    DEFAULT_ENGINE_SETTINGS, `threadPoolSize: [1, 256],` into producer/options.ts,
//    `const DEFAULT_SETTLE_MILLIS = 2000;` back into cli/checkpoints.ts or `= 52224` anywhere each makes
//    it fail, naming the file, the line and the setting.
// 2. Every layer that takes a setting (the engine, the producer options, the handler, the constructs'
//    defaults, the doc comments of the typed options) is compared with the table: same default, and the
//    same range, probed at its bounds.
// 3. A scan of the same source fails on a string literal (or a template's text), outside the tables, that
//    names a setting: a row's reference key or its SKC_* variable, so a message or a lookup takes the
//    name from the row (`CONSUMER_SETTINGS.targetFunction.key`) instead of typing it again. Tests and docs
//    may write the names: they check them. Checked by hand: putting `'consumer.target.function'` back as
//    the error key in functions/consumer/handler-factory.ts, or `'Set consumer.onfailure.queueurl to ...'`
//    back into functions/core/consumer/delivery.ts, makes it fail, naming the file, the line and the key.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import {
  CONSUMER_DEFAULTS,
  CONSUMER_SETTINGS,
  CONSUMER_SETTINGS_LIST,
  consumerConfig,
  envVarName,
  PRODUCER_DEFAULTS,
  PRODUCER_SETTINGS,
  PRODUCER_SETTINGS_LIST,
  type Setting,
} from '../../../functions/core/config';
import { consumerCheckpointPath } from '../../../functions/core/checkpoints/checkpoint-path';
import { CHECKPOINT_PATH_ROOT } from '../../../functions/core/config/consumer-settings';
import {
  ConsumerEngine,
  DEFAULT_CONTINUOUS_SETTINGS,
  DEFAULT_ENGINE_SETTINGS,
} from '../../../functions/core/consumer/engine';
import { engineOptionsFromConfig } from '../../../functions/core/consumer/engine-config';
import { stringDeserializer } from '../../../functions/core/consumer/deserializers';
import { DEFAULT_PRODUCER_OPTIONS, resolveProducerOptions } from '../../../functions/core/producer/options';
import { systemClock } from '../../../functions/core/time/clock';
import { CONSUMER_CONSTRUCT_DEFAULTS, consumerTimeBudgetMillis } from '../../../lib/construct-defaults';
import { silentLogger, uncontendedLease } from '../consumer/helpers';

const ROOT = path.join(__dirname, '..', '..', '..');
const SCANNED = ['functions', 'lib', 'cli', 'local', 'bin'];
// The local AWS servers model AWS's own limits (SQS's 1 MiB message, ...), not this toolkit's settings.
const NOT_SETTINGS = /^local\/(sqs|ssm|kinesis|dynamodb|shared)\//;
const TABLES = /^functions\/core\/config\/([a-z]+-settings|aws-config)\.ts$/;

const SETTINGS: readonly Setting<unknown>[] = [...CONSUMER_SETTINGS_LIST, ...PRODUCER_SETTINGS_LIST];

/** The numbers a kind's "allowed" phrase names: its bounds. */
function bounds(spec: Setting<unknown>): { min?: number; max?: number } {
  const phrase = spec.kind.allowed.replace(/\(.*$/, '');
  const range = /from (-?\d+) to (\d+)/.exec(phrase);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  const atLeast = /at least (-?\d+)/.exec(phrase);
  if (atLeast) return { min: Number(atLeast[1]) };
  return {};
}

/** Lower-case letters and digits of a name, for comparing `checkpointIntervalMillis` with `intervalmillis`. */
function norm(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

interface Fact {
  readonly setting: string;
  readonly what: 'default' | 'minimum' | 'maximum';
  readonly value: number;
  /** Names the setting goes by: its path's last part and its key's last part. */
  readonly names: readonly string[];
}

// Leaves every backoff family shares: they name a setting only with their family (getRecordsBackoff...).
const GENERIC_LEAVES = new Set(['maxretries', 'basemillis', 'maxmillis', 'expconst', 'intervalmillis']);

const FACTS: Fact[] = SETTINGS.flatMap((spec) => {
  const leaf = norm(spec.path[spec.path.length - 1] as string);
  const names = [norm(spec.path.join('')), ...(GENERIC_LEAVES.has(leaf) ? [] : [leaf])];
  const facts: Fact[] = [];
  if (typeof spec.default === 'number')
    facts.push({ setting: spec.key, what: 'default', value: spec.default, names });
  const { min, max } = bounds(spec);
  if (min !== undefined) facts.push({ setting: spec.key, what: 'minimum', value: min, names });
  if (max !== undefined) facts.push({ setting: spec.key, what: 'maximum', value: max, names });
  return facts;
});

/** Numbers no one writes by chance: a retyped copy wherever they appear. */
const DISTINCTIVE = new Set(
  FACTS.map((f) => f.value).filter(
    (v) => v >= 10_000 && v % 1000 !== 0 && !Number.isInteger(Math.log2(v)) && v !== Number.MAX_SAFE_INTEGER,
  ),
);

/**
 * A context name stands for a setting when the two end alike beyond a shared generic word
 * (`settleMillis` and `DEFAULT_SETTLE_MILLIS` for `leaseSettleMillis`, `ttlMillis` for `shardMapTtlMillis`).
 */
function namesSetting(context: string, fact: Fact): boolean {
  const c = norm(context);
  if (GENERIC_LEAVES.has(c)) return false;
  return fact.names.some((n) => {
    let common = 0;
    while (common < Math.min(c.length, n.length) && c[c.length - 1 - common] === n[n.length - 1 - common])
      common++;
    const suffix = n.slice(n.length - common);
    if (GENERIC_LEAVES.has(suffix) || common < 8) return false;
    if (common === Math.min(c.length, n.length)) return true;
    // Names that only end alike (DEFAULT_SETTLE_MILLIS, leaseSettleMillis) count for a default of some size.
    return common >= 10 && fact.what === 'default' && Math.abs(fact.value) > 1;
  });
}

/** The name a literal stands for: the property, variable or parameter it is assigned to, or a `??`'s left side. */
function contextName(node: ts.Node): string | undefined {
  let child: ts.Node = node;
  for (let parent = node.parent; parent; child = parent, parent = parent.parent) {
    if (ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText();
    if (ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isBindingElement(parent))
      return parent.name.getText();
    if (ts.isBinaryExpression(parent)) {
      // Only a fallback stands for a setting; arithmetic (1024 * 1024) builds some other number.
      if (parent.operatorToken.kind !== ts.SyntaxKind.QuestionQuestionToken || child !== parent.right)
        return undefined;
      const left = parent.left;
      return ts.isPropertyAccessExpression(left) ? left.name.text : left.getText();
    }
    if (
      ts.isPrefixUnaryExpression(parent) ||
      ts.isParenthesizedExpression(parent) ||
      ts.isArrayLiteralExpression(parent) ||
      ts.isAsExpression(parent)
    )
      continue;
    return undefined;
  }
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((entry) => {
    const rel = `${dir}/${entry}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) return sourceFiles(rel);
    return rel.endsWith('.ts') && !rel.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Every number literal outside the tables that repeats a table's default or range. */
function retypedCopies(): string[] {
  const found: string[] = [];
  for (const file of SCANNED.flatMap(sourceFiles)) {
    if (TABLES.test(file) || NOT_SETTINGS.test(file)) continue;
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if (ts.isNumericLiteral(node)) {
        const value = Number(node.text.replace(/_/g, ''));
        const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
        if (DISTINCTIVE.has(value)) {
          found.push(`${file}:${line}: ${node.text} is a settings table's number, written again`);
        } else {
          const context = contextName(node);
          const fact = context ? FACTS.find((f) => f.value === value && namesSetting(context, f)) : undefined;
          if (fact) {
            found.push(
              `${file}:${line}: ${context} = ${node.text} repeats the ${fact.what} of ${fact.setting}; take it from the table`,
            );
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

// A key that is a plain word ("streams") is ordinary prose in a message; its SKC_* name is still checked.
const NAMES: ReadonlyMap<string, string> = new Map(
  SETTINGS.flatMap((spec) => [
    ...(/^[a-z]+$/.test(spec.key) ? [] : [[spec.key, spec.key] as const]),
    [envVarName(spec.key), spec.key] as const,
  ]),
);

// Literals that equal a setting's name by coincidence, each with why it is not that setting.
const NOT_A_NAME: readonly { file: string; text: string; why: string }[] = [
  {
    file: 'functions/core/aws/retry.ts',
    text: 'RequestTimeout',
    why: 'an AWS error code, not the KPL setting',
  },
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// A name as a whole word: not inside a longer key (`flink.stream.initpos` in `...initpos.timestamp`).
const NAME_PATTERNS = [...NAMES.keys()].map(
  (name) => [name, new RegExp(`(?<![A-Za-z0-9_.])${escape(name)}(?![A-Za-z0-9_]|\\.[A-Za-z0-9])`)] as const,
);

/** Every string outside the tables that types a setting's key or SKC_* name again. */
function retypedNames(): string[] {
  const found: string[] = [];
  for (const file of SCANNED.flatMap(sourceFiles)) {
    if (TABLES.test(file)) continue;
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) {
        const value = node.text;
        for (const [name, pattern] of NAME_PATTERNS) {
          if (!pattern.test(value)) continue;
          if (NOT_A_NAME.some((n) => n.file === file && n.text === value)) continue;
          const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          found.push(
            `${file}:${line}: "${name}" names the setting ${NAMES.get(name)}; take it from its row (.key)`,
          );
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe('one source for every setting', () => {
  it('writes no default or range of a settings table a second time', () => {
    expect(retypedCopies()).toEqual([]);
  });

  it('writes no setting name outside the tables', () => {
    expect(retypedNames()).toEqual([]);
  });

  it('knows the names it guards', () => {
    // Guards the guard: a key, an SKC_* name and a PascalCase key are each caught as a whole word only.
    const caught = (text: string) => NAME_PATTERNS.filter(([, p]) => p.test(text)).map(([n]) => n);
    expect(caught('Set consumer.onfailure.queueurl to send them.')).toEqual(['consumer.onfailure.queueurl']);
    expect(caught('SKC_CONSUMER_TARGET_FUNCTION is unset')).toEqual(['SKC_CONSUMER_TARGET_FUNCTION']);
    expect(caught('RecordTtl (30000 ms) had passed')).toEqual(['RecordTtl']);
    expect(caught('flink.stream.initpos.timestamp')).toEqual(['flink.stream.initpos.timestamp']);
    expect(caught('aws.endpoint.')).toEqual(['aws.endpoint']);
    expect(caught('the streams to read')).toEqual([]);
  });

  it('knows the settings it guards', () => {
    // Guards the guard: the scan matches against these facts and names.
    expect(
      FACTS.find((f) => f.setting === 'consumer.lease.settlemillis' && f.what === 'default')?.value,
    ).toBe(CONSUMER_DEFAULTS.leaseSettleMillis);
    expect(bounds(PRODUCER_SETTINGS.threadPoolSize)).toEqual({ min: 1, max: 256 });
    expect(bounds(CONSUMER_SETTINGS.checkpointIntervalMillis)).toEqual({ min: 1000 });
    const fact = FACTS.find(
      (f) => f.setting === 'consumer.lease.settlemillis' && f.what === 'default',
    ) as Fact;
    expect(namesSetting('settleMillis', fact)).toBe(true);
    expect(namesSetting('millis', fact)).toBe(false);
    expect(DISTINCTIVE.has(52224)).toBe(true);
  });
});

describe('every layer agrees with the tables', () => {
  it('the engine runs at the defaults the configuration loads', () => {
    const config = consumerConfig({ aws: { region: 'us-east-1' }, streams: ['orders'] });
    const fromConfig = engineOptionsFromConfig(config, { handler: () => undefined });
    const { streams: _s, deserializer: _d, handler: _h, ...configured } = fromConfig;
    expect(configured).toEqual({
      ...DEFAULT_ENGINE_SETTINGS,
      ...DEFAULT_CONTINUOUS_SETTINGS,
      reader: { ...DEFAULT_ENGINE_SETTINGS.reader },
    });
  });

  it('the engine accepts exactly the ranges of the table', () => {
    const engine = (overrides: Record<string, unknown>) =>
      new ConsumerEngine<string>(
        {
          kinesis: {} as never,
          checkpoints: {} as never,
          lease: uncontendedLease,
          clock: systemClock,
          random: Math.random,
          logger: silentLogger(),
        },
        {
          ...DEFAULT_ENGINE_SETTINGS,
          streams: ['orders'],
          deserializer: stringDeserializer,
          handler: () => undefined,
          ...overrides,
        },
      );
    const probes: [string, Setting<unknown>, (n: number) => Record<string, unknown>][] = [
      [
        'checkpointIntervalMillis',
        CONSUMER_SETTINGS.checkpointIntervalMillis,
        (n) => ({ checkpointIntervalMillis: n }),
      ],
      [
        'discoveryIntervalMillis',
        CONSUMER_SETTINGS.discoveryIntervalMillis,
        (n) => ({ discoveryIntervalMillis: n }),
      ],
      [
        'reader.maxRecordsPerCall',
        CONSUMER_SETTINGS.maxRecordCount,
        (n) => ({ reader: { ...DEFAULT_ENGINE_SETTINGS.reader, maxRecordsPerCall: n } }),
      ],
      [
        'reader.intervalMillis',
        CONSUMER_SETTINGS.getRecordsIntervalMillis,
        (n) => ({ reader: { ...DEFAULT_ENGINE_SETTINGS.reader, intervalMillis: n } }),
      ],
      [
        'delivery.batchSize',
        CONSUMER_SETTINGS.batchSize,
        (n) => ({ delivery: { ...DEFAULT_ENGINE_SETTINGS.delivery, batchSize: n } }),
      ],
      [
        'delivery.maxBatchingMillis',
        CONSUMER_SETTINGS.maxBatchingMillis,
        (n) => ({ delivery: { ...DEFAULT_ENGINE_SETTINGS.delivery, maxBatchingMillis: n } }),
      ],
    ];
    for (const [name, spec, options] of probes) {
      const { min, max } = bounds(spec);
      expect({ name, min }).toEqual({ name, min: expect.any(Number) });
      expect(() => engine(options(min as number))).not.toThrow();
      expect(() => engine(options((min as number) - 1))).toThrow(name);
      if (max !== undefined) {
        expect(() => engine(options(max))).not.toThrow();
        expect(() => engine(options(max + 1))).toThrow(name);
      }
    }
  });

  it('the producer options take the table defaults and accept exactly its ranges', () => {
    for (const [key, value] of Object.entries(DEFAULT_PRODUCER_OPTIONS)) {
      expect({ key, value }).toEqual({ key, value: (PRODUCER_DEFAULTS as Record<string, unknown>)[key] });
    }
    const checked: [keyof typeof DEFAULT_PRODUCER_OPTIONS, Setting<unknown>][] = [
      ['collectionMaxCount', PRODUCER_SETTINGS.collectionMaxCount],
      ['threadPoolSize', PRODUCER_SETTINGS.threadPoolSize],
      ['requestTimeoutMillis', PRODUCER_SETTINGS.requestTimeoutMillis],
      ['recordTtlMillis', PRODUCER_SETTINGS.recordTtlMillis],
      ['rateLimitPercent', PRODUCER_SETTINGS.rateLimitPercent],
      ['retryBaseMillis', PRODUCER_SETTINGS.retryBaseMillis],
      ['retryMaxMillis', PRODUCER_SETTINGS.retryMaxMillis],
      ['shardMapTtlMillis', PRODUCER_SETTINGS.shardMapTtlMillis],
    ];
    for (const [key, spec] of checked) {
      const { min, max } = bounds(spec);
      expect(() => resolveProducerOptions({ [key]: min })).not.toThrow();
      expect(() => resolveProducerOptions({ [key]: (min as number) - 1 })).toThrow(key);
      if (max !== undefined && max < Number.MAX_SAFE_INTEGER) {
        expect(() => resolveProducerOptions({ [key]: max })).not.toThrow();
        expect(() => resolveProducerOptions({ [key]: max + 1 })).toThrow(key);
      }
    }
    // CollectionMaxSize: the request must also hold the largest record, so probe against the record limit.
    const { min } = bounds(PRODUCER_SETTINGS.collectionMaxSizeBytes);
    expect(() => resolveProducerOptions({ collectionMaxSizeBytes: (min as number) - 1 })).toThrow(
      'collectionMaxSizeBytes',
    );
  });

  it('the constructs, the CLI and the local runner build checkpoint paths and budgets from the tables', () => {
    expect(CONSUMER_CONSTRUCT_DEFAULTS.checkpointParameterPrefix).toBe(CHECKPOINT_PATH_ROOT);
    expect(consumerCheckpointPath('orders')).toBe(`${CHECKPOINT_PATH_ROOT}/orders`);
    expect(CONSUMER_DEFAULTS.checkpoint.ssmPrefix.startsWith(`${CHECKPOINT_PATH_ROOT}/`)).toBe(true);
    // The construct's default budget keeps the runtime's shutdown reserve back from the timeout.
    expect(consumerTimeBudgetMillis(55_000)).toBe(55_000 - CONSUMER_DEFAULTS.shutdownReserveMillis);
  });

  it('the typed options document the defaults the tables hold', () => {
    const documented = [
      ['functions/core/config/consumer-settings.ts', 'ConsumerOptions', CONSUMER_SETTINGS_LIST],
      ['functions/core/config/producer-settings.ts', 'ProducerOptions', PRODUCER_SETTINGS_LIST],
    ] as const;
    const disagreements: string[] = [];
    for (const [file, name, list] of documented) {
      const source = ts.createSourceFile(
        file,
        readFileSync(path.join(ROOT, file), 'utf8'),
        ts.ScriptTarget.ES2022,
        true,
      );
      const declaration = source.statements.find(
        (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name,
      ) as ts.InterfaceDeclaration;
      const walk = (members: ts.NodeArray<ts.TypeElement>, prefix: string[]) => {
        for (const member of members.filter(ts.isPropertySignature)) {
          const at = [...prefix, member.name.getText(source)];
          const doc = ts
            .getJSDocTags(member)
            .find((t) => t.tagName.text === 'default')
            ?.comment?.toString();
          const spec = list.find((s) => s.path.join('.') === at.join('.'));
          if (
            doc &&
            spec &&
            typeof spec.default === 'number' &&
            /^\d+$/.test(doc.trim()) &&
            Number(doc) !== spec.default
          )
            disagreements.push(`${name}.${at.join('.')}: @default ${doc}, table ${spec.default}`);
          if (member.type && ts.isTypeLiteralNode(member.type)) walk(member.type.members, at);
        }
      };
      walk(declaration.members, []);
    }
    expect(disagreements).toEqual([]);
  });
});
