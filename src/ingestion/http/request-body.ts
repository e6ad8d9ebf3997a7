import {
  BadRequestException,
  PayloadTooLargeException,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';
import type { ClientInfo } from '../enrichment/enricher';
import type { JsonObject } from '../message/canonical-message';

const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Ingestion routes get the body as raw bytes (see main.ts), so that `text/plain` beacons, JSON with
 * the wrong content type and the size limits are all answered here with our own error bodies.
 */
export function readJsonObject(req: Request, maxBytes?: number, what = 'body'): JsonObject {
  const raw: unknown = req.body;
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(typeof raw === 'string' ? raw : '');
  if (maxBytes !== undefined && buf.length > maxBytes) {
    throw new PayloadTooLargeException(
      `${what} is ${Math.ceil(buf.length / 1024)} KB; the limit is ${maxBytes / 1024} KB`,
    );
  }
  if (buf.length === 0) throw new BadRequestException('body is empty: expected a JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8'));
  } catch {
    throw new BadRequestException('body is not valid JSON');
  }
  if (!isObject(parsed)) throw new BadRequestException('body must be a JSON object');
  return parsed;
}

/** The write key from HTTP Basic (username, empty password) or, as Segment allows, the body. */
export function writeKeyOf(req: Request, body: JsonObject): string {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
    if (m) {
      const decoded = Buffer.from(m[1], 'base64').toString('utf8');
      const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
      if (user) return user;
    }
  }
  if (typeof body.writeKey === 'string' && body.writeKey) return body.writeKey;
  throw new UnauthorizedException(
    'write key missing: send it as the HTTP Basic username (empty password) or as writeKey in the body',
  );
}

/** The write key is a secret: it must not be stored with the payload. */
export function withoutWriteKey<T extends JsonObject>(body: T): T {
  if (!('writeKey' in body)) return body;
  const { writeKey: _omit, ...rest } = body;
  return rest as T;
}

export function clientOf(req: Request): ClientInfo {
  const ua = req.headers['user-agent'];
  // Express reports IPv4 callers on a dual-stack socket as ::ffff:a.b.c.d; platforms want a.b.c.d.
  const ip = req.ip ? req.ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1') : null;
  return { ip, userAgent: typeof ua === 'string' && ua.trim() ? ua : null };
}

export function optionalObject(body: JsonObject, field: string): JsonObject | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new BadRequestException(`${field} must be an object`);
  return v;
}
