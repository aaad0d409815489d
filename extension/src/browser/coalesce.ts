/**
 * Runs an async pass so that it never overlaps itself: a call while a pass runs returns that
 * pass's promise and asks for one more pass after it (however many calls came), until `stopped()`.
 *
 *   private readonly redraw = coalesced(() => this.drawOnce(), () => this.isDisposed);
 */
export function coalesced(pass: () => Promise<void>, stopped: () => boolean): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await pass();
        } while (again && !stopped());
      } finally {
        running = null;
      }
    })();
    return running;
  };
}
