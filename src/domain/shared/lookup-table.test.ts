import { describe, expect, it } from 'vitest';
import { mapSeverity } from '../alerts/severity-mapping.js';
import { lookupTable } from './lookup-table.js';

describe('lookupTable', () => {
  it("finds the table's own keys and none of Object's", () => {
    const level = lookupTable({ high: 3, low: 1 });
    expect(level('high')).toBe(3);
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'missing'])
      expect(level(key)).toBeUndefined();
  });

  it("maps a severity word that names one of Object's members to the fallback", () => {
    for (const word of ['constructor', '__proto__', 'toString', 'CONSTRUCTOR '])
      expect(mapSeverity(word, undefined, 'low')).toBe('low');
    expect(mapSeverity('Critical')).toBe('critical');
  });
});
