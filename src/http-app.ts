import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { json, raw } from 'express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { errorBody, JsonErrorFilter, validationPipe } from './common/errors';
import type { AppConfig } from './config/configuration';
import { MAX_BATCH_BYTES } from './ingestion/message/normalize-message';

/** Routes that read their body as raw bytes and parse it themselves (any content type, own limits). */
export const INGESTION_PATHS = ['/v1', '/batch', '/accounts/batch', '/web/projects', '/e'];

/** Wraps a body parser so that its errors (too large, bad JSON) get our JSON error body. */
function parsing(parser: RequestHandler, limitText: string): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) =>
    parser(req, res, (err?: unknown) => {
      if (!err) return next();
      const e = err as { status?: number; type?: string };
      const status = e.status === 413 || e.type === 'entity.too.large' ? 413 : 400;
      const message =
        status === 413
          ? `body exceeds the ${limitText} limit`
          : e.type === 'entity.parse.failed'
            ? 'body is not valid JSON'
            : 'body could not be read';
      res.status(status).json(errorBody(status, message));
    });
}

export async function createHttpApp(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  // Slightly above 500 KB so the batch route can name the limit itself.
  app.use(
    INGESTION_PATHS,
    parsing(raw({ type: () => true, limit: MAX_BATCH_BYTES + 1024 }), '500 KB'),
  );
  app.use(parsing(json({ limit: '1mb' }), '1 MB'));
  app.useGlobalFilters(new JsonErrorFilter());
  app.useGlobalPipes(validationPipe);
  app.enableShutdownHooks();

  const doc = new DocumentBuilder()
    .setTitle('Tracking service')
    .setDescription(
      'Self-hosted server-side tracking: Segment-, Koala- and Zenovay-compatible ingestion, identity resolution, and delivery to ad platforms.',
    )
    .setVersion(process.env.npm_package_version ?? '0.1.0')
    .addBasicAuth()
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), {
    jsonDocumentUrl: 'docs-json',
  });
  return app;
}
