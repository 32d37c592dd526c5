// Checks the queue list given to configureQueues and fills in MQ's defaults.
import { AppError } from '../../lib/errors/index.ts';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_MESSAGE_LENGTH, type QueueSpec } from './driver.ts';

export interface ResolvedQueueSpec {
  readonly name: string;
  readonly maxDepth: number;
  readonly maxMessageLength: number;
}

/** MQ object names; `amq.` is refused because RabbitMQ reserves it. */
const QUEUE_NAME = /^[A-Za-z0-9._/%]{1,48}$/;
export const MAX_DEPTH_LIMIT = 999_999_999;
export const MAX_MESSAGE_LENGTH_LIMIT = 100 * 1024 * 1024;

/**
 * Validates every spec (all or nothing) and returns them by name with defaults applied.
 * @throws ERR_BROKER_BAD_QUEUE_NAME for a bad or repeated name, ERR_INVALID_ARGUMENT for bad limits.
 */
export function resolveQueueSpecs(specs: readonly QueueSpec[]): Map<string, ResolvedQueueSpec> {
  if (!Array.isArray(specs)) throw new AppError('ERR_INVALID_ARGUMENT', 'queues must be an array');
  const out = new Map<string, ResolvedQueueSpec>();
  for (const spec of specs) {
    const name = spec?.name;
    if (typeof name !== 'string' || !QUEUE_NAME.test(name) || name.startsWith('amq.')) {
      throw new AppError('ERR_BROKER_BAD_QUEUE_NAME', 'a queue name is 1 to 48 of A-Z a-z 0-9 . _ / % and does not start with amq.', {
        details: { queue: typeof name === 'string' ? name.slice(0, 64) : null },
      });
    }
    if (out.has(name)) throw new AppError('ERR_BROKER_BAD_QUEUE_NAME', `queue ${name} is listed twice`, { details: { queue: name } });
    const maxDepth = spec.maxDepth ?? DEFAULT_MAX_DEPTH;
    if (!Number.isSafeInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_DEPTH_LIMIT) {
      throw new AppError('ERR_INVALID_ARGUMENT', `maxDepth of ${name} must be an integer from 1 to ${MAX_DEPTH_LIMIT}`, { details: { queue: name } });
    }
    const maxMessageLength = spec.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
    if (!Number.isSafeInteger(maxMessageLength) || maxMessageLength < 0 || maxMessageLength > MAX_MESSAGE_LENGTH_LIMIT) {
      throw new AppError('ERR_INVALID_ARGUMENT', `maxMessageLength of ${name} must be an integer from 0 to ${MAX_MESSAGE_LENGTH_LIMIT}`, {
        details: { queue: name },
      });
    }
    out.set(name, Object.freeze({ name, maxDepth, maxMessageLength }));
  }
  return out;
}
