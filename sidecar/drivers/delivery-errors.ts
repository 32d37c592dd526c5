// The errors a delivery's ack or release reports, shared by the drivers.
import { AppError } from '../../lib/errors/index.ts';
import type { Delivery } from './driver.ts';

export function lostError(delivery: Delivery): AppError {
  return new AppError('ERR_BROKER_DELIVERY_LOST', 'the broker connection was lost before the ack; the broker took the message back', {
    details: { messageId: delivery.message.messageId },
  });
}

export function settledError(delivery: Delivery, was: 'acked' | 'released'): AppError {
  return new AppError('ERR_BROKER_DELIVERY_SETTLED', `the delivery was ${was} already`, { details: { messageId: delivery.message.messageId } });
}
