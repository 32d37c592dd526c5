// The broker drivers: the interface the gateway programs against, and its two implementations.
export type * from './driver.ts';
export { DEFAULT_MAX_DEPTH, DEFAULT_MAX_MESSAGE_LENGTH } from './driver.ts';
export { MemoryDriver, type MemoryDriverOptions } from './memory/memory-driver.ts';
export { AmqpDriver, type AmqpDriverOptions } from './amqp/amqp-driver.ts';
export { generateMessageId, normalizeId } from './message-id.ts';
export { topicToRoutingKey, topicFilterToBindingKey, routingKeyToTopic, topicMatches } from './topic-string.ts';
