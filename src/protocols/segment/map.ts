import { badRequest } from '../../server/errors.js';
import type { ProtocolItem } from '../record.js';
import { asRecord, defined, eventId, isoTime, num, text, toParams, type Json } from '../values.js';

/** The message types of the Segment spec (https://segment.com/docs/connections/spec/). */
export const SEGMENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

export function isSegmentType(value: unknown): value is SegmentType {
  return typeof value === 'string' && (SEGMENT_TYPES as readonly string[]).includes(value);
}

/**
 * One Segment message → a Gatehouse event. `context` of a batch applies to messages that carry none.
 * `trust` says the sender is an authenticated server, so context.ip and context.userAgent are believed.
 */
export function mapSegmentMessage(message: Json, type: SegmentType, options: { trust: boolean; batchContext?: Json }): ProtocolItem {
  const context = asRecord(message.context) ?? options.batchContext ?? {};
  const page = asRecord(context.page);
  const campaign = asRecord(context.campaign);
  const app = asRecord(context.app);
  const device = asRecord(context.device);
  const properties = asRecord(message.properties);
  const traits = asRecord(message.traits);
  const params = toParams(type === 'identify' || type === 'group' ? traits : properties);
  if (type === 'group' && text(message.groupId)) params.groupId = text(message.groupId) as string;
  if (type === 'alias' && text(message.previousId)) params.previousId = text(message.previousId) as string;
  if ((type === 'page' || type === 'screen') && text(message.category)) params.category = text(message.category) as string;

  const userId = text(message.userId);
  const anonymousId = text(message.anonymousId);
  if (!userId && !anonymousId) {
    throw badRequest('INVALID_EVENT', `a ${type} message needs a userId or an anonymousId`);
  }
  if (type === 'track' && !text(message.event)) throw badRequest('INVALID_EVENT', 'a track message needs an "event" name');

  const fields = defined({
    eid: eventId(message.messageId),
    ename: type === 'track' ? text(message.event) : (type === 'page' || type === 'screen' ? text(message.name) : undefined) ?? type,
    etyp: type,
    uid: userId,
    vid: anonymousId,
    url: text(page?.url) ?? (type === 'page' ? text(properties?.url) : undefined),
    campaign: text(campaign?.name),
    source: text(campaign?.source),
    medium: text(campaign?.medium),
    term: text(campaign?.term),
    content: text(campaign?.content),
    created: isoTime(message.timestamp ?? message.originalTimestamp),
    app: text(app?.name),
    rel: text(app?.version),
    did: text(device?.id),
    tz: text(context.timezone),
    w: num(asRecord(context.screen)?.width),
    h: num(asRecord(context.screen)?.height),
    params: Object.keys(params).length > 0 ? params : undefined,
  });
  const referrer = text(page?.referrer) ?? (type === 'page' ? text(properties?.referrer) : undefined);
  return {
    fields,
    raw: message,
    ...(options.trust ? { trusted: defined({ ip: text(context.ip), userAgent: text(context.userAgent) }) } : {}),
    ...(referrer ? { referrer } : {}),
  };
}
