import type { StaticConfig } from '../config/static-config.js';
import type { TranslateOptions } from '../translate/translate.js';

/** The part of the static configuration that translation depends on. */
export function translateOptionsFrom(config: StaticConfig): TranslateOptions {
  return {
    ingressClassName: config.ingress.className,
    controllerName: config.ingress.controllerName,
    watchWithoutClass: config.ingress.watchWithoutClass,
    defaults: {
      connectTimeoutMs: config.defaults.connectTimeout,
      readTimeoutMs: config.defaults.readTimeout,
      sendTimeoutMs: config.defaults.sendTimeout,
      maxBodyBytes: config.defaults.maxBodySize === 0 ? null : config.defaults.maxBodySize,
    },
  };
}
