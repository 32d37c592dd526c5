import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../../lib/errors/index.ts';
import { routingKeyToTopic, topicFilterToBindingKey, topicMatches, topicToRoutingKey } from './topic-string.ts';

/** RabbitMQ topic-exchange matching, written from its documentation: '*' one word, '#' zero or more. */
function amqpMatches(bindingKey: string, routingKey: string): boolean {
  const b = bindingKey.split('.');
  const r = routingKey.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === b.length) return j === r.length;
    if (b[i] === '#') {
      for (let k = j; k <= r.length; k++) if (match(i + 1, k)) return true;
      return false;
    }
    if (j === r.length) return false;
    return (b[i] === '*' || b[i] === r[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

// Levels built from the characters that matter to the mapping, plus ordinary and non-ASCII ones.
const levelChar = fc.constantFrom('a', 'b', '.', '*', '#', '%', '2', 'E', '3', '+', ' ', 'ü', '€', '-');
const level = fc.string({ unit: levelChar, maxLength: 6 }).filter((l) => l !== '#' && l !== '+');
const topic = fc.array(level, { minLength: 1, maxLength: 6 }).map((levels) => levels.join('/')).filter((t) => t.length > 0);
const filterLevel = fc.oneof({ weight: 3, arbitrary: level }, { weight: 1, arbitrary: fc.constantFrom('#', '+') });
const filter = fc.array(filterLevel, { minLength: 1, maxLength: 6 }).map((levels) => levels.join('/')).filter((t) => t.length > 0);

describe('MQ topic string to AMQP routing key', () => {
  it.each([
    ['prices/eur/usd', 'prices.eur.usd'],
    ['a.b/c', 'a%2Eb.c'],
    ['x*y/#z', 'x%2Ay.%23z'],
    ['100%', '100%25'],
    ['/leading', '.leading'],
    ['a//b', 'a..b'],
    ['a%2Eb', 'a%252Eb'],
    ['ü ñ/€', 'ü ñ.€'],
  ])('maps %j to %j and back', (t, key) => {
    expect(topicToRoutingKey(t)).toBe(key);
    expect(routingKeyToTopic(key)).toBe(t);
  });

  it.each([
    ['prices/#', 'prices.#'],
    ['+/eur', '*.eur'],
    ['a/#/b', 'a.#.b'],
    ['a#/b+', 'a%23.b+'],
  ])('maps the subscription %j to the binding key %j', (f, key) => {
    expect(topicFilterToBindingKey(f)).toBe(key);
  });

  it.each(['', 'a/#', '+', 'a/+/b', 'bad\0nul', `lone\uD800surrogate`, 'x/'.repeat(128) + 'x'])('refuses the publication topic %j', (t) => {
    let error: unknown;
    try {
      topicToRoutingKey(t);
    } catch (err) {
      error = err;
    }
    expect(hasCode(error, 'ERR_BROKER_BAD_TOPIC')).toBe(true);
  });

  it('counts the routing key limit in UTF-8 bytes', () => {
    expect(topicToRoutingKey('é'.repeat(127))).toHaveLength(127);
    expect(() => topicToRoutingKey('é'.repeat(128))).toThrow();
    expect(() => topicToRoutingKey('.'.repeat(86))).toThrow(); // 86 × "%2E" = 258 bytes
  });

  it('is one-to-one: every topic string comes back from its routing key', () => {
    fc.assert(
      fc.property(topic, (t) => {
        expect(routingKeyToTopic(topicToRoutingKey(t))).toBe(t);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps levels and words aligned and never produces a wildcard word from a literal level', () => {
    fc.assert(
      fc.property(topic, (t) => {
        const words = topicToRoutingKey(t).split('.');
        expect(words).toHaveLength(t.split('/').length);
        for (const word of words) expect(word === '*' || word === '#').toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('matches in RabbitMQ exactly as MQ matches the topic strings', () => {
    fc.assert(
      fc.property(filter, topic, (f, t) => {
        expect(amqpMatches(topicFilterToBindingKey(f), topicToRoutingKey(t))).toBe(topicMatches(f, t));
      }),
      { numRuns: 5000 },
    );
  });

  it('matches a subscription with no wildcard only to the identical topic', () => {
    fc.assert(
      fc.property(topic, topic, (a, b) => {
        expect(amqpMatches(topicFilterToBindingKey(a), topicToRoutingKey(b))).toBe(a === b);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['sport/#', 'sport', true],
    ['sport/#', 'sport/tennis/results', true],
    ['sport/+', 'sport/tennis', true],
    ['sport/+', 'sport/tennis/results', false],
    ['sport/+', 'sport', false],
    ['+/+', 'a/b', true],
    ['#', 'anything/at/all', true],
    ['sport/+/results', 'sport//results', true],
  ])('MQ matching: %j against %j is %s', (f, t, expected) => {
    expect(topicMatches(f, t)).toBe(expected);
  });
});
