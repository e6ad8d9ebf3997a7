/** Ad platforms' click ids, as they appear in landing-page URLs. */
export const CLICK_ID_PARAMS = [
  'gclid',
  'gbraid',
  'wbraid',
  'fbclid',
  'ttclid',
  'msclkid',
  'li_fat_id',
] as const;
export type ClickIdParam = (typeof CLICK_ID_PARAMS)[number];

const UTM_PARAMS: Record<string, string> = {
  utm_source: 'source',
  utm_medium: 'medium',
  utm_campaign: 'name',
  utm_term: 'term',
  utm_content: 'content',
  utm_id: 'id',
};

export interface UrlAttribution {
  /** Segment's `context.campaign` shape: utm_campaign is `name`, the others lose their prefix. */
  campaign: Record<string, string>;
  clickIds: Partial<Record<ClickIdParam, string>>;
}

/**
 * Reads utm_* and click ids from a page URL. Values are taken as URLSearchParams decodes them once:
 * Meta requires the fbclid exactly as it stood in the landing URL, never lowercased or decoded twice.
 */
export function attributionFromUrl(url: unknown): UrlAttribution {
  const out: UrlAttribution = { campaign: {}, clickIds: {} };
  if (typeof url !== 'string' || url.length === 0 || url.length > 8192) return out;
  let params: URLSearchParams;
  try {
    params = new URL(url, 'http://relative.invalid').searchParams;
  } catch {
    return out;
  }
  for (const [param, key] of Object.entries(UTM_PARAMS)) {
    const v = params.get(param);
    if (v) out.campaign[key] = v.slice(0, 500);
  }
  for (const param of CLICK_ID_PARAMS) {
    const v = params.get(param);
    if (v) out.clickIds[param] = v.slice(0, 500);
  }
  return out;
}
