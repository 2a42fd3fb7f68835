import type { TSchema } from '@sinclair/typebox';
import { ConfigSchema } from './schema.js';

/** The JSON Schema of config.json as shipped in config.schema.json (TypeBox's symbol keys are dropped). */
export function jsonSchema(): Record<string, unknown> {
  return JSON.parse(JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...ConfigSchema })) as Record<string, unknown>;
}

/**
 * The configuration reference (docs/configuration.md): one row per field, with type, default and description, generated
 * from the schema so the docs cannot drift (a test compares them).
 */
export function configReference(): string {
  const rows: string[] = ['| key | type | default | description |', '|---|---|---|---|'];
  walk(ConfigSchema, '', rows);
  return rows.join('\n');
}

type Node = TSchema & {
  type?: string;
  properties?: Record<string, Node>;
  items?: Node;
  anyOf?: Node[];
  const?: unknown;
  default?: unknown;
  description?: string;
  pattern?: string;
};

function walk(node: Node, path: string, rows: string[]): void {
  if (node.type === 'object' && node.properties) {
    if (path) rows.push(`| \`${path}\` | object | | ${escape(node.description ?? '')} |`);
    for (const [key, child] of Object.entries(node.properties)) {
      if (key === '$schema') continue;
      walk(child, path ? `${path}.${key}` : key, rows);
    }
    return;
  }
  if (node.type === 'array' && node.items?.type === 'object' && node.items.properties) {
    rows.push(`| \`${path}\` | list of objects | \`${JSON.stringify(node.default ?? [])}\` | ${escape(node.description ?? '')} |`);
    for (const [key, child] of Object.entries(node.items.properties)) walk(child, `${path}[].${key}`, rows);
    return;
  }
  rows.push(`| \`${path}\` | ${typeName(node)} | ${node.default === undefined ? '' : `\`${JSON.stringify(node.default)}\``} | ${escape(node.description ?? '')} |`);
}

function typeName(node: Node): string {
  if (node.anyOf) return node.anyOf.map((n) => (n.const !== undefined ? JSON.stringify(n.const) : typeName(n))).join(' \\| ');
  if (node.type === 'array') return `list of ${node.items ? typeName(node.items) : 'any'}`;
  if (node.type === 'string' && node.pattern?.includes('ms|s|m|h|d')) return 'duration';
  if (node.type === 'string' && node.pattern?.includes('KiB')) return 'size';
  return node.type ?? 'any';
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
