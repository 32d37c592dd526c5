import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findDuplicateKeys } from './json-duplicate-keys.ts';

describe('repeated JSON keys', () => {
  it.each([
    ['a repeated key at the root', '{"a": 1, "a": 2}', [['a']]],
    ['a repeated key inside an array element', '{"rules": [{"x": 1}, {"action": "block", "action": "allow"}]}', [['rules', 1, 'action']]],
    ['keys equal only after unescaping', '{"ab": 1, "a\\u0062": 2}', [['ab']]],
    ['no repeat when the same key is in sibling objects', '[{"a": 1}, {"a": 2}]', []],
    ['no repeat for a string value that looks like a key', '{"a": "b", "c": ["b", "a"]}', []],
    ['braces and quotes inside strings are not structure', '{"a": "{\\"a\\": 1}", "b": "]"}', []],
    ['whitespace before the colon', '{"a" :1, "a"\n:\t2}', [['a']]],
  ])('%s', (_name, text, expected) => {
    JSON.parse(text);
    expect(findDuplicateKeys(text).map((d) => d.path)).toEqual(expected);
  });

  it('finds none in anything JSON.stringify writes', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      expect(findDuplicateKeys(JSON.stringify(value, null, 1))).toEqual([]);
    }));
  });

  it('finds a key repeated into any object, at that object\'s path', () => {
    fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1 }), fc.nat(), (object, pick) => {
      const keys = Object.keys(object);
      const key = keys[pick % keys.length] as string;
      const text = `{"outer": [0, ${JSON.stringify(object).slice(0, -1)}, ${JSON.stringify(key)}: null}]}`;
      JSON.parse(text);
      expect(findDuplicateKeys(text).map((d) => d.path)).toEqual([['outer', 1, key]]);
    }));
  });
});
