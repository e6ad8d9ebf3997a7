import { Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AppConfig } from '../../config/configuration';
import type { SourceView } from '../../sources/source-view';
import type { PublicRedis } from './public-redis';
import { VisitorIds, visitorIdFromUrl } from './visitor-id';

const ID = '0b7f3c2e-8d1a-4f5b-9c3d-2e1f0a9b8c7d';
const config = { redisPrefix: 'tk' } as AppConfig;
const cookieless: SourceView = {
  id: 's1',
  name: 'site',
  publicKey: 'pk',
  allowedOrigins: [],
  cookieless: true,
  cookieDomain: null,
  createdAt: new Date(0).toISOString(),
};
const req = (ip: string, ua: string) =>
  ({ ip, headers: { 'user-agent': ua }, secure: false }) as unknown as Request;
const res = { cookie: jest.fn() } as unknown as Response;

describe('visitorIdFromUrl', () => {
  it('reads a UUID from ?tk_aid= of absolute and relative urls', () => {
    expect(visitorIdFromUrl(`https://b.example/landing?x=1&tk_aid=${ID}`)).toBe(ID);
    expect(visitorIdFromUrl(`/landing?tk_aid=${ID.toUpperCase()}`)).toBe(ID);
  });
  it('ignores anything else', () => {
    expect(visitorIdFromUrl('https://b.example/landing')).toBeNull();
    expect(visitorIdFromUrl('https://b.example/?tk_aid=admin')).toBeNull();
    expect(visitorIdFromUrl('https://b.example/?tk_aid=')).toBeNull();
  });
});

describe('VisitorIds cookieless salt', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));

  it('shares the day salt through Redis (SET NX, then GET) and caches it for the day', async () => {
    const store = new Map<string, string>();
    const client = {
      set: jest.fn(async (k: string, v: string) => {
        if (!store.has(k)) store.set(k, v);
        return 'OK';
      }),
      get: jest.fn(async (k: string) => store.get(k) ?? null),
    };
    const a = new VisitorIds({ client } as unknown as PublicRedis, config);
    const b = new VisitorIds({ client } as unknown as PublicRedis, config);
    const idA = await a.resolve(req('8.8.8.8', 'UA'), res, cookieless, '/');
    const idB = await b.resolve(req('8.8.8.8', 'UA'), res, cookieless, '/');
    expect(idA).toEqual({
      anonymousId: expect.stringMatching(/^[0-9a-f]{32}$/),
      source: 'cookieless-hash',
    });
    expect(idB.anonymousId).toBe(idA.anonymousId); // two processes, one salt
    expect(client.set.mock.calls[0]).toEqual([
      `cookieless-salt:${new Date().toISOString().slice(0, 10)}`,
      expect.stringMatching(/^[0-9a-f]{64}$/),
      'EX',
      172800,
      'NX',
    ]);
    await a.resolve(req('8.8.4.4', 'UA'), res, cookieless, '/');
    expect(client.get).toHaveBeenCalledTimes(2); // once per process and day
    expect(res.cookie).not.toHaveBeenCalled();
  });

  it('falls back to a process-local salt when Redis fails, and stays stable meanwhile', async () => {
    const client = {
      set: jest.fn().mockRejectedValue(new Error("Stream isn't writeable")),
      get: jest.fn(),
    };
    const ids = new VisitorIds({ client } as unknown as PublicRedis, config);
    const first = await ids.resolve(req('8.8.8.8', 'UA'), res, cookieless, '/');
    const again = await ids.resolve(req('8.8.8.8', 'UA'), res, cookieless, '/');
    expect(first.anonymousId).toMatch(/^[0-9a-f]{32}$/);
    expect(again.anonymousId).toBe(first.anonymousId);
    expect(client.set).toHaveBeenCalledTimes(1); // not retried on every request
  });
});
