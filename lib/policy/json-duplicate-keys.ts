// Finds keys repeated within one JSON object. JSON.parse silently keeps the last of them, so
// `{"action": "block", …, "action": "allow"}` would quietly become an allow: refuse it instead.

/** Where a repeated key was found: the path of its object, then the key. */
export interface DuplicateKey {
  readonly path: readonly (string | number)[];
}

type Frame = { kind: 'object'; keys: Set<string>; key: string | undefined } | { kind: 'array'; index: number };

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/**
 * Scans JSON text that JSON.parse has already accepted and returns each repeated key (up to
 * `limit`). Linear in the text's length.
 */
export function findDuplicateKeys(text: string, limit = 50): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const stack: Frame[] = [];
  const pathOf = (): (string | number)[] =>
    stack.map((f) => (f.kind === 'array' ? f.index : (f.key ?? '')));
  let i = 0;
  while (i < text.length && found.length < limit) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const token = text.slice(i, j + 1);
      i = j + 1;
      let k = i;
      while (k < text.length && WHITESPACE.has(text[k] as string)) k += 1;
      const top = stack.at(-1);
      // In valid JSON only a key is followed by a colon.
      if (text[k] === ':' && top?.kind === 'object') {
        const key = JSON.parse(token) as string;
        top.key = key;
        if (top.keys.has(key)) found.push({ path: pathOf() });
        else top.keys.add(key);
        i = k + 1;
      }
      continue;
    }
    if (ch === '{') stack.push({ kind: 'object', keys: new Set(), key: undefined });
    else if (ch === '[') stack.push({ kind: 'array', index: 0 });
    else if (ch === '}' || ch === ']') stack.pop();
    else if (ch === ',') {
      const top = stack.at(-1);
      if (top?.kind === 'array') top.index += 1;
    }
    i += 1;
  }
  return found;
}
