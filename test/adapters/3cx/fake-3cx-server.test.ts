/** The fake 3CX server behaves as the reference describes 3CX (so scenario tests mean something). */
import axios from 'axios';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Fake3cxServer } from '../../fakes/fake-3cx-server.js';

let fake: Fake3cxServer;
const http = axios.create({ validateStatus: () => true });

beforeEach(async () => {
  fake = await Fake3cxServer.start();
  fake.addUser('101');
});
afterEach(async () => {
  await fake.stop();
});

async function token(): Promise<string> {
  const form = new URLSearchParams({
    client_id: fake.clientId,
    client_secret: fake.clientSecret,
    grant_type: 'client_credentials',
  });
  const res = await http.post(`${fake.url}/connect/token`, form.toString(), {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  return (res.data as { access_token: string }).access_token;
}

function upgrade(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${fake.url.replace('http', 'ws')}/callcontrol/ws`, { headers });
    ws.on('open', () => (ws.close(), resolve(101)));
    ws.on('unexpected-response', (_req, res) => (res.resume(), ws.terminate(), resolve(res.statusCode ?? 0)));
    ws.on('error', () => undefined);
  });
}

describe('fake 3CX server', () => {
  it('rejects a WebSocket upgrade without or with an invalid Bearer, accepts a valid one', async () => {
    expect(await upgrade({})).toBe(401);
    expect(await upgrade({ Authorization: 'Bearer nope' })).toBe(401);
    expect(await upgrade({ Authorization: `Bearer ${await token()}` })).toBe(101);
  });

  it('keeps one live token per client id', async () => {
    const first = await token();
    await token();
    const res = await http.get(`${fake.url}/xapi/v1/Users`, {
      headers: { Authorization: `Bearer ${first}` },
    });
    expect(res.status).toBe(401);
  });

  it('rejects $top above 100 and answers OData envelopes with $filter', async () => {
    const auth = { Authorization: `Bearer ${await token()}` };
    const tooMany = await http.get(`${fake.url}/xapi/v1/Users?$top=101`, { headers: auth });
    expect(tooMany.status).toBe(400);
    const found = await http.get(
      `${fake.url}/xapi/v1/Users?$filter=Number%20eq%20'101'&$select=Id,Number&$top=1`,
      { headers: auth },
    );
    expect(found.data).toEqual({
      '@odata.context': expect.any(String),
      value: [{ Id: fake.user('101').Id, Number: '101' }],
    });
  });

  it('emits {sequence, event:{event_type, entity}} and serves the entity', async () => {
    const ws = new WebSocket(`${fake.url.replace('http', 'ws')}/callcontrol/ws`, {
      headers: { Authorization: `Bearer ${await token()}` },
    });
    await new Promise((resolve) => ws.once('open', resolve));
    const message = new Promise<string>((resolve) =>
      ws.once('message', (d: WebSocket.RawData) => resolve(d.toString())),
    );
    const p = fake.addParticipant('101', { callid: 42 });
    const parsed = JSON.parse(await message) as {
      sequence: number;
      event: { event_type: number; entity: string };
    };
    expect(parsed).toMatchObject({
      sequence: expect.any(Number),
      event: { event_type: 0, entity: `/callcontrol/101/participants/${p.id}` },
    });
    ws.close();
  });
});
