/** Why a message is too large to store (more than `spool.maxEventSize`), or undefined when it is not. */
export function tooLarge(data: Uint8Array, maxBytes: number | undefined): string | undefined {
  if (maxBytes === undefined || data.byteLength <= maxBytes) return undefined;
  return `message is ${data.byteLength} bytes, more than spool.maxEventSize (${maxBytes}): too large to store`;
}
