/**
 * Minimal consecutive-failure circuit breaker: closed -> open after `failureThreshold` failures in a
 * row; open rejects at once for `resetMs`; then one half-open trial decides closed or open again.
 * Per process on purpose: it protects this replica's latency, it is not shared state.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export class BreakerOpenError extends Error {
  constructor(readonly dependency: string) {
    super(`circuit breaker for ${dependency} is open`);
    this.name = 'BreakerOpenError';
  }
}

export interface BreakerOptions {
  readonly name: string;
  readonly failureThreshold: number;
  readonly resetMs: number;
  readonly onStateChange?: (state: BreakerState) => void;
  /** Errors for which this returns false do not count as failures (e.g. a constraint violation). */
  readonly isFailure?: (err: unknown) => boolean;
  /** Called for every rejected call, the breaker's own rejections included (e.g. to count errors). */
  readonly onError?: (err: unknown) => void;
  readonly now?: () => number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private current: BreakerState = 'closed';
  private readonly now: () => number;

  constructor(private readonly opts: BreakerOptions) {
    this.now = opts.now ?? Date.now;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** True when a call would be rejected right now. */
  isOpen(): boolean {
    return this.current === 'open' && this.now() - this.openedAt < this.opts.resetMs;
  }

  /** Runs fn unless the breaker rejects the call; fn's outcome counts towards the breaker's state. */
  async exec<T>(fn: () => Promise<T>): Promise<T> {
    if (this.current !== 'closed') {
      if (this.current === 'open' && this.now() - this.openedAt < this.opts.resetMs) return this.rejectOpen();
      if (this.current === 'open') this.transition('half-open');
      if (this.trialInFlight) return this.rejectOpen();
      this.trialInFlight = true;
    }
    try {
      const value = await fn();
      this.onSuccess();
      return value;
    } catch (err) {
      if (this.opts.isFailure === undefined || this.opts.isFailure(err)) this.onFailure();
      else this.onSuccess();
      this.opts.onError?.(err);
      throw err;
    }
  }

  private rejectOpen(): never {
    const err = new BreakerOpenError(this.opts.name);
    this.opts.onError?.(err);
    throw err;
  }

  private onSuccess(): void {
    this.failures = 0;
    this.trialInFlight = false;
    if (this.current !== 'closed') this.transition('closed');
  }

  private onFailure(): void {
    this.failures += 1;
    this.trialInFlight = false;
    if (this.current === 'half-open' || this.failures >= this.opts.failureThreshold) {
      this.openedAt = this.now();
      this.transition('open');
    }
  }

  private transition(state: BreakerState): void {
    if (this.current === state) return;
    this.current = state;
    this.opts.onStateChange?.(state);
  }
}

export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };
