import { setTimeout as sleep } from 'node:timers/promises';

/** Polls until `ok()` or the time is up; resolves with `ok()`'s last answer (so the caller says what failed). */
export async function poll(ok, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!ok() && Date.now() < deadline) await sleep(50);
  return ok();
}
