import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, AppConfig } from '../config/configuration';
import { secretsEqual } from './keys';

/** Bearer ADMIN_TOKEN, compared in constant time. With no token configured the admin API is closed. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.adminToken;
    if (!expected) {
      throw new ServiceUnavailableException(
        'The admin API is disabled: set ADMIN_TOKEN to enable it',
      );
    }
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !secretsEqual(match[1].trim(), expected)) {
      throw new UnauthorizedException('Authorization: Bearer <ADMIN_TOKEN> is missing or wrong');
    }
    return true;
  }
}
