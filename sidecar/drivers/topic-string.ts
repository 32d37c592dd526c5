// MQ topic strings ('/'-separated levels; a level that is exactly '#' or '+' is a wildcard in a
// subscription) and their mapping to AMQP topic-exchange routing keys ('.'-separated words).
// Each level becomes one word with '%', '.', '*' and '#' percent-escaped, so the mapping is
// one-to-one and AMQP matching of the mapped keys equals MQ matching of the topic strings.
import { AppError } from '../../lib/errors/index.ts';

/** AMQP routing keys are short strings: at most 255 bytes. */
export const MAX_ROUTING_KEY_BYTES = 255;

const ESCAPES: Record<string, string> = { '%': '%25', '.': '%2E', '*': '%2A', '#': '%23' };
const NEEDS_ESCAPE = /[%.*#]/g;
const ESCAPED = /%(25|2E|2A|23)/g;
const UNESCAPES: Record<string, string> = { '25': '%', '2E': '.', '2A': '*', '23': '#' };

function badTopic(message: string, topic: unknown): AppError {
  return new AppError('ERR_BROKER_BAD_TOPIC', message, { details: { topic: typeof topic === 'string' ? topic.slice(0, 128) : null } });
}

/**
 * Splits a topic string into levels.
 * @throws ERR_BROKER_BAD_TOPIC when empty, not well-formed Unicode, holding NUL, or (unless
 *   `wildcards`) with a '#' or '+' level.
 */
export function topicLevels(topic: string, wildcards: boolean): string[] {
  if (typeof topic !== 'string' || topic.length === 0) throw badTopic('the topic string is empty', topic);
  if (!topic.isWellFormed() || topic.includes('\0')) throw badTopic('the topic string holds an invalid character', topic);
  const levels = topic.split('/');
  if (!wildcards && levels.some((level) => level === '#' || level === '+')) {
    throw badTopic('publications go to a topic string without wildcard levels (# or +)', topic);
  }
  return levels;
}

function escapeLevel(level: string): string {
  return level.replace(NEEDS_ESCAPE, (c) => ESCAPES[c] as string);
}

function checkLength(key: string, topic: string): string {
  if (Buffer.byteLength(key) > MAX_ROUTING_KEY_BYTES) {
    throw badTopic(`the topic string maps to more than ${MAX_ROUTING_KEY_BYTES} bytes of routing key`, topic);
  }
  return key;
}

/**
 * The routing key a publication to `topic` carries.
 * @throws ERR_BROKER_BAD_TOPIC.
 */
export function topicToRoutingKey(topic: string): string {
  return checkLength(topicLevels(topic, false).map(escapeLevel).join('.'), topic);
}

/**
 * The binding key of a subscription to `filter`: '#' levels become '#', '+' levels become '*'.
 * @throws ERR_BROKER_BAD_TOPIC.
 */
export function topicFilterToBindingKey(filter: string): string {
  const words = topicLevels(filter, true).map((level) => (level === '#' ? '#' : level === '+' ? '*' : escapeLevel(level)));
  return checkLength(words.join('.'), filter);
}

/** The topic string a routing key came from (inverse of topicToRoutingKey). */
export function routingKeyToTopic(key: string): string {
  return key
    .split('.')
    .map((word) => word.replace(ESCAPED, (_m, hex: string) => UNESCAPES[hex] as string))
    .join('/');
}

/** MQ topic-based wildcard matching of a subscription filter against a publication's topic. */
export function topicMatches(filter: string, topic: string): boolean {
  return matchLevels(filter.split('/'), 0, topic.split('/'), 0);
}

function matchLevels(filter: string[], f: number, topic: string[], t: number): boolean {
  if (f === filter.length) return t === topic.length;
  const level = filter[f];
  if (level === '#') {
    for (let skip = t; skip <= topic.length; skip++) if (matchLevels(filter, f + 1, topic, skip)) return true;
    return false;
  }
  if (t === topic.length) return false;
  return (level === '+' || level === topic[t]) && matchLevels(filter, f + 1, topic, t + 1);
}
