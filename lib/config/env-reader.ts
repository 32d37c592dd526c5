// Pure parsing of an environment map. A reader collects every problem and `finish()` throws
// one ERR_CONFIG_INVALID listing them all, so an operator fixes a deployment in one pass.
// Only entry points pass `process.env`; everything else gets a plain object.
import { AppError } from '../errors/index.ts';
import { parseDuration } from './duration.ts';

export type Env = Readonly<Record<string, string | undefined>>;

interface Common<T> {
  /** Value when the variable is unset or empty. Without it the variable is required. */
  default?: T;
  /** One line that appears in the error when the value is wrong. */
  description?: string;
}

export class EnvReader {
  readonly #env: Env;
  readonly #prefix: string;
  readonly #problems: string[] = [];

  constructor(env: Env, prefix = '') {
    this.#env = env;
    this.#prefix = prefix;
  }

  get problems(): readonly string[] {
    return this.#problems;
  }

  /** Records a problem found by cross-field validation. */
  problem(message: string): void {
    this.#problems.push(message);
  }

  string(name: string, opts: Common<string> & { pattern?: RegExp } = {}): string {
    return this.#read(name, opts, (raw) => {
      if (opts.pattern && !opts.pattern.test(raw)) throw new Error(`must match ${opts.pattern}`);
      return raw;
    }, '');
  }

  optionalString(name: string): string | undefined {
    const raw = this.#raw(name);
    return raw === undefined ? undefined : raw;
  }

  int(name: string, opts: Common<number> & { min?: number; max?: number } = {}): number {
    return this.#read(name, opts, (raw) => {
      if (!/^-?\d+$/.test(raw)) throw new Error('must be an integer');
      const value = Number(raw);
      if (!Number.isSafeInteger(value)) throw new Error('is out of range');
      if (opts.min !== undefined && value < opts.min) throw new Error(`must be at least ${opts.min}`);
      if (opts.max !== undefined && value > opts.max) throw new Error(`must be at most ${opts.max}`);
      return value;
    }, 0);
  }

  port(name: string, opts: Common<number> = {}): number {
    return this.int(name, { ...opts, min: 0, max: 65535 });
  }

  bool(name: string, opts: Common<boolean> = {}): boolean {
    return this.#read(name, opts, (raw) => {
      const lower = raw.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lower)) return true;
      if (['false', '0', 'no', 'off'].includes(lower)) return false;
      throw new Error('must be true or false');
    }, false);
  }

  oneOf<const T extends string>(name: string, choices: readonly T[], opts: Common<T> = {}): T {
    return this.#read(name, opts, (raw) => {
      if (!(choices as readonly string[]).includes(raw)) throw new Error(`must be one of ${choices.join(', ')}`);
      return raw as T;
    }, choices[0] as T);
  }

  /** A duration such as `90s`, `5m`, `1h30m`, `250ms`; returned in milliseconds. */
  durationMs(name: string, opts: Common<number> & { min?: number; max?: number } = {}): number {
    return this.#read(name, opts, (raw) => {
      const ms = parseDuration(raw);
      if (opts.min !== undefined && ms < opts.min) throw new Error(`must be at least ${opts.min} ms`);
      if (opts.max !== undefined && ms > opts.max) throw new Error(`must be at most ${opts.max} ms`);
      return ms;
    }, 0);
  }

  /** A comma-separated list; empty items are dropped. */
  list(name: string, opts: Common<string[]> = {}): string[] {
    return this.#read(name, opts, (raw) => raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0), []);
  }

  /** Throws one ERR_CONFIG_INVALID naming every problem, or returns `value` deep-frozen. */
  finish<T>(value: T): T {
    if (this.#problems.length > 0) {
      throw new AppError('ERR_CONFIG_INVALID', `invalid configuration:\n  - ${this.#problems.join('\n  - ')}`, {
        details: { problems: [...this.#problems] },
      });
    }
    return deepFreeze(value);
  }

  #raw(name: string): string | undefined {
    const raw = this.#env[this.#prefix + name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  }

  #read<T>(name: string, opts: Common<T>, parse: (raw: string) => T, placeholder: T): T {
    const full = this.#prefix + name;
    const raw = this.#raw(name);
    if (raw === undefined) {
      if (opts.default !== undefined) return opts.default;
      this.#problems.push(`${full} is required${opts.description ? ` (${opts.description})` : ''}`);
      return placeholder;
    }
    try {
      return parse(raw);
    } catch (err) {
      // Parsers do not echo values (they may be secrets); durations quote theirs, which are not.
      this.#problems.push(`${full} ${(err as Error).message}${opts.description ? ` (${opts.description})` : ''}`);
      return placeholder;
    }
  }
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
