// MQ-style 24-byte ids (MsgId, CorrelId) written as 48 lower-case hex digits, and their generator.
// Generated ids are random (192 bits): unique without coordination between gateway replicas.
import { randomFillSync } from 'node:crypto';
import { AppError } from '../../lib/errors/index.ts';

export const ID_BYTES = 24;
const HEX_ID = /^[0-9a-fA-F]{48}$/;
const NONE = '0'.repeat(ID_BYTES * 2);

/** Random bytes fetched in blocks: one crypto call per 128 ids instead of one per id. */
const pool = Buffer.alloc(ID_BYTES * 128);
let poolOffset = pool.length;

/** A new random message id (48 hex digits). */
export function generateMessageId(): string {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const id = pool.toString('hex', poolOffset, poolOffset + ID_BYTES);
  poolOffset += ID_BYTES;
  return id;
}

/**
 * Checks and lower-cases an id; all zeros (MQMI_NONE / MQCI_NONE) and absence give undefined.
 * @throws ERR_BROKER_BAD_MESSAGE_ID or ERR_BROKER_BAD_CORREL_ID (per `kind`) when malformed.
 */
export function normalizeId(value: string | undefined, kind: 'messageId' | 'correlationId'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !HEX_ID.test(value)) {
    throw new AppError(
      kind === 'messageId' ? 'ERR_BROKER_BAD_MESSAGE_ID' : 'ERR_BROKER_BAD_CORREL_ID',
      `${kind} must be 24 bytes written as 48 hex digits`,
      { details: { field: kind } },
    );
  }
  const id = value.toLowerCase();
  return id === NONE ? undefined : id;
}

/** True when `value` is a well-formed id (48 hex digits). */
export function isHexId(value: unknown): value is string {
  return typeof value === 'string' && HEX_ID.test(value);
}
