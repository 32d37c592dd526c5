// The tree of administrative topic objects (`DEFINE TOPIC(FRUIT) TOPICSTR('Price/Fruit')`):
// finds, for any topic string, the closest topic object at or above it and the chain of its
// ancestors up to SYSTEM.BASE.TOPIC, along which topic authorities are inherited.
import { AppError } from '../errors/index.ts';
import { isValidObjectName } from './profile.ts';

/** An administrative topic object: an MQ object name bound to a node of the topic tree. */
export interface TopicObject {
  /** Object name, e.g. `PRICES` (MQ object-name rules, at most 48 characters). */
  readonly name: string;
  /** Topic string of the node, e.g. `prices` or `prices/fx`; levels are separated by `/`. */
  readonly topicString: string;
}

/** The root of every topic tree; it always exists and has the empty topic string. */
export const BASE_TOPIC: TopicObject = Object.freeze({ name: 'SYSTEM.BASE.TOPIC', topicString: '' });

/** MQ limits a topic string to 10,240 characters. */
export const MAX_TOPIC_STRING_LENGTH = 10_240;

/** Compiled topic tree; immutable. */
export interface TopicTree {
  /** The topic objects, the base topic first. */
  readonly objects: readonly TopicObject[];
  /** The topic object with this name, if defined. */
  byName(name: string): TopicObject | undefined;
  /** The closest topic object at or above `topicString` (BASE_TOPIC when no other is). */
  closest(topicString: string): TopicObject;
  /**
   * The closest topic object at or above `topicString`, then each ancestor topic object up
   * to and including BASE_TOPIC. A wildcard level (`#` or `+`) and everything after it are
   * ignored: a wildcard subscription is checked where its wildcard begins.
   */
  chain(topicString: string): readonly TopicObject[];
}

/** Why `topicString` cannot be the topic string of a topic object, or undefined. */
export function topicStringProblem(topicString: unknown): string | undefined {
  if (typeof topicString !== 'string') return 'must be a string';
  if (topicString.length === 0) return `must not be empty (the empty topic string is ${BASE_TOPIC.name})`;
  if (topicString.length > MAX_TOPIC_STRING_LENGTH) return `must be at most ${MAX_TOPIC_STRING_LENGTH} characters`;
  if (topicString.includes('\0')) return 'must not contain NUL';
  if (topicString.split('/').some((level) => level === '#' || level === '+')) return 'must not contain the wildcard levels # or +';
  return undefined;
}

/** The part of a topic string before its first wildcard level (`a/+/b` → `a`). */
export function wildcardFreePrefix(topicString: string): string {
  const levels = topicString.split('/');
  const at = levels.findIndex((level) => level === '#' || level === '+');
  return at < 0 ? topicString : levels.slice(0, at).join('/');
}

/**
 * Builds the tree. Each topic string and each name must be unique; SYSTEM.BASE.TOPIC is
 * implicit and cannot be redefined.
 * @throws AppError ERR_POLICY_RULE_INVALID listing every problem in `details.problems`.
 */
export function buildTopicTree(topics: readonly TopicObject[]): TopicTree {
  const problems: string[] = [];
  const byString = new Map<string, TopicObject>([['', BASE_TOPIC]]);
  const byName = new Map<string, TopicObject>([[BASE_TOPIC.name, BASE_TOPIC]]);
  topics.forEach((t, i) => {
    if (!isValidObjectName(t.name)) problems.push(`topics[${i}].name ${JSON.stringify(t.name)} is not a valid object name`);
    const stringProblem = topicStringProblem(t.topicString);
    if (stringProblem !== undefined) problems.push(`topics[${i}].topicString ${stringProblem}`);
    if (byName.has(t.name)) problems.push(`topics[${i}].name ${JSON.stringify(t.name)} is defined twice`);
    if (byString.has(t.topicString) && stringProblem === undefined) {
      problems.push(`topics[${i}].topicString ${JSON.stringify(t.topicString)} is already the topic string of ${byString.get(t.topicString)?.name}`);
    }
    const frozen = Object.freeze({ name: t.name, topicString: t.topicString });
    if (!byName.has(t.name)) byName.set(t.name, frozen);
    if (!byString.has(t.topicString)) byString.set(t.topicString, frozen);
  });
  if (problems.length > 0) {
    throw new AppError('ERR_POLICY_RULE_INVALID', `invalid topic objects: ${problems.join('; ')}`, { details: { problems } });
  }

  const closestString = (topicString: string): string => {
    let s = wildcardFreePrefix(topicString);
    for (;;) {
      if (byString.has(s)) return s;
      const cut = s.lastIndexOf('/');
      s = cut < 0 ? '' : s.slice(0, cut);
    }
  };
  // Each node's ancestor chain is fixed: compute it once.
  const chains = new Map<string, readonly TopicObject[]>();
  for (const [s, node] of byString) {
    const chain: TopicObject[] = [node];
    let at = s;
    while (at !== '') {
      const cut = at.lastIndexOf('/');
      at = closestString(cut < 0 ? '' : at.slice(0, cut));
      chain.push(byString.get(at) as TopicObject);
    }
    chains.set(s, Object.freeze(chain));
  }

  return Object.freeze({
    objects: Object.freeze([...byName.values()]),
    byName: (name: string) => byName.get(name),
    closest: (topicString: string) => byString.get(closestString(topicString)) as TopicObject,
    chain: (topicString: string) => chains.get(closestString(topicString)) as readonly TopicObject[],
  });
}
