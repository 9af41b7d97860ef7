// @ts-check
import { dirname, relative, resolve } from 'node:path';
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const SRC = resolve(import.meta.dirname, 'src');

/** Node modules that do I/O or read the environment: the pure core must not reach them. */
const nodeIo = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'child_process',
  'dgram',
  'tls',
  'worker_threads',
  'process',
  'os',
].flatMap((m) => [m, `node:${m}`]);
const edgePackages = ['pg', 'better-sqlite3', 'kysely', 'fastify', 'undici', 'pino', 'commander'];

/**
 * Dependencies point inward: domain ← engine ← app ← (api, cli, worker); store, ingest, connectors and
 * governance are adapters around the core. For each top-level folder of src/, the folders it must not import.
 */
const FORBIDDEN = {
  domain: [
    'engine',
    'app',
    'api',
    'cli',
    'web',
    'store',
    'connectors',
    'ingest',
    'governance',
    'worker',
    'config',
    'observability',
    'main.ts',
  ],
  engine: [
    'app',
    'api',
    'cli',
    'web',
    'store',
    'connectors',
    'ingest',
    'governance',
    'worker',
    'config',
    'observability',
    'main.ts',
  ],
  store: ['app', 'api', 'cli', 'web', 'worker', 'engine', 'connectors', 'ingest', 'main.ts'],
  ingest: ['app', 'api', 'cli', 'web', 'worker', 'main.ts'],
  connectors: ['app', 'api', 'cli', 'web', 'worker', 'main.ts'],
  governance: ['app', 'api', 'cli', 'web', 'worker', 'main.ts'],
  app: ['api', 'cli', 'web', 'main.ts'],
  worker: ['api', 'cli', 'web', 'main.ts'],
  api: ['cli', 'web'],
  // The web UI is a separate browser bundle that talks to the API over HTTP only.
  web: [
    'domain',
    'engine',
    'app',
    'api',
    'cli',
    'store',
    'connectors',
    'ingest',
    'governance',
    'worker',
    'config',
    'observability',
    'main.ts',
  ],
};

/** The top-level folder (or file) of src/ a path lies in, or undefined outside src/. */
const layerOf = (/** @type {string} */ file) => {
  const rel = relative(SRC, file);
  if (rel.startsWith('..')) return undefined;
  return rel.split(/[\\/]/)[0];
};

/** @type {import('eslint').Rule.RuleModule} */
const layersRule = {
  meta: {
    type: 'problem',
    messages: {
      inward: 'Imports point inward: {{from}}/ must not depend on {{to}}/ (see eslint.config.js).',
    },
  },
  create(context) {
    const from = layerOf(context.filename);
    const forbidden = from ? (FORBIDDEN[/** @type {keyof typeof FORBIDDEN} */ (from)] ?? []) : [];
    /** @param {any} node */
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = layerOf(resolve(dirname(context.filename), source).replace(/\.js$/, '.ts'));
      if (to && to !== from && forbidden.includes(to))
        context.report({ node, messageId: 'inward', data: { from: from ?? '', to } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

/** Kysely's query builders: calling one is writing SQL. */
const QUERY_BUILDERS = new Set([
  'selectFrom',
  'selectNoFrom',
  'insertInto',
  'replaceInto',
  'updateTable',
  'deleteFrom',
  'mergeInto',
  'with',
  'withRecursive',
]);

/**
 * SQL lives only in src/store: the other layers call a repository function with the transaction they hold.
 * Matches by name (the config is not type-aware), so a non-Kysely `.with(…)` outside the store is flagged too:
 * rename it or move the query.
 */
/** @type {import('eslint').Rule.RuleModule} */
const sqlInStoreRule = {
  meta: {
    type: 'problem',
    messages: {
      builder:
        'SQL belongs in src/store: move this `{{name}}` query into a repository function (src/store/<area>/*.repository.ts) and call that.',
      tag: 'SQL belongs in src/store: move this `sql` query into a repository function (src/store/<area>/*.repository.ts) and call that.',
    },
  },
  create(context) {
    const layer = layerOf(context.filename);
    if (layer === undefined || layer === 'store') return {};
    return {
      /** @param {any} node */
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type !== 'MemberExpression' || callee.computed || callee.property.type !== 'Identifier')
          return;
        if (QUERY_BUILDERS.has(callee.property.name))
          context.report({
            node: callee.property,
            messageId: 'builder',
            data: { name: callee.property.name },
          });
      },
      /** @param {any} node */
      TaggedTemplateExpression(node) {
        if (node.tag.type === 'Identifier' && node.tag.name === 'sql')
          context.report({ node, messageId: 'tag' });
      },
      /** @param {any} node */
      ImportDeclaration(node) {
        if (node.source.value !== 'kysely' || node.importKind === 'type') return;
        for (const spec of node.specifiers) {
          if (spec.type === 'ImportSpecifier' && spec.importKind !== 'type' && spec.imported.name === 'sql')
            context.report({ node: spec, messageId: 'tag' });
        }
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { riposte: { rules: { layers: layersRule, 'sql-in-store': sqlInStoreRule } } },
    rules: {
      'riposte/layers': 'error',
      'riposte/sql-in-store': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-eval': 'error',
      'no-new-func': 'error',
      'no-implied-eval': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // Tests may reach across layers to set things up.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { 'riposte/layers': 'off', 'riposte/sql-in-store': 'off' },
  },

  {
    files: ['src/domain/**/*.ts', 'src/engine/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeIo, ...edgePackages].map((name) => ({
            name,
            message: 'The pure core does no I/O: take it as an argument.',
          })),
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Time is an input: take a Clock.' },
        { object: 'Math', property: 'random', message: 'Randomness is an input: take a generator.' },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'The pure core reads no environment.' }],
    },
  },
  {
    files: ['src/web/**/*.{ts,tsx}'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        EventSource: 'readonly',
        localStorage: 'readonly',
        console: 'readonly',
        URLSearchParams: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  prettier,
);
