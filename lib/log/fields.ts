// Every log key that more than one module uses, named once so that names cannot drift.
// Values are what appears in the JSON lines; dashboards and SIEM queries depend on them.
export const F = {
  component: 'component',
  module: 'module',
  code: 'code',
  peerId: 'peerId',
  principal: 'principal',
  connId: 'connId',
  msgId: 'msgId',
  queue: 'queue',
  topic: 'topic',
  qmgr: 'qmgr',
  channel: 'channel',
  resource: 'resource',
  reconcileId: 'reconcileId',
  fingerprint: 'fingerprint',
  durationMs: 'durationMs',
} as const;
