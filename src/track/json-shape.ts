/**
 * Limits on the shape of a JSON body, checked on the text before it is parsed, in one pass that allocates
 * nothing. Depth matters because whatever walks the parsed value recursively (JSON.stringify of properties,
 * redaction, sinks) overflows the stack on a body nested thousands of levels deep; the entry count bounds the
 * memory a small body can claim (`[[],[],...]` costs far more as objects than as text).
 */
export const JSON_LIMITS = {
  /** Deepest nesting of objects and arrays, the body itself being level 1. */
  maxDepth: 32,
  /** Most array elements and object members in one body, counted over every level. */
  maxEntries: 100_000,
} as const;

export type JsonShapeViolation = { limit: 'maxDepth' | 'maxEntries'; value: number };

/**
 * The first limit the text exceeds, or undefined. Strings are skipped (brackets inside them do not count);
 * an entry is counted at each `[`/`{` (its first one) and at each `,` outside strings, an upper bound.
 */
export function jsonShapeViolation(text: string, limits: typeof JSON_LIMITS = JSON_LIMITS): JsonShapeViolation | undefined {
  // Fast path, nearly every body: every level and every entry takes a character, so a text with few brackets and
  // fewer characters than the entry limit cannot exceed either (indexOf is native; the loop below is not).
  if (text.length <= limits.maxEntries && occurrences(text, '{', limits.maxDepth) + occurrences(text, '[', limits.maxDepth) <= limits.maxDepth) {
    return undefined;
  }
  let depth = 0;
  let entries = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limits.maxDepth) return { limit: 'maxDepth', value: limits.maxDepth };
      if (++entries > limits.maxEntries) return { limit: 'maxEntries', value: limits.maxEntries };
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && ++entries > limits.maxEntries) return { limit: 'maxEntries', value: limits.maxEntries };
  }
  return undefined;
}

/** How many times `char` occurs in `text`, counting no further than `cap + 1`. */
function occurrences(text: string, char: string, cap: number): number {
  let n = 0;
  for (let i = text.indexOf(char); i >= 0 && n <= cap; i = text.indexOf(char, i + 1)) n++;
  return n;
}
