import type { TripExpression, TripMetric } from '../../ir/types.js';

export type TripParse =
  | { readonly ok: true; readonly expression: TripExpression }
  | { readonly ok: false; readonly reason: string };

type Token =
  | { readonly kind: 'name'; readonly text: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'op'; readonly text: string };

const OPERATORS = ['&&', '||', '>=', '<=', '==', '!=', '>', '<', '(', ')', ','] as const;
const COMPARISONS: ReadonlySet<string> = new Set(['>', '>=', '<', '<=', '==', '!=']);
type Comparison = Extract<TripExpression, { type: 'compare' }>['operator'];

class ParseError extends Error {}

/**
 * Parses a Traefik circuit-breaker expression: `NetworkErrorRatio()`, `ResponseCodeRatio(from, to, dividedFrom,
 * dividedTo)` and `LatencyAtQuantileMS(quantile)` compared with a number, combined with `&&` (binding tighter)
 * and `||`, with parentheses. Never throws.
 */
export function parseTripExpression(text: string): TripParse {
  try {
    const parser = new Parser(tokenize(text));
    const expression = parser.or();
    parser.end();
    return { ok: true, expression };
  } catch (error) {
    if (error instanceof ParseError) return { ok: false, reason: error.message };
    throw error;
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n') {
      i++;
      continue;
    }
    const name = /^[A-Za-z][A-Za-z0-9]*/.exec(text.slice(i));
    if (name !== null) {
      tokens.push({ kind: 'name', text: name[0] });
      i += name[0].length;
      continue;
    }
    const number = /^\d+(?:\.\d+)?/.exec(text.slice(i));
    if (number !== null) {
      tokens.push({ kind: 'number', value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
    if (op === undefined) throw new ParseError(`unexpected ${JSON.stringify(c)} at offset ${i}`);
    tokens.push({ kind: 'op', text: op });
    i += op.length;
  }
  return tokens;
}

class Parser {
  readonly #tokens: readonly Token[];
  #at = 0;

  constructor(tokens: readonly Token[]) {
    this.#tokens = tokens;
  }

  or(): TripExpression {
    let left = this.and();
    while (this.#accept('||')) left = { type: 'or', left, right: this.and() };
    return left;
  }

  end(): void {
    const token = this.#tokens[this.#at];
    if (token !== undefined) throw new ParseError(`unexpected ${describe(token)} after the expression`);
  }

  and(): TripExpression {
    let left = this.#term();
    while (this.#accept('&&')) left = { type: 'and', left, right: this.#term() };
    return left;
  }

  #term(): TripExpression {
    if (this.#accept('(')) {
      const inner = this.or();
      this.#expect(')');
      return inner;
    }
    const metric = this.#metric();
    const op = this.#next();
    if (op?.kind !== 'op' || !COMPARISONS.has(op.text))
      throw new ParseError(`expected a comparison after ${metric.type}(), got ${describe(op)}`);
    return { type: 'compare', metric, operator: op.text as Comparison, value: this.#number() };
  }

  #metric(): TripMetric {
    const token = this.#next();
    if (token?.kind !== 'name') throw new ParseError(`expected a metric, got ${describe(token)}`);
    this.#expect('(');
    const args: number[] = [];
    if (!this.#accept(')')) {
      do args.push(this.#number());
      while (this.#accept(','));
      this.#expect(')');
    }
    const arity = (count: number): void => {
      if (args.length !== count)
        throw new ParseError(`${token.text} takes ${count} argument(s), got ${args.length}`);
    };
    switch (token.text) {
      case 'NetworkErrorRatio':
        arity(0);
        return { type: 'NetworkErrorRatio' };
      case 'ResponseCodeRatio': {
        arity(4);
        const [from, to, dividedFrom, dividedTo] = args as [number, number, number, number];
        if (from >= to || dividedFrom >= dividedTo)
          throw new ParseError('ResponseCodeRatio ranges must be [from, to) with from < to');
        return { type: 'ResponseCodeRatio', from, to, dividedFrom, dividedTo };
      }
      case 'LatencyAtQuantileMS': {
        arity(1);
        const quantile = args[0] as number;
        if (quantile <= 0 || quantile > 100)
          throw new ParseError('LatencyAtQuantileMS takes a quantile in (0, 100]');
        return { type: 'LatencyAtQuantileMS', quantile };
      }
      default:
        throw new ParseError(
          `unknown metric ${token.text} (NetworkErrorRatio, ResponseCodeRatio, LatencyAtQuantileMS)`,
        );
    }
  }

  #number(): number {
    const token = this.#next();
    if (token?.kind !== 'number') throw new ParseError(`expected a number, got ${describe(token)}`);
    return token.value;
  }

  #accept(op: string): boolean {
    const token = this.#tokens[this.#at];
    if (token?.kind !== 'op' || token.text !== op) return false;
    this.#at++;
    return true;
  }

  #expect(op: string): void {
    if (!this.#accept(op)) throw new ParseError(`expected "${op}", got ${describe(this.#tokens[this.#at])}`);
  }

  #next(): Token | undefined {
    return this.#tokens[this.#at++];
  }
}

function describe(token: Token | undefined): string {
  if (token === undefined) return 'the end';
  return token.kind === 'number' ? String(token.value) : JSON.stringify(token.text);
}
