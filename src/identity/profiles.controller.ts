import {
  BadRequestException,
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  Query,
  UseGuards,
} from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { PROFILE_DETAIL_PARTS } from '../app.pipeline';
import { AdminGuard } from '../common/admin.guard';
import { APP_CONFIG, type AppConfig } from '../config/configuration';
import { FindProfileQueryDto, ProfileResponseDto } from './dto/profile.dto';
import { IDENTITY_TYPES, type ProfileView } from './profile-view';
import { GetProfileQuery } from './queries/get-profile.query';
import { COOKIELESS, isIdentityType, normalizeIdentity } from './resolution/identities';

@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/profiles')
export class ProfilesController {
  constructor(
    private readonly queries: QueryBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The profile holding an identity' })
  @ApiOkResponse({ type: ProfileResponseDto })
  @ApiBadRequestResponse({
    description: 'identity is not TYPE:VALUE with a known TYPE and a valid value',
  })
  @ApiNotFoundResponse({ description: 'no profile holds this identity' })
  async find(@Query() q: FindProfileQueryDto) {
    const identity = this.parseIdentity(q.identity);
    const profile = await this.queries.execute(new GetProfileQuery({ identity }));
    if (!profile)
      throw new NotFoundException(`no profile with identity ${identity.type}:${identity.value}`);
    return this.withParts(profile);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A profile; a merged-away id answers with the surviving profile' })
  @ApiOkResponse({ type: ProfileResponseDto })
  @ApiNotFoundResponse({ description: 'unknown profile id' })
  async get(@Param('id') id: string) {
    const profile =
      id.length <= 36 ? await this.queries.execute(new GetProfileQuery({ id })) : null;
    if (!profile) throw new NotFoundException(`profile ${id} not found`);
    return this.withParts(profile);
  }

  private parseIdentity(raw: string): { type: string; value: string } {
    const colon = raw.indexOf(':');
    const type = colon > 0 ? raw.slice(0, colon) : '';
    const value = colon > 0 ? raw.slice(colon + 1) : '';
    if (!type || !value.trim()) {
      throw new BadRequestException(
        `identity must be TYPE:VALUE with TYPE one of ${IDENTITY_TYPES.join(', ')}`,
      );
    }
    if (!isIdentityType(type)) {
      throw new BadRequestException(
        `identity type must be one of ${IDENTITY_TYPES.join(', ')} (got "${type.slice(0, 40)}")`,
      );
    }
    const normalized = normalizeIdentity(type, value, this.config.defaultPhoneRegion);
    if (normalized === null) {
      const why =
        value.trim().toLowerCase() === COOKIELESS
          ? `"${COOKIELESS}" is a placeholder, never an identity`
          : `the value is not a valid ${type}`;
      throw new BadRequestException(`identity: ${why}`);
    }
    return { type, value: normalized };
  }

  /** Fields other modules add (accounts), as GET /admin/events/{id} does with its parts. */
  private async withParts(profile: ProfileView) {
    const parts = await Promise.all(
      PROFILE_DETAIL_PARTS.map(
        async (p) => [p.field, await this.queries.execute(p.query(profile.id))] as const,
      ),
    );
    return { ...profile, accounts: [], ...Object.fromEntries(parts) };
  }
}
