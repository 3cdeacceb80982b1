import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { Clock } from '../../core/clock.js';
import { NacosError } from './nacos-error.js';

/** A user allowed to call the registry API; the password is stored as a bcrypt hash only. */
export interface RegistryUser {
  readonly username: string;
  readonly passwordHash: string;
}

export interface NacosAuthOptions {
  readonly users: readonly RegistryUser[];
  /** Lifetime of issued access tokens, ms (Nacos' `nacos.core.auth.default.token.expire.seconds`, 18000 s). */
  readonly tokenTtlMs: number;
  /**
   * HMAC key of the tokens. Replicas that share it accept each other's tokens (Nacos'
   * `nacos.core.auth.default.token.secret.key`); undefined: a random key per process.
   */
  readonly tokenSecret: string | undefined;
  readonly clock: Clock;
}

/** What a request presented: a token (`accessToken` parameter or `Authorization: Bearer`) or a username/password. */
export interface Credentials {
  readonly accessToken: string | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
}

/**
 * Nacos 1.x authentication (`NacosAuthManager`): `POST /nacos/v1/auth/login` exchanges a username/password for a
 * signed access token (HS256 JWT with `sub` and `exp`, like Nacos' `JwtTokenManager`); every naming request then
 * carries the token, or — as the Node client does on every call — the username/password themselves. Successful
 * password checks are remembered (keyed by a SHA-256 of the pair) for the token lifetime, so that bcrypt's
 * deliberate slowness is paid once per client, not once per heartbeat.
 */
export class NacosAuth {
  readonly #options: NacosAuthOptions;
  readonly #users: ReadonlyMap<string, string>;
  readonly #secret: Buffer;
  readonly #verified = new Map<string, number>();

  constructor(options: NacosAuthOptions) {
    this.#options = options;
    this.#users = new Map(options.users.map((u) => [u.username, u.passwordHash]));
    this.#secret = options.tokenSecret === undefined ? randomBytes(32) : Buffer.from(options.tokenSecret);
  }

  /** `POST /nacos/v1/auth/login`: the answer Nacos gives, or 403 `unknown user!`. */
  async login(username: string | undefined, password: string | undefined): Promise<Record<string, unknown>> {
    if (
      username === undefined ||
      password === undefined ||
      !(await this.#checkPassword(username, password))
    ) {
      throw new NacosError(403, 'unknown user!');
    }
    const ttlSeconds = Math.floor(this.#options.tokenTtlMs / 1000);
    return { accessToken: this.#sign(username), tokenTtl: ttlSeconds, globalAdmin: true };
  }

  /** Resolves for an authenticated request; rejects with Nacos' 403 otherwise. */
  async authenticate(credentials: Credentials): Promise<void> {
    if (credentials.accessToken !== undefined) {
      this.#verify(credentials.accessToken);
      return;
    }
    if (credentials.username === undefined || credentials.password === undefined) {
      throw new NacosError(403, 'user not found!');
    }
    if (!(await this.#checkPassword(credentials.username, credentials.password))) {
      throw new NacosError(403, 'unknown user!');
    }
  }

  async #checkPassword(username: string, password: string): Promise<boolean> {
    const hash = this.#users.get(username);
    if (hash === undefined) return false;
    const key = createHash('sha256').update(username).update('\0').update(password).digest('base64');
    const now = this.#options.clock.now();
    const until = this.#verified.get(key);
    if (until !== undefined && until > now) return true;
    if (!(await bcrypt.compare(password, hash))) return false;
    this.#verified.set(key, now + this.#options.tokenTtlMs);
    return true;
  }

  #sign(username: string): string {
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const exp = Math.floor((this.#options.clock.now() + this.#options.tokenTtlMs) / 1000);
    const payload = base64url(JSON.stringify({ sub: username, exp }));
    return `${header}.${payload}.${this.#mac(`${header}.${payload}`)}`;
  }

  #verify(token: string): void {
    const [header, payload, signature, ...rest] = token.split('.');
    if (header === undefined || payload === undefined || signature === undefined || rest.length > 0) {
      throw new NacosError(403, 'token invalid!');
    }
    const expected = Buffer.from(this.#mac(`${header}.${payload}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new NacosError(403, 'token invalid!');
    }
    let claims: { sub?: unknown; exp?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      throw new NacosError(403, 'token invalid!');
    }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= this.#options.clock.now()) {
      throw new NacosError(403, 'token expired!');
    }
    if (typeof claims.sub !== 'string' || !this.#users.has(claims.sub))
      throw new NacosError(403, 'user not found!');
  }

  #mac(data: string): string {
    return createHmac('sha256', this.#secret).update(data).digest('base64url');
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
