import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseCount, parseDuration, parseFraction, parseIncrease, parseSize } from '../../src/settings/units.js';

describe('parseSize', () => {
  it.each([
    ['150MB', 150_000_000],
    ['150 MB', 150_000_000],
    ['1.2GiB', Math.round(1.2 * 1024 ** 3)],
    ['512KiB', 512 * 1024],
    ['74.8 mb', 74_800_000],
    ['3kB', 3000],
    ['5000', 5000],
    [5000, 5000],
    ['1TB', 1e12],
    ['2 B', 2],
  ])('reads %s as %d bytes', (text, bytes) => {
    expect(parseSize(text, 'budgets.x.max-size')).toBe(bytes);
  });

  it.each(['150M', 'big', '-5MB', '1.2.3GB', '', 'MB', '10 MBs'])('rejects %j, naming the setting and the accepted units', (text) => {
    const call = () => parseSize(text, 'budgets.multi-stage.max-size');
    expect(call).toThrow(InputError);
    expect(call).toThrow(/budgets\.multi-stage\.max-size/);
    expect(call).toThrow(/MB.*GiB/);
  });

  it('rejects non-scalars', () => {
    expect(() => parseSize({ a: 1 }, 'x')).toThrow(/got a mapping/);
    expect(() => parseSize(null, 'x')).toThrow(/got nothing/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1500ms', 1500],
    ['45', 45_000],
    ['1.5m', 90_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text, 'timeout')).toBe(ms);
  });

  it.each(['5 minutes', 'm', '10x', '5m junk', ''])('rejects %j', (text) => {
    expect(() => parseDuration(text, 'budgets.a.max-build-time')).toThrow(/budgets\.a\.max-build-time.*(not a duration|expected)/);
  });
});

describe('parseIncrease, parseFraction, parseCount', () => {
  it('reads percentages and sizes for max-increase', () => {
    expect(parseIncrease('5%', 'x')).toEqual({ kind: 'percent', percent: 5 });
    expect(parseIncrease('10MB', 'x')).toEqual({ kind: 'bytes', bytes: 10_000_000 });
    expect(() => parseIncrease('lots', 'budgets.a.max-increase')).toThrow(/budgets\.a\.max-increase: "lots" is neither a percentage/);
    expect(() => parseIncrease('5 %%', 'x')).toThrow(InputError);
  });

  it('reads fractions as a ratio or a percentage, greater than 0', () => {
    expect(parseFraction('50%', 'x')).toBe(0.5);
    expect(parseFraction('0.25', 'x')).toBe(0.25);
    expect(parseFraction(0.4, 'x')).toBe(0.4);
    expect(() => parseFraction('0', 'x')).toThrow(/greater than 0/);
    expect(() => parseFraction('half', 'x')).toThrow(/fraction/);
  });

  it('reads whole numbers with a minimum', () => {
    expect(parseCount('12', 'x', 1)).toBe(12);
    expect(() => parseCount('0', 'budgets.a.max-layers', 1)).toThrow(/budgets\.a\.max-layers: "0" is not a whole number of at least 1/);
    expect(() => parseCount('1.5', 'x')).toThrow(InputError);
  });
});
