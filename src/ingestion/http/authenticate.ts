import { NotFoundException, UnauthorizedException } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { Request } from 'express';
import { AuthenticateSourceQuery } from '../../sources/queries/authenticate-source.query';
import type { SourceView } from '../../sources/source-view';
import type { JsonObject } from '../message/canonical-message';
import { writeKeyOf } from './request-body';

export async function sourceByWriteKey(
  queries: QueryBus,
  req: Request,
  body: JsonObject,
): Promise<SourceView> {
  const source = await queries.execute(
    new AuthenticateSourceQuery({ writeKey: writeKeyOf(req, body) }),
  );
  if (!source) throw new UnauthorizedException('unknown write key');
  return source;
}

/** Browser routes name the source by its publishable key in the path; unknown is 404. */
export async function sourceByPublicKey(queries: QueryBus, publicKey: string): Promise<SourceView> {
  const source =
    publicKey.length <= 64
      ? await queries.execute(new AuthenticateSourceQuery({ publicKey }))
      : null;
  if (!source) throw new NotFoundException(`unknown public key "${publicKey.slice(0, 64)}"`);
  return source;
}
