import { Injectable, NestMiddleware } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { NextFunction, Request, Response } from 'express';
import { errorBody } from '../../common/errors';
import { AuthenticateSourceQuery } from '../../sources/queries/authenticate-source.query';
import type { SourceView } from '../../sources/source-view';

/** The routes named by a public key in the path; the key is the segment after the prefix. */
const PUBLIC_KEY_IN_PATH = /^\/(?:e|web\/projects)\/([^/?#]+)/;

/** Routes this middleware is applied to (Nest `forRoutes` syntax). */
export const PUBLIC_ROUTES = ['e/*publicKey', 'web/projects/*rest'];

const ALLOWED_METHODS = 'POST, OPTIONS';
const DEFAULT_ALLOWED_HEADERS = 'Content-Type';
/** Request headers a preflight may ask for: header names only, nothing else echoed back. */
const HEADER_LIST = /^[A-Za-z0-9-]+(?:\s*,\s*[A-Za-z0-9-]+)*$/;
const PREFLIGHT_MAX_AGE_S = 600;

export function publicKeyFromPath(path: string): string | null {
  const m = PUBLIC_KEY_IN_PATH.exec(path);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

export function originAllowed(source: SourceView, origin: string): boolean {
  const allowed = source.allowedOrigins;
  return allowed.length === 0 || allowed.includes('*') || allowed.includes(origin);
}

/**
 * CORS of the public routes, per source: a browser may call them from the source's allowed origins
 * (any origin when the source lists none). Allowed origins are echoed with credentials allowed, so
 * the visitor cookie travels with `fetch(..., { credentials: 'include' })`. A request from another
 * origin is refused with 403 before anything is stored: `text/plain` posts and beacons are sent
 * without a preflight, so CORS headers alone would not keep them out. Requests without an Origin
 * (servers forwarding visitors, as Zenovay's guide shows) are not CORS and pass untouched.
 */
@Injectable()
export class PublicCorsMiddleware implements NestMiddleware {
  constructor(private readonly queries: QueryBus) {}

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS';
    if (!origin && !preflight) return next();
    res.vary('Origin');
    const publicKey = publicKeyFromPath(req.originalUrl);
    let source: SourceView | null = null;
    try {
      source =
        publicKey && publicKey.length <= 64
          ? await this.queries.execute(new AuthenticateSourceQuery({ publicKey }))
          : null;
    } catch (err) {
      return next(err);
    }
    if (!source) {
      // The route answers 404 itself; a preflight for an unknown key gets it here.
      if (preflight) {
        res
          .status(404)
          .json(errorBody(404, `unknown public key "${(publicKey ?? '').slice(0, 64)}"`));
        return;
      }
      return next();
    }
    if (origin) {
      if (!originAllowed(source, origin)) {
        res
          .status(403)
          .json(errorBody(403, `origin ${origin.slice(0, 200)} is not allowed for this source`));
        return;
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (!preflight) return next();
    const requested = req.headers['access-control-request-headers'];
    res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
    res.setHeader(
      'Access-Control-Allow-Headers',
      typeof requested === 'string' && HEADER_LIST.test(requested.trim())
        ? requested.trim()
        : DEFAULT_ALLOWED_HEADERS,
    );
    res.setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_S));
    res.status(204).end();
  }
}
