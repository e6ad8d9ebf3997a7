import type { DestinationType } from '../destination-types';
import type { DestinationAdapter } from './adapter';
import { ga4Adapter } from './ga4.adapter';
import { googleAdsAdapter } from './google-ads.adapter';
import { metaCapiAdapter } from './meta-capi.adapter';
import { tiktokAdapter } from './tiktok.adapter';
import { webhookAdapter } from './webhook.adapter';

export const ADAPTERS: Record<DestinationType, DestinationAdapter> = {
  webhook: webhookAdapter,
  meta_capi: metaCapiAdapter,
  tiktok: tiktokAdapter,
  ga4: ga4Adapter,
  google_ads: googleAdsAdapter,
};

export const adapterFor = (type: DestinationType): DestinationAdapter => ADAPTERS[type];
