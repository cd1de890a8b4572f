// The server's one source of "now": injected everywhere so that expiry rules can be tested without waiting.
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });
