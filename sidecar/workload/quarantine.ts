// Moves a message that failed to open to SYSTEM.PROTECTION.ERROR.QUEUE, wrapped in the
// error-queue format with the reason and its original descriptor (docs/error-queue.md), and
// emits the protection-violation security event (`disposition: quarantined`).
import { randomBytes } from 'node:crypto';
import { AppError } from '../../lib/errors/index.ts';
import { F, type Logger } from '../../lib/log/index.ts';
import type { Message } from '../drivers/driver.ts';
import { encodeErrorQueueMessage, ERROR_MESSAGE_CONTENT_TYPE, ERROR_QUEUE, type ErrorHeader } from '../error-queue/error-queue-message.ts';
import { protectionViolationFor, type SecurityEvents } from '../events/index.ts';
import { formatId } from '../rest/message-ids.ts';
import { errorFromReply, type GatewayClient } from './gateway-client.ts';
import type { ProtectionEntry } from './protection-cache.ts';
import { CSRF_HEADER, paths } from './wire.ts';

export interface QuarantineInput {
  readonly entry: ProtectionEntry;
  readonly message: Message;
  readonly error: unknown;
  /** get, lease, subscribe. */
  readonly operation: string;
}

export interface QuarantinerOptions {
  readonly client: () => GatewayClient;
  readonly events: SecurityEvents;
  readonly log: Logger;
  /** The workload's SPIFFE id (who detected it). */
  readonly spiffeId: () => string;
  readonly putRetries: number;
  readonly now?: () => number;
}

/** The facts of an open failure, for the error header and the event. */
export function failureFacts(error: unknown): { code: string; errorCode: string | undefined; explanation: string; signer: string | undefined; foundQop: string | undefined } {
  const mapped = protectionViolationFor(error);
  const details = error instanceof AppError ? error.details : {};
  return {
    code: mapped.code,
    errorCode: mapped.errorCode,
    explanation: error instanceof Error ? error.message.slice(0, 1024) : 'the message could not be opened',
    signer: typeof details.signer === 'string' ? details.signer : undefined,
    foundQop: typeof details.found === 'string' ? details.found : undefined,
  };
}

export class Quarantiner {
  readonly #o: QuarantinerOptions;
  readonly #log: Logger;
  readonly #now: () => number;

  constructor(options: QuarantinerOptions) {
    this.#o = options;
    this.#log = options.log.child({ module: 'quarantine' });
    this.#now = options.now ?? Date.now;
  }

  /**
   * Puts the error-queue message for a failed message and emits the event.
   * @throws AppError ERR_WORKLOAD_ERROR_QUEUE_FAILED (the cause says why); the message must then
   *   stay where it was.
   */
  async quarantine(input: QuarantineInput): Promise<void> {
    const { entry, message } = input;
    const facts = failureFacts(input.error);
    const target = entry.target;
    const header: ErrorHeader = {
      reason: facts.code,
      ...(facts.errorCode === undefined ? {} : { errorCode: facts.errorCode }),
      reasonCode: 2063,
      explanation: facts.explanation,
      destination: 'queue' in target ? { qmgr: entry.qmgr, queue: target.queue } : { qmgr: entry.qmgr, topic: target.topic },
      ...(entry.policy === undefined ? {} : { policy: { name: entry.policy.name, qualityOfProtection: entry.policy.qualityOfProtection, revision: entry.revision } }),
      ...(facts.signer === undefined ? {} : { signer: facts.signer }),
      original: {
        messageId: formatId(message.messageId, 'v3'),
        ...(message.correlationId === undefined ? {} : { correlationId: formatId(message.correlationId, 'v3') }),
        persistence: message.persistence,
        expiry: message.expiryMs ?? 'unlimited',
        priority: message.priority,
        ...(message.replyTo === undefined ? {} : { replyTo: message.replyTo }),
        ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
        ...(message.putTime === undefined ? {} : { putDateTime: message.putTime.toISOString() }),
        size: message.body.length,
      },
      detectedBy: { spiffeId: this.#o.spiffeId(), operation: input.operation },
      detectedAt: new Date(this.#now()).toISOString(),
    };
    const body = encodeErrorQueueMessage(header, message.body);
    // One id for every attempt: a resend after a lost answer is stored once.
    const id = randomBytes(24).toString('hex');
    try {
      const reply = await this.#o.client().requestWithRetry({
        method: 'POST',
        path: paths.quarantine(entry.qmgr),
        headers: { [CSRF_HEADER]: 'qshield-sidecar', 'content-type': ERROR_MESSAGE_CONTENT_TYPE, 'ibm-mq-md-messageid': formatId(id, 'v3') },
        body,
      }, this.#o.putRetries);
      if (reply.status !== 201) throw errorFromReply(reply);
    } catch (err) {
      this.#log.error({ [F.code]: err instanceof AppError ? err.code : 'ERR_INTERNAL', [F.msgId]: message.messageId, reason: facts.code }, 'moving a message to the error queue failed; it stays where it was');
      throw new AppError('ERR_WORKLOAD_ERROR_QUEUE_FAILED', `a message that failed to open (${facts.code}) could not be moved to ${ERROR_QUEUE}`, { cause: err, details: { reason: facts.code } });
    }
    this.#o.events.protectionViolation({
      code: facts.code as Parameters<SecurityEvents['protectionViolation']>[0]['code'],
      disposition: 'quarantined',
      principal: this.#o.spiffeId(),
      operation: input.operation,
      qmgr: entry.qmgr,
      ...('queue' in target ? { queue: target.queue } : { topic: target.topic }),
      messageId: message.messageId,
      ...(entry.policy === undefined ? {} : { policy: entry.policy.name, requiredQop: entry.policy.qualityOfProtection }),
      ...(facts.foundQop === undefined ? {} : { foundQop: facts.foundQop }),
      ...(facts.signer === undefined ? {} : { signer: facts.signer }),
      errorQueue: ERROR_QUEUE,
      reason: facts.explanation,
      ...(facts.errorCode === undefined ? {} : { errorCode: facts.errorCode }),
    });
  }
}
