/**
 * What GA4's validation server (`/debug/mp/collect`) answers: the problems of a Measurement Protocol body as
 * `validationMessages`, each with the field's path, a description and a ValidationCode, checked against
 * Google's documented limits (https://developers.google.com/analytics/devguides/collection/protocol/ga4/validating-events,
 * https://support.google.com/analytics/answer/9267744). An empty list means the body is valid.
 */
export type ValidationCode =
  | 'VALUE_INVALID'
  | 'VALUE_REQUIRED'
  | 'NAME_INVALID'
  | 'NAME_RESERVED'
  | 'VALUE_OUT_OF_BOUNDS'
  | 'EXCEEDED_MAX_ENTITIES'
  | 'NAME_DUPLICATED';

export interface ValidationMessage {
  readonly fieldPath: string;
  readonly description: string;
  readonly validationCode: ValidationCode;
}

const MAX_EVENTS = 25;
const MAX_PARAMS = 25;
const MAX_USER_PROPERTIES = 25;
const MAX_NAME = 40;
const MAX_USER_PROPERTY_NAME = 24;
const MAX_USER_PROPERTY_VALUE = 36;
const MAX_PARAM_VALUE = 100;
// Page parameters Google allows longer values for.
const LONG_PARAMS: Readonly<Record<string, number>> = { page_location: 1000, page_referrer: 420, page_title: 300 };
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const RESERVED_PREFIXES = ['_', 'google_', 'ga_', 'firebase_'];
const RESERVED_EVENTS = new Set([
  'ad_activeview', 'ad_click', 'ad_exposure', 'ad_impression', 'ad_query', 'ad_reward', 'adunit_exposure', 'app_background',
  'app_clear_data', 'app_exception', 'app_remove', 'app_store_refund', 'app_store_subscription_cancel',
  'app_store_subscription_convert', 'app_store_subscription_renew', 'app_uninstall', 'app_update', 'app_upgrade',
  'dynamic_link_app_open', 'dynamic_link_app_update', 'dynamic_link_first_open', 'error', 'firebase_campaign',
  'firebase_in_app_message_action', 'firebase_in_app_message_dismiss', 'firebase_in_app_message_impression', 'first_open',
  'first_visit', 'in_app_purchase', 'notification_dismiss', 'notification_foreground', 'notification_open',
  'notification_receive', 'notification_send', 'os_update', 'screen_view', 'session_start', 'user_engagement',
]);
const RESERVED_USER_PROPERTIES = new Set(['first_open_time', 'first_visit_time', 'last_deep_link_referrer', 'user_id', 'first_open_after_install']);

type Push = (fieldPath: string, description: string, validationCode: ValidationCode) => void;

/** A body that could not be decoded (malformed JSON, bad gzip) is reported as one message, as Google does. */
export function unreadableBody(reason: string): ValidationMessage[] {
  return [{ fieldPath: '', description: `The request body cannot be read: ${reason}.`, validationCode: 'VALUE_INVALID' }];
}

export function validateGa4Body(body: unknown): ValidationMessage[] {
  const messages: ValidationMessage[] = [];
  const push: Push = (fieldPath, description, validationCode) => messages.push({ fieldPath, description, validationCode });
  if (!isObject(body)) {
    push('', 'The request body must be a JSON object.', 'VALUE_INVALID');
    return messages;
  }
  if (!nonEmptyString(body.client_id) && !nonEmptyString(body.app_instance_id)) {
    push('client_id', 'Measurement requires a client_id (or, for apps, an app_instance_id).', 'VALUE_REQUIRED');
  }
  if (body.user_id !== undefined && !nonEmptyString(body.user_id)) push('user_id', 'user_id must be a non-empty string.', 'VALUE_INVALID');
  if (body.timestamp_micros !== undefined && !/^\d+$/.test(String(body.timestamp_micros))) {
    push('timestamp_micros', 'timestamp_micros must be an integer number of microseconds.', 'VALUE_INVALID');
  }
  validateUserProperties(body.user_properties, push);
  const events = body.events;
  if (!Array.isArray(events) || events.length === 0) {
    push('events', 'Measurement requires at least one event.', 'VALUE_REQUIRED');
    return messages;
  }
  if (events.length > MAX_EVENTS) push('events', `A request may hold at most ${MAX_EVENTS} events; it holds ${events.length}.`, 'EXCEEDED_MAX_ENTITIES');
  events.forEach((event, i) => validateEvent(event, i, push));
  return messages;
}

function validateEvent(event: unknown, i: number, push: Push): void {
  if (!isObject(event)) return push('events', `Event at index: [${i}] must be an object.`, 'VALUE_INVALID');
  const name = event.name;
  if (!nonEmptyString(name)) return push('events', `Event at index: [${i}] has no name.`, 'VALUE_REQUIRED');
  if (name.length > MAX_NAME) push('events', `Event at index: [${i}] has name [${name}] longer than ${MAX_NAME} characters.`, 'VALUE_OUT_OF_BOUNDS');
  if (!NAME.test(name)) {
    push('events', `Event at index: [${i}] has invalid name [${name}]. Names must start with an alphabetic character and hold only letters, digits and underscores.`, 'NAME_INVALID');
  } else if (RESERVED_EVENTS.has(name) || reservedPrefix(name)) {
    push('events', `Event at index: [${i}] has name [${name}], which is reserved.`, 'NAME_RESERVED');
  }
  if (event.params === undefined) return;
  if (!isObject(event.params)) return push(`events[${i}].params`, 'params must be an object.', 'VALUE_INVALID');
  const params = Object.entries(event.params);
  if (params.length > MAX_PARAMS) push(`events[${i}].params`, `An event may hold at most ${MAX_PARAMS} params; it holds ${params.length}.`, 'EXCEEDED_MAX_ENTITIES');
  for (const [key, value] of params) {
    const path = `events[${i}].params.${key}`;
    if (key.length > MAX_NAME) push(path, `Param name [${key}] is longer than ${MAX_NAME} characters.`, 'VALUE_OUT_OF_BOUNDS');
    if (!NAME.test(key)) push(path, `Param name [${key}] is invalid. Names must start with an alphabetic character.`, 'NAME_INVALID');
    else if (reservedPrefix(key) || key === 'firebase_conversion') push(path, `Param name [${key}] is reserved.`, 'NAME_RESERVED');
    const max = LONG_PARAMS[key] ?? MAX_PARAM_VALUE;
    if (typeof value === 'string' && value.length > max) push(path, `Param [${key}] has a value longer than ${max} characters.`, 'VALUE_OUT_OF_BOUNDS');
    if (key !== 'items' && typeof value === 'object' && value !== null) push(path, `Param [${key}] must be a string, number or boolean.`, 'VALUE_INVALID');
  }
}

function validateUserProperties(value: unknown, push: Push): void {
  if (value === undefined) return;
  if (!isObject(value)) return push('user_properties', 'user_properties must be an object.', 'VALUE_INVALID');
  const entries = Object.entries(value);
  if (entries.length > MAX_USER_PROPERTIES) {
    push('user_properties', `At most ${MAX_USER_PROPERTIES} user properties; there are ${entries.length}.`, 'EXCEEDED_MAX_ENTITIES');
  }
  for (const [name, entry] of entries) {
    const path = `user_properties.${name}`;
    if (name.length > MAX_USER_PROPERTY_NAME) push(path, `User property name [${name}] is longer than ${MAX_USER_PROPERTY_NAME} characters.`, 'VALUE_OUT_OF_BOUNDS');
    if (!NAME.test(name)) push(path, `User property name [${name}] is invalid. Names must start with an alphabetic character.`, 'NAME_INVALID');
    else if (RESERVED_USER_PROPERTIES.has(name) || reservedPrefix(name)) push(path, `User property name [${name}] is reserved.`, 'NAME_RESERVED');
    if (!isObject(entry) || !('value' in entry)) push(`${path}.value`, 'A user property needs a "value".', 'VALUE_REQUIRED');
    else if (typeof entry.value === 'string' && entry.value.length > MAX_USER_PROPERTY_VALUE) {
      push(`${path}.value`, `User property value is longer than ${MAX_USER_PROPERTY_VALUE} characters.`, 'VALUE_OUT_OF_BOUNDS');
    }
  }
}

function reservedPrefix(name: string): boolean {
  return RESERVED_PREFIXES.some((p) => name.startsWith(p));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}
