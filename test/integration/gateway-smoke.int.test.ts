import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLeaf } from '../pki/index.ts';
import { app, call, Q, startGatewayFixture, type GatewayFixture } from '../support/gateway-fixture.ts';

let gw: GatewayFixture;
beforeAll(async () => {
  gw = await startGatewayFixture();
});
afterAll(async () => {
  await gw?.close();
});

describe('smoke', () => {
  it('puts and gets', async () => {
    const client = gw.client(issueLeaf(app('producer')));
    const put = await call(client, 'POST', Q('APP.IN'), { body: 'hello', headers: { 'content-type': 'text/plain' } });
    console.log(put.status, put.headers, put.text);
    const get = await call(client, 'DELETE', Q('APP.IN'));
    console.log(get.status, get.headers, get.text);
    const info = await call(client, 'GET', '/qshield/v1/connection');
    console.log(info.json);
    expect(get.text).toBe('hello');
    console.log(gw.events().map((e) => JSON.stringify(e)).join('\n'));
  });
});
