// Waiting in tests: a sleep and a poll-until-true with a deadline, for a synchronous or an async test
// (the one copy; vstart-cluster re-exports `until` for the cluster tests).

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `f` every `pollMs` until it returns something truthy (returned); Error naming `what` after the timeout. */
export async function until<T>(what: string, f: () => T | null | false | undefined, timeoutMs = 60000, pollMs = 300): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** `until` for a test that is itself async (a command over the network, a connect): awaits `f` each poll. */
export async function untilAsync<T>(what: string, f: () => Promise<T | null | false | undefined>, timeoutMs = 60000, pollMs = 300): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}
