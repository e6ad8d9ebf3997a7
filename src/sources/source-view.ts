import type { SourceSettings } from './entities/source.entity';

/** A source as other modules and the admin API see it: never the write key or its hash. */
export interface SourceView {
  id: string;
  name: string;
  publicKey: string;
  allowedOrigins: string[];
  cookieless: boolean;
  cookieDomain: string | null;
  createdAt: string;
}

export function toSourceView(s: {
  id: string;
  name: string;
  publicKey: string;
  settings: SourceSettings;
  createdAt: Date;
}): SourceView {
  return {
    id: s.id,
    name: s.name,
    publicKey: s.publicKey,
    allowedOrigins: s.settings.allowedOrigins ?? [],
    cookieless: s.settings.cookieless ?? false,
    cookieDomain: s.settings.cookieDomain ?? null,
    createdAt: s.createdAt.toISOString(),
  };
}
