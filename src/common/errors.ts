import {
  ArgumentsHost,
  BadRequestException,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import type { Response } from 'express';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Driver error codes meaning "the database is not there", as opposed to a bad statement. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_QUERY_INTERRUPTED',
  'POOL_CLOSED',
]);

export function isStorageUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; driverError?: { code?: unknown }; message?: unknown };
  const code = e.driverError?.code ?? e.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  return (
    typeof e.message === 'string' &&
    /connect ECONNREFUSED|Connection lost|Pool is closed/i.test(e.message)
  );
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

export function errorBody(statusCode: number, message: string): ErrorBody {
  return { statusCode, error: STATUS_TEXT[statusCode] ?? 'Error', message };
}

/**
 * Every error leaves as `{ statusCode, error, message }`. Storage outages become 503 so clients retry;
 * anything unexpected is logged and answered 500 without details.
 */
@Catch()
export class JsonErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    let status: number;
    let message: string;
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const body = exception.getResponse();
      if (typeof body === 'string') message = body;
      else {
        const m = (body as { message?: unknown }).message;
        message = Array.isArray(m) ? m.join('; ') : typeof m === 'string' ? m : exception.message;
      }
      const headers = (exception as HttpException & { headers?: Record<string, string> }).headers;
      if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    } else if (isStorageUnavailable(exception)) {
      status = HttpStatus.SERVICE_UNAVAILABLE;
      message = 'Storage is unavailable; nothing was stored, retry later';
      this.logger.error({ err: exception }, 'storage unavailable');
    } else {
      status = HttpStatus.INTERNAL_SERVER_ERROR;
      message = 'Internal server error';
      this.logger.error({ err: exception }, 'unhandled error');
    }
    if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="tracking"');
    const own = exception instanceof HttpException ? exception.getResponse() : null;
    // Bodies already in our shape may carry more (health checks); keep them whole.
    if (
      own &&
      typeof own === 'object' &&
      typeof (own as ErrorBody).message === 'string' &&
      'error' in own
    ) {
      res.status(status).json({ ...own, statusCode: status });
      return;
    }
    res.status(status).json(errorBody(status, message));
  }
}

/** An HttpException that carries response headers (Retry-After, ...). */
export class HttpErrorWithHeaders extends HttpException {
  constructor(
    status: number,
    message: string,
    readonly headers: Record<string, string>,
  ) {
    super(errorBody(status, message), status);
  }
}

function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) =>
      m.startsWith(e.property) ? `${path}${m.slice(e.property.length)}` : `${path}: ${m}`,
    );
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/** DTO validation whose 400 message names every offending field. */
export const validationPipe = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => new BadRequestException(flatten(errors).join('; ')),
});
