import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWorkspaceConfig } from '../../src/core/config.js';
import { BflyError, NotAWorkspaceError, ValidationError } from '../../src/core/errors.js';
import { canonicalJson, formatHash, hashJson, parseHash, sha256Hex } from '../../src/core/hash.js';
import { nameFromFile, validateName } from '../../src/core/names.js';
import { closestNames, didYouMean, editDistance } from '../../src/core/suggest.js';
import { BFLY_VERSION } from '../../src/core/version.js';
import { REPO } from '../helpers.js';

describe('hashing', () => {
  it('canonical JSON sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(hashJson({ x: 1, y: 2 })).toBe(hashJson({ y: 2, x: 1 }));
  });

  it('formats and parses sha256 hashes', () => {
    const hex = sha256Hex('abc');
    expect(hex).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(parseHash(formatHash(hex))).toBe(hex);
    expect(parseHash('sha256:xyz')).toBeNull();
  });
});

describe('names', () => {
  it('accepts ordinary names, unicode and spaces', () => {
    for (const n of ['penguins', 'sales 2024', 'données_été', 'a.b-c_d', '__proto__']) expect(validateName(n)).toBe(n);
  });

  it('refuses separators, .., @, NUL, control characters and over-long names', () => {
    for (const n of ['a/b', 'a\\b', '..', 'a..b', 'x@2', 'nul\u0000', 'tab\there', 'bell\u0007', '', ' lead', '.hidden', '-flag', 'é'.repeat(101)]) {
      expect(() => validateName(n), JSON.stringify(n)).toThrow(ValidationError);
    }
    expect(validateName('é'.repeat(100))).toHaveLength(100); // exactly 200 bytes
  });

  it('derives a name from a file name', () => {
    expect(nameFromFile('seattle-weather.csv')).toBe('seattle-weather');
    expect(nameFromFile('a@b.json')).toBe('a-b');
    expect(nameFromFile('.csv')).toBeNull();
  });
});

describe('suggestions', () => {
  it('finds the closest names', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestNames('specie', ['Species', 'Island', 'Sex'])).toEqual(['Species']);
    expect(didYouMean('pengiuns', ['penguins', 'cars'])).toBe(' (did you mean `penguins`?)');
    expect(didYouMean('zzzz', ['penguins'])).toBe('');
  });
});

describe('errors', () => {
  it('carry a category, code, hint and JSON form', () => {
    const e = new ValidationError('X', 'bad thing', { hint: 'do this', data: { line: 3 } });
    expect(e).toBeInstanceOf(BflyError);
    expect(e.toJSON()).toEqual({ code: 'X', category: 'validation', message: 'bad thing', hint: 'do this', data: { line: 3 } });
    expect(new NotAWorkspaceError('/x').message).toContain('not a bfly workspace (run `bfly init`)');
  });
});

describe('config', () => {
  it('accepts a valid config and defaults the profile', () => {
    const c = parseWorkspaceConfig({ id: 'ws_1', name: 'n', formatVersion: 1, createdAt: 'now' });
    expect(c.profile).toBe('internal_fast');
  });

  it('names the bad key', () => {
    expect(() => parseWorkspaceConfig({ id: 'ws_1', name: 'n', formatVersion: 'one', createdAt: 'x' })).toThrow(/formatVersion/);
    expect(() => parseWorkspaceConfig({ id: 'ws_1', name: 'n', formatVersion: 1, createdAt: 'x', profile: 'wild' })).toThrow(/profile/);
    expect(() => parseWorkspaceConfig([1, 2])).toThrow(/mapping/);
  });
});

describe('version', () => {
  it('BFLY_VERSION equals package.json', () => {
    expect(BFLY_VERSION).toBe(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
  });
});
