// A validation problem inside a policy document: where (a path of keys and indexes) and why.
// Compilers and the bundle parser share it, so a problem reads the same wherever it is found.

export interface RecordProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** `$` plus the path in JSON-path form: `$.channels[0].rules[2].peer`. */
export function formatJsonPath(path: readonly PropertyKey[], root = '$'): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}
