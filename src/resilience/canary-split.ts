import type { IncomingHttpHeaders } from 'node:http';
import type { CanaryPolicy } from '../ir/types.js';

/** Where a route's weighted canary split stands; survives table swaps (keyed by route name). */
export class CanaryCounter {
  /** Requests decided by weight so far, modulo the weight total. */
  position = 0;
}

/**
 * Decides per request whether it goes to the canary backend, with ingress-nginx's precedence:
 * 1. `canary-by-header`: with `canary-by-header-value`, that exact value → canary; else with
 *    `canary-by-header-pattern`, a matching value → canary; else `always` → canary, `never` → main. Other values
 *    (or no header) fall through.
 * 2. `canary-by-cookie`: `always` → canary, `never` → main; other values fall through.
 * 3. `canary-weight` of `canary-weight-total`: ingress-nginx draws a random number; tidegate spreads exactly
 *    `weight` canary requests over every `weightTotal` consecutive ones (a Bresenham sequence on a counter kept
 *    across reloads), which is deterministic, needs no random source and keeps the ratio exact on any window.
 */
export class CanarySplit {
  readonly #policy: CanaryPolicy;
  readonly #pattern: RegExp | null;
  readonly #cookiePrefix: string | null;
  readonly #counter: CanaryCounter;

  constructor(policy: CanaryPolicy, counter: CanaryCounter) {
    this.#policy = policy;
    let pattern: RegExp | null = null;
    if (policy.headerValue === null && policy.headerPattern !== null) {
      try {
        pattern = new RegExp(policy.headerPattern);
      } catch {
        // Translation validated it; ingress-nginx treats a pattern error as "no match".
      }
    }
    this.#pattern = pattern;
    this.#cookiePrefix = policy.cookie === null ? null : `${policy.cookie}=`;
    this.#counter = counter;
  }

  /** True when this request goes to the canary backend. */
  toCanary(headers: IncomingHttpHeaders): boolean {
    const policy = this.#policy;
    if (policy.header !== null) {
      const value = headers[policy.header];
      if (typeof value === 'string') {
        if (policy.headerValue !== null) {
          if (value === policy.headerValue) return true;
        } else if (policy.headerPattern !== null) {
          if (this.#pattern?.test(value)) return true;
        } else if (value === 'always') return true;
        else if (value === 'never') return false;
      }
    }
    if (this.#cookiePrefix !== null) {
      const cookie = cookieValue(headers.cookie, this.#cookiePrefix);
      if (cookie === 'always') return true;
      if (cookie === 'never') return false;
    }
    if (policy.weight === 0) return false;
    const total = policy.weightTotal;
    const counter = this.#counter;
    const n = counter.position % total;
    counter.position = n + 1;
    return Math.floor(((n + 1) * policy.weight) / total) > Math.floor((n * policy.weight) / total);
  }
}

/** The value of the cookie whose `name=` is `prefix` in a `Cookie` header (RFC 6265 §5.4: `a=1; b=2`). */
function cookieValue(header: string | undefined, prefix: string): string | null {
  if (header === undefined) return null;
  let at = 0;
  while (at < header.length) {
    while (header.charCodeAt(at) === 0x20) at++;
    const end = header.indexOf(';', at);
    const stop = end < 0 ? header.length : end;
    if (header.startsWith(prefix, at)) return header.slice(at + prefix.length, stop);
    at = stop + 1;
  }
  return null;
}
