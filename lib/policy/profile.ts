// MQ generic profiles over object names (`?`, `*`, `**`) and their documented precedence:
// compare left to right, at the first difference a literal beats a wildcard, `?` beats `*`
// beats `**`. Used for queue, topic-object and queue-manager authority profiles.
import { AppError } from '../errors/index.ts';

/** MQ object names (queues, topic objects, queue managers) are at most 48 characters. */
export const MAX_OBJECT_NAME_LENGTH = 48;

// MQ's object-name alphabet; profiles add the wildcards `?` and `*`.
const NAME_PATTERN = /^[A-Za-z0-9._/%]+$/;
const PROFILE_PATTERN = /^[A-Za-z0-9._/%*?]+$/;

// Specificity ranks of one position of a profile, highest = most specific. A literal
// character outranks the end of the profile (a longer literal tail constrains more), which
// outranks every wildcard; among wildcards IBM orders `?` before `*` before `**`.
const RANK_DOUBLE_STAR = 0;
const RANK_STAR = 1;
const RANK_QUESTION = 2;
const RANK_END = 3;
const RANK_LITERAL = 4;
const RANK_SCALE = 0x10000;

/** A compiled generic (or literal) profile. */
export interface Profile {
  /** The profile as written, e.g. `PAY.**`. */
  readonly text: string;
  /** True when the profile holds a wildcard; a literal profile names exactly one object. */
  readonly generic: boolean;
  /** Whether `name` is one of the object names this profile covers. */
  matches(name: string): boolean;
  /**
   * The specificity key: one number per position, then the end marker. Compared
   * lexicographically, the larger key is the more specific profile (see compareProfiles).
   */
  readonly specificity: readonly number[];
}

/** Whether `name` is a valid MQ object name (1–48 of `A-Z a-z 0-9 . / _ %`). */
export function isValidObjectName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= MAX_OBJECT_NAME_LENGTH && NAME_PATTERN.test(name);
}

/**
 * Why `text` is not a valid profile, or undefined when it is. Rules (IBM's): the object-name
 * alphabet plus `?` and `*`; at most 48 characters; `**` only as a whole qualifier and at
 * most once per profile.
 */
export function profileProblem(text: unknown): string | undefined {
  if (typeof text !== 'string') return 'must be a string';
  if (text.length === 0) return 'must not be empty';
  if (text.length > MAX_OBJECT_NAME_LENGTH) return `must be at most ${MAX_OBJECT_NAME_LENGTH} characters`;
  if (!PROFILE_PATTERN.test(text)) return 'may hold only A-Z a-z 0-9 . / _ % and the wildcards ? *';
  let doubleStars = 0;
  for (const qualifier of text.split('.')) {
    if (!qualifier.includes('**')) continue;
    if (qualifier !== '**') return '"**" must be a whole qualifier (e.g. "A.**", "**.B", "A.**.B")';
    doubleStars += 1;
  }
  if (doubleStars > 1) return '"**" may appear only once in a profile';
  return undefined;
}

/**
 * Compiles a profile once for fast matching.
 * @throws AppError ERR_POLICY_PROFILE_INVALID when `text` is not valid profile syntax.
 */
export function parseProfile(text: string): Profile {
  const problem = profileProblem(text);
  if (problem !== undefined) {
    throw new AppError('ERR_POLICY_PROFILE_INVALID', `profile ${JSON.stringify(text)} ${problem}`, {
      details: { profile: String(text).slice(0, 100), problem },
    });
  }
  const qualifiers = text.split('.');
  const starAt = qualifiers.indexOf('**');
  const generic = /[*?]/.test(text);
  const specificity = specificityKey(qualifiers, starAt);
  if (!generic) {
    return Object.freeze({ text, generic, specificity, matches: (name: string) => name === text });
  }
  const regex = new RegExp(`^${regexSource(qualifiers, starAt)}$`);
  // The literal text before the first wildcard rules most names out without the regex. A
  // `.**` may match zero qualifiers, so its dot is not part of the prefix (`PAY.**` matches `PAY`).
  const first = text.search(/[*?]/);
  const prefix = text.slice(0, text.startsWith('**', first) && first > 0 ? first - 1 : first);
  return Object.freeze({ text, generic, specificity, matches: (name: string) => name.startsWith(prefix) && regex.test(name) });
}

/**
 * Orders two profiles by specificity: negative when `a` is MORE specific than `b`, positive
 * when less, 0 only for the same profile, so `profiles.sort(compareProfiles)` puts the one that
 * applies first (the convention of compareSpecificity for SPIFFE patterns). Compared left to
 * right; at the first difference a literal beats a wildcard and `?` beats `*` beats `**` (IBM
 * "Profile priorities"). Two different literals at the first difference cannot both match a
 * name unless a wildcard came before; the lower character code is then taken as the more
 * specific, so the order is total.
 */
export function compareProfiles(a: Profile, b: Profile): number {
  const ka = a.specificity;
  const kb = b.specificity;
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i += 1) {
    const d = (kb[i] as number) - (ka[i] as number);
    if (d !== 0) return d;
  }
  return kb.length - ka.length;
}

/**
 * Of the profiles that match `name`, the one that applies (the most specific), or undefined.
 * For hot paths use an index sorted with compareProfiles instead (see authorities.ts).
 */
export function mostSpecificMatch<P extends Profile>(profiles: Iterable<P>, name: string): P | undefined {
  let best: P | undefined;
  for (const p of profiles) {
    if (p.matches(name) && (best === undefined || compareProfiles(p, best) < 0)) best = p;
  }
  return best;
}

function specificityKey(qualifiers: readonly string[], starAt: number): number[] {
  const key: number[] = [];
  qualifiers.forEach((q, i) => {
    if (q === '**') {
      // The `**` token absorbs its neighbouring dots: it stands for "zero or more qualifiers".
      key.push(RANK_DOUBLE_STAR * RANK_SCALE);
      return;
    }
    // A dot separates this qualifier from the previous one, unless that was `**`.
    if (i > 0 && i - 1 !== starAt) key.push(literalRank('.'));
    for (const ch of q) {
      if (ch === '?') key.push(RANK_QUESTION * RANK_SCALE);
      else if (ch === '*') key.push(RANK_STAR * RANK_SCALE);
      else key.push(literalRank(ch));
    }
  });
  key.push(RANK_END * RANK_SCALE);
  return key;
}

function literalRank(ch: string): number {
  return RANK_LITERAL * RANK_SCALE + (0xffff - ch.charCodeAt(0));
}

function qualifierSource(q: string): string {
  let out = '';
  for (const ch of q) {
    if (ch === '?') out += '[^.]';
    else if (ch === '*') out += '[^.]*';
    else out += ch; // the name alphabet holds no regex metacharacter but the dot, split off above
  }
  return out;
}

function regexSource(qualifiers: readonly string[], starAt: number): string {
  const join = (qs: readonly string[]) => qs.map(qualifierSource).join('\\.');
  if (starAt < 0) return join(qualifiers);
  const before = qualifiers.slice(0, starAt);
  const after = qualifiers.slice(starAt + 1);
  if (before.length === 0 && after.length === 0) return '.*';
  if (before.length === 0) return `(?:.*\\.)?${join(after)}`;
  if (after.length === 0) return `${join(before)}(?:\\..*)?`;
  return `${join(before)}\\.(?:.*\\.)?${join(after)}`;
}
