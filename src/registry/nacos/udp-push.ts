import { createSocket, type Socket } from 'node:dgram';
import type { Clock } from '../../core/clock.js';
import type { Runner } from '../../core/lifecycle.js';
import type { Logger } from '../../observability/logger.js';
import { groupedName, type ServiceRef, serviceKey } from '../model.js';
import type { RegistryStore } from '../store.js';
import type { ListAnswers } from './list-answers.js';

/** A client that asked for a service's instances with a UDP port (Nacos' `PushClient`). */
export interface PushSubscriber {
  readonly ref: ServiceRef;
  readonly clusters: string;
  readonly healthyOnly: boolean;
  readonly ip: string;
  readonly port: number;
}

export interface UdpPushOptions {
  /** A subscriber that has not polled for this long is forgotten (Nacos' push client expiry, 10 s by default). */
  readonly subscriberTtlMs: number;
}

export interface UdpPushDeps {
  readonly store: RegistryStore;
  readonly answers: ListAnswers;
  readonly clock: Clock;
  readonly logger: Logger;
}

interface Subscription {
  readonly subscriber: PushSubscriber;
  lastSeen: number;
  lastChecksum: unknown;
}

/**
 * Nacos 1.x UDP push (`PushService`): clients that list a service with `udpPort` are sent
 * `{"type":"dom","data":"<the list answer as JSON text>","lastRefTime":…}` datagrams when the answer changes, so
 * that subscribers learn about a registration at once instead of at their next poll. Pushes are best effort, as in
 * Nacos (clients still poll every `cacheMillis`); acknowledgements are read and ignored.
 */
export class UdpPush implements Runner {
  readonly name = 'registry-udp-push';
  readonly #options: UdpPushOptions;
  readonly #deps: UdpPushDeps;
  readonly #subscriptions = new Map<string, Subscription>();
  #socket: Socket | null = null;
  #unsubscribe: (() => void) | null = null;
  #running: Promise<void> = Promise.resolve();
  #again = false;

  constructor(options: UdpPushOptions, deps: UdpPushDeps) {
    this.#options = options;
    this.#deps = deps;
  }

  /** Records (or refreshes) a subscriber; called on every list request that carries a UDP port. */
  subscribe(subscriber: PushSubscriber): void {
    const key = `${serviceKey(subscriber.ref)}|${subscriber.clusters}|${subscriber.healthyOnly}|${subscriber.ip}|${subscriber.port}`;
    const now = this.#deps.clock.now();
    const existing = this.#subscriptions.get(key);
    if (existing) existing.lastSeen = now;
    else this.#subscriptions.set(key, { subscriber, lastSeen: now, lastChecksum: undefined });
  }

  async start(_signal: AbortSignal): Promise<void> {
    const deps = this.#deps;
    const socket = createSocket('udp4');
    socket.on('error', (error) => deps.logger.warn({ err: error }, 'registry push socket error'));
    await new Promise<void>((resolve) => socket.bind(0, resolve));
    this.#socket = socket;
    this.#unsubscribe = deps.store.onChange(() => this.#schedule());
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await this.#running;
    const socket = this.#socket;
    this.#socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** One push round at a time; changes during a round trigger exactly one more. */
  #schedule(): void {
    if (this.#again) return;
    this.#again = true;
    this.#running = this.#running.then(async () => {
      this.#again = false;
      await this.#pushAll().catch((error: unknown) =>
        this.#deps.logger.warn({ err: error }, 'registry push round failed'),
      );
    });
  }

  async #pushAll(): Promise<void> {
    const deps = this.#deps;
    const socket = this.#socket;
    if (!socket) return;
    const now = deps.clock.now();
    for (const [key, subscription] of this.#subscriptions) {
      if (now - subscription.lastSeen > this.#options.subscriberTtlMs) {
        this.#subscriptions.delete(key);
        continue;
      }
      const { ref, clusters, healthyOnly, ip, port } = subscription.subscriber;
      const answer = await deps.answers.answer(ref, clusters, healthyOnly, true);
      if (answer.checksum === subscription.lastChecksum) continue;
      subscription.lastChecksum = answer.checksum;
      const packet = JSON.stringify({ type: 'dom', data: JSON.stringify(answer), lastRefTime: now });
      socket.send(packet, port, ip, (error) => {
        if (error)
          deps.logger.debug({ err: error, service: groupedName(ref), ip, port }, 'registry push failed');
      });
    }
  }
}
