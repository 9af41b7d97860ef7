import Sqlite from 'better-sqlite3';

/** Per statement shape (its first characters): ms spent inside SQLite, and how many times it ran. */
export type StatementTimes = Map<string, { ms: number; runs: number }>;

/**
 * Times every statement better-sqlite3 prepares from now on (raw statements and commits included), while
 * `measuring()` says so, and the preparing itself (SQLite parses and plans the text: a statement cache miss),
 * as shape `prepare`. Call before the store opens.
 */
export function timeSqliteStatements(measuring: () => boolean, shapeLength = 70): StatementTimes {
  const times: StatementTimes = new Map();
  const prepare = Sqlite.prototype.prepare;
  Sqlite.prototype.prepare = function (this: Sqlite.Database, source: string) {
    const preparing = performance.now();
    const statement = prepare.call(this, source) as unknown as Record<
      string,
      (...args: unknown[]) => unknown
    >;
    if (measuring()) {
      const entry = times.get('prepare') ?? { ms: 0, runs: 0 };
      entry.ms += performance.now() - preparing;
      entry.runs += 1;
      times.set('prepare', entry);
    }
    const shape = source.replace(/\s+/g, ' ').slice(0, shapeLength);
    for (const method of ['run', 'all', 'get', 'iterate']) {
      const original = statement[method]?.bind(statement);
      if (!original) continue;
      statement[method] = (...args: unknown[]) => {
        const at = performance.now();
        try {
          return original(...args);
        } finally {
          if (measuring()) {
            const entry = times.get(shape) ?? { ms: 0, runs: 0 };
            entry.ms += performance.now() - at;
            entry.runs += 1;
            times.set(shape, entry);
          }
        }
      };
    }
    return statement as unknown as Sqlite.Statement;
  } as typeof prepare;
  return times;
}

/** Prints the costliest shapes first: µs inside SQLite per unit (an alert, say), and how many times each ran. */
export function printStatementTimes(times: StatementTimes, units: number, unit = 'alert', top = 25): void {
  for (const [shape, { ms, runs }] of [...times].sort((a, b) => b[1].ms - a[1].ms).slice(0, top))
    console.log(
      `${((ms * 1000) / units).toFixed(1).padStart(6)} µs/${unit} ${String(runs).padStart(6)}× ${shape}`,
    );
}
