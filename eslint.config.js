// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** Node modules that do I/O or read the environment: the pure core must not reach them. */
const nodeIo = [
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'net',
  'node:net',
  'http',
  'node:http',
  'https',
  'node:https',
  'child_process',
  'node:child_process',
  'dgram',
  'node:dgram',
  'tls',
  'node:tls',
  'worker_threads',
  'node:worker_threads',
  'process',
  'node:process',
  'os',
  'node:os',
];
const edgePackages = ['pg', 'better-sqlite3', 'kysely', 'fastify', 'undici', 'pino', 'commander'];
const layer = (/** @type {string[]} */ names) => names.map((n) => `**/${n}/**`);

/**
 * Dependencies point inward: domain ← engine ← app ← (api, cli, worker); store, ingest, connectors and
 * governance are adapters around the core. Each entry forbids the layers a folder must not import.
 */
const boundaries = [
  {
    files: ['src/domain/**/*.ts'],
    forbidden: layer([
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
    ]),
    io: true,
  },
  {
    files: ['src/engine/**/*.ts'],
    forbidden: layer([
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
    ]),
    io: true,
  },
  {
    files: ['src/store/**/*.ts'],
    forbidden: layer(['app', 'api', 'cli', 'web', 'worker', 'engine', 'connectors', 'ingest']),
  },
  {
    files: ['src/ingest/**/*.ts', 'src/connectors/**/*.ts', 'src/governance/**/*.ts'],
    forbidden: layer(['app', 'api', 'cli', 'web', 'worker']),
  },
  { files: ['src/app/**/*.ts', 'src/worker/**/*.ts'], forbidden: layer(['api', 'cli', 'web']) },
  { files: ['src/api/**/*.ts'], forbidden: layer(['cli']) },
  // The web UI is a separate bundle that talks to the API over HTTP only.
  {
    files: ['src/web/**/*.ts', 'src/web/**/*.tsx'],
    forbidden: [
      '**/domain/**',
      '**/engine/**',
      '**/app/**',
      '**/api/**',
      '**/cli/**',
      '**/store/**',
      '**/connectors/**',
      '**/ingest/**',
      '**/governance/**',
      '**/worker/**',
      '**/config/**',
      '**/observability/**',
      '**/main.js',
    ],
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', 'src/web/dist/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-eval': 'error',
      'no-new-func': 'error',
      'no-implied-eval': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  ...boundaries.map(({ files, forbidden, io }) => ({
    files,
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: io
            ? [...nodeIo, ...edgePackages].map((name) => ({
                name,
                message: 'The pure core does no I/O: take it as an argument.',
              }))
            : [],
          patterns: [
            { group: forbidden, message: 'Imports point inward: this layer must not depend on that one.' },
          ],
        },
      ],
    },
  })),
  {
    files: ['src/domain/**/*.ts', 'src/engine/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
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
