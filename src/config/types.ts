import { Type, type TSchema, type TProperties, type ObjectOptions, type SchemaOptions } from '@sinclair/typebox';
import { DURATION_PATTERN, SIZE_PATTERN, parseDuration, formatDuration, parseSize, formatSize } from './units.js';

/**
 * Schema builders shared by every component's config slice. Objects reject unknown keys; every field
 * carries a description (it becomes docs/configuration.md and the editor's tooltip).
 */

type Doc = { description: string };

/** A config section: unknown keys are errors; defaults to `{}` so nested defaults apply. */
export const Section = <T extends TProperties>(properties: T, options: ObjectOptions & Doc) =>
  Type.Object(properties, { additionalProperties: false, default: {}, ...options });

/** A strict object without a default (for list items and optional blocks). */
export const Strict = <T extends TProperties>(properties: T, options: ObjectOptions & Doc) =>
  Type.Object(properties, { additionalProperties: false, ...options });

/** A duration written as "500ms", "30s", "5m", "1h" or "7d"; decoded to milliseconds. */
export const Duration = (defaultValue: string, options: SchemaOptions & Doc) =>
  Type.Transform(Type.String({ pattern: DURATION_PATTERN, default: defaultValue, ...options }))
    .Decode((v) => parseDuration(v))
    .Encode((v) => formatDuration(v));

/** A size written as "512KB", "1MB", "1MiB"; decoded to bytes. */
export const Size = (defaultValue: string, options: SchemaOptions & Doc) =>
  Type.Transform(Type.String({ pattern: SIZE_PATTERN, default: defaultValue, ...options }))
    .Decode((v) => parseSize(v))
    .Encode((v) => formatSize(v));

export const Port = (defaultValue: number, options: Doc) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: defaultValue, ...options });

export const Host = (defaultValue: string, options: Doc) => Type.String({ minLength: 1, default: defaultValue, ...options });

/** A list of IPv4/IPv6 addresses or CIDR blocks. */
export const CidrList = (options: Doc) =>
  Type.Array(Type.String({ pattern: '^[0-9a-fA-F:.]+(/\\d{1,3})?$' }), { default: [], ...options });

export type { TSchema };
