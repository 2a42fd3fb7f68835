/** Parsers for the human units accepted in config.json: durations ("500ms", "30s") and sizes ("1MB"). */

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const DURATION_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const DURATION_PATTERN = DURATION.source;

export function parseDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)} (use e.g. "500ms", "30s", "5m", "1h", "7d")`);
  return Math.round(Number(m[1]) * DURATION_MS[m[2] as keyof typeof DURATION_MS]);
}

export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = DURATION_MS[unit];
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

const SIZE = /^(\d+(?:\.\d+)?)(B|KB|MB|GB|KiB|MiB|GiB)$/;
const SIZE_BYTES = { B: 1, KB: 1_000, MB: 1_000_000, GB: 1_000_000_000, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 } as const;

export const SIZE_PATTERN = SIZE.source;

export function parseSize(text: string): number {
  const m = SIZE.exec(text);
  if (!m) throw new Error(`not a size: ${JSON.stringify(text)} (use e.g. "512KB", "1MB", "2GiB")`);
  return Math.round(Number(m[1]) * SIZE_BYTES[m[2] as keyof typeof SIZE_BYTES]);
}

export function formatSize(bytes: number): string {
  for (const unit of ['GiB', 'MiB', 'KiB'] as const) {
    const size = SIZE_BYTES[unit];
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}
