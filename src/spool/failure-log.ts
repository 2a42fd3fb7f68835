import type { SpoolEvents } from './events.js';

export type WriteOp = 'write' | 'sync' | 'rotate' | 'close' | 'probe';

/** Least time between two summaries of spool write failures while they go on. */
export const FAILURE_SUMMARY_MS = 60_000;

interface Episode {
  readonly since: number;
  failures: number;
  /** Failures per operation since the last line logged. */
  unreported: Map<WriteOp, number>;
  lastError: string;
}

/**
 * Logs spool write failures as a state, not one line each: on a full disk every group commit fails, and a line with
 * a stack trace per failure made 13,329 lines in one minute (issue 24). Each failure counts
 * (`gatehouse_spool_write_failed_total{op}`, logged at debug only); the first of a run logs in full
 * (`spoolWriteFailureStarted`); while failures go on, a summary (`spoolWriteFailureSummary`) says every `summaryMs` how many there
 * were since the last line; the run ends with `spoolWriteRecovered` once a write succeeds again, or once a summary
 * period passes without failure while writes are not failing (a failed sync or close that did not come back).
 */
export class FailureLog {
  private episode: Episode | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly events: SpoolEvents,
    /** Whether group writes are failing now (appends answered 503): such a run ends only when one succeeds. */
    private readonly failing: () => boolean,
    private readonly summaryMs = FAILURE_SUMMARY_MS,
  ) {}

  failed(op: WriteOp, err: unknown): void {
    this.events.writeFailed({ op }, { err });
    const episode = this.episode;
    if (!episode) {
      this.episode = { since: Date.now(), failures: 1, unreported: new Map(), lastError: messageOf(err) };
      this.events.failureStarted({ op }, { err });
      this.timer = setInterval(() => this.summarise(), this.summaryMs);
      this.timer.unref();
      return;
    }
    episode.failures++;
    episode.unreported.set(op, (episode.unreported.get(op) ?? 0) + 1);
    episode.lastError = messageOf(err);
  }

  /** Writes succeed again. */
  recovered(): void {
    const episode = this.episode;
    if (!episode) return;
    this.end();
    this.events.writeRecovered({}, { failures: episode.failures, failingForMs: Date.now() - episode.since, lastError: episode.lastError });
  }

  /** Stops the summaries (at close). */
  close(): void {
    this.end();
  }

  private summarise(): void {
    const episode = this.episode;
    if (!episode) return;
    if (episode.unreported.size === 0) {
      if (!this.failing()) this.recovered();
      return;
    }
    const failures = Object.fromEntries(episode.unreported);
    episode.unreported = new Map();
    this.events.failureSummary({}, { failures, total: episode.failures, failingForMs: Date.now() - episode.since, lastError: episode.lastError });
  }

  private end(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.episode = undefined;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
