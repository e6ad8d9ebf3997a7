import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MESSAGE_TYPES } from '../../ingestion/message/canonical-message';
import type { DestinationConfig } from '../destination-types';
import type {
  BuildResult,
  DestinationAdapter,
  HttpResponse,
  Outcome,
  OutgoingRequest,
} from './adapter';
import { classifyHttp, str } from './common';

function serviceVersion(): string {
  try {
    // src/destinations/adapters and dist/destinations/adapters are both three levels below the root.
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const USER_AGENT = `tracking-service/${serviceVersion()} (+webhook)`;

export const signature = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/**
 * Our own webhook: the event exactly as `GET /admin/events/{id}` shows it, one per request, signed
 * with the destination's secret so the receiver can check where it came from.
 */
export const webhookAdapter: DestinationAdapter = {
  type: 'webhook',
  settings: [
    { name: 'url', kind: 'url', required: true },
    { name: 'secret', kind: 'string', required: true, secret: true },
  ],
  types: MESSAGE_TYPES,
  windowMs: null,
  defaultMapping: {},

  build(inputs, dest: DestinationConfig): BuildResult {
    const url = str(dest.settings.url) as string;
    const secret = str(dest.settings.secret) as string;
    const requests: OutgoingRequest[] = inputs.map(({ event }) => {
      const body = JSON.stringify(event);
      return {
        method: 'POST',
        url,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': USER_AGENT,
          'X-Signature': signature(secret, body),
          'Idempotency-Key': event.id,
        },
        body,
        eventIds: [event.id],
        parts: [event],
      };
    });
    return { requests, skipped: [] };
  },

  classify(res: HttpResponse): Outcome {
    return classifyHttp(res);
  },
};
