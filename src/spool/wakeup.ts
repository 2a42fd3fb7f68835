/**
 * How the writer wakes the forwarder: `notify` ends the current `wait`, or the next one if nobody waits yet, so a
 * notification between "nothing to read" and "wait" is never lost. One waiter at a time (the forwarder loop).
 */
export class Wakeup {
  private pending = false;
  private waiter: (() => void) | undefined;

  notify(): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter();
    } else {
      this.pending = true;
    }
  }

  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}
