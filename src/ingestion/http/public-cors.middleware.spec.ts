import type { QueryBus } from '@nestjs/cqrs';
import type { NextFunction, Request, Response } from 'express';
import type { SourceView } from '../../sources/source-view';
import { originAllowed, PublicCorsMiddleware, publicKeyFromPath } from './public-cors.middleware';

const source = (allowedOrigins: string[]): SourceView => ({
  id: 's1',
  name: 'site',
  publicKey: 'pk_1',
  allowedOrigins,
  cookieless: false,
  cookieDomain: null,
  createdAt: new Date(0).toISOString(),
});

function fakeResponse() {
  const headers: Record<string, string> = {};
  const res = {
    statusCode: 200,
    body: undefined as unknown,
    ended: false,
    setHeader: (k: string, v: string) => {
      headers[k.toLowerCase()] = v;
    },
    vary: (v: string) => {
      headers.vary = v;
    },
    status(code: number) {
      this.statusCode = code;
      return this;
    },
    json(body: unknown) {
      this.body = body;
      this.ended = true;
    },
    end() {
      this.ended = true;
    },
  };
  return { res, headers };
}

async function run(found: SourceView | null, req: Partial<Request>) {
  const queries = { execute: jest.fn().mockResolvedValue(found) } as unknown as QueryBus;
  const { res, headers } = fakeResponse();
  const next = jest.fn() as unknown as NextFunction;
  await new PublicCorsMiddleware(queries).use(
    { headers: {}, method: 'POST', originalUrl: '/e/pk_1', ...req } as Request,
    res as unknown as Response,
    next,
  );
  return {
    res,
    headers,
    next: next as unknown as jest.Mock,
    queries: queries.execute as jest.Mock,
  };
}

describe('publicKeyFromPath', () => {
  it('finds the key of both public route families', () => {
    expect(publicKeyFromPath('/e/pk_abc')).toBe('pk_abc');
    expect(publicKeyFromPath('/e/pk_abc?x=1')).toBe('pk_abc');
    expect(publicKeyFromPath('/web/projects/pk_abc/batch')).toBe('pk_abc');
    expect(publicKeyFromPath('/web/projects/pk_abc/accounts/batch')).toBe('pk_abc');
    expect(publicKeyFromPath('/v1/batch')).toBeNull();
    expect(publicKeyFromPath('/e/%E0%A4%A')).toBeNull();
  });
});

describe('originAllowed', () => {
  it('allows every origin when none is configured, or *', () => {
    expect(originAllowed(source([]), 'https://any.example')).toBe(true);
    expect(originAllowed(source(['*']), 'https://any.example')).toBe(true);
  });
  it('otherwise only exact origins', () => {
    const s = source(['https://shop.example']);
    expect(originAllowed(s, 'https://shop.example')).toBe(true);
    expect(originAllowed(s, 'http://shop.example')).toBe(false);
    expect(originAllowed(s, 'https://shop.example.evil.com')).toBe(false);
  });
});

describe('PublicCorsMiddleware', () => {
  it('lets requests without Origin through untouched, without a lookup', async () => {
    const r = await run(source(['https://shop.example']), {});
    expect(r.next).toHaveBeenCalledWith();
    expect(r.queries).not.toHaveBeenCalled();
    expect(r.headers).toEqual({});
  });

  it('echoes an allowed origin with credentials and continues to the route', async () => {
    const r = await run(source(['https://shop.example']), {
      headers: { origin: 'https://shop.example' },
    });
    expect(r.next).toHaveBeenCalledWith();
    expect(r.headers).toMatchObject({
      'access-control-allow-origin': 'https://shop.example',
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
  });

  it('refuses another origin with 403 before the route runs', async () => {
    const r = await run(source(['https://shop.example']), {
      headers: { origin: 'https://evil.example' },
    });
    expect(r.next).not.toHaveBeenCalled();
    expect(r.res.statusCode).toBe(403);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a preflight with 204, methods and only well-formed requested headers', async () => {
    const ok = await run(source([]), {
      method: 'OPTIONS',
      headers: {
        origin: 'https://a.example',
        'access-control-request-headers': 'content-type, x-custom',
      },
    });
    expect(ok.next).not.toHaveBeenCalled();
    expect(ok.res.statusCode).toBe(204);
    expect(ok.headers).toMatchObject({
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'content-type, x-custom',
      'access-control-max-age': '600',
    });
    const odd = await run(source([]), {
      method: 'OPTIONS',
      headers: {
        origin: 'https://a.example',
        'access-control-request-headers': 'x\r\nSet-Cookie: a=b',
      },
    });
    expect(odd.headers['access-control-allow-headers']).toBe('Content-Type');
  });

  it('leaves an unknown key to the route (404), but answers its preflight 404 itself', async () => {
    const post = await run(null, { headers: { origin: 'https://a.example' } });
    expect(post.next).toHaveBeenCalledWith();
    const preflight = await run(null, {
      method: 'OPTIONS',
      headers: { origin: 'https://a.example' },
    });
    expect(preflight.res.statusCode).toBe(404);
  });
});
