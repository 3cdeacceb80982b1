import { refOf, type SourcedObject } from '../../objects/envelope.js';
import { describeZodError, ingressClassSpecSchema } from '../../objects/schemas.js';
import { metadataString } from '../metadata.js';
import type { StatusBook } from '../status-book.js';

/** Marks the IngressClass that class-less Ingresses belong to (Kubernetes "Default IngressClass"). */
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
/** The class annotation that preceded `spec.ingressClassName` (deprecated since Kubernetes 1.18, still common). */
export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

export interface IngressClassOptions {
  readonly ingressClassName: string;
  readonly controllerName: string;
  readonly watchWithoutClass: boolean;
}

/** Whether this controller serves an Ingress, and why not when it does not. */
export type ClassDecision = { readonly ours: true } | { readonly ours: false; readonly why: string };

/**
 * Decides which Ingresses belong to this controller, from the IngressClass objects and the options:
 * - a class name resolves through the IngressClass of that name: ours when its `spec.controller` is ours;
 * - a class name with no (valid) IngressClass object is ours when it equals `ingressClassName`, so that
 *   standalone manifests need no IngressClass;
 * - an Ingress without a class follows the IngressClass marked default; with none, `watchWithoutClass`.
 */
export class IngressClassSelector {
  readonly #controllers = new Map<string, string>();
  readonly #defaults: readonly { readonly name: string; readonly controller: string }[];
  readonly #options: IngressClassOptions;

  /** Validates every IngressClass (each gets a status). */
  constructor(classes: readonly SourcedObject[], options: IngressClassOptions, statuses: StatusBook) {
    this.#options = options;
    const defaults: { name: string; controller: string }[] = [];
    for (const sourced of classes) {
      const parsed = ingressClassSpecSchema.safeParse(sourced.object.spec);
      if (!parsed.success) {
        statuses.reject(sourced, 'Invalid', describeZodError(parsed.error, 'spec'));
        continue;
      }
      statuses.accept(sourced);
      const { name } = refOf(sourced.object);
      const controller = parsed.data.controller;
      this.#controllers.set(name, controller);
      if (metadataString(sourced, 'annotations', DEFAULT_CLASS_ANNOTATION) === 'true')
        defaults.push({ name, controller });
    }
    if (defaults.length > 1) {
      const names = defaults.map((d) => d.name).join(', ');
      for (const sourced of classes) {
        if (metadataString(sourced, 'annotations', DEFAULT_CLASS_ANNOTATION) === 'true') {
          statuses.warn(
            sourced,
            `several IngressClasses are marked default (${names}); Kubernetes refuses new class-less Ingresses then`,
          );
        }
      }
    }
    this.#defaults = defaults;
  }

  /** `className`: the Ingress' `spec.ingressClassName`, or else its legacy annotation; undefined when neither. */
  decide(className: string | undefined): ClassDecision {
    const { ingressClassName, controllerName, watchWithoutClass } = this.#options;
    if (className === undefined) {
      if (this.#defaults.length > 0) {
        // Of several defaults (a misconfiguration Kubernetes warns about) one of ours is enough.
        if (this.#defaults.some((d) => d.controller === controllerName)) return { ours: true };
        const other = this.#defaults[0];
        return {
          ours: false,
          why: `no ingress class, and the default IngressClass ${JSON.stringify(other?.name)} belongs to controller ${JSON.stringify(other?.controller)}`,
        };
      }
      return watchWithoutClass
        ? { ours: true }
        : {
            ours: false,
            why: 'no ingress class, no default IngressClass, and class-less Ingresses are not watched',
          };
    }
    const controller = this.#controllers.get(className);
    if (controller === undefined) {
      return className === ingressClassName
        ? { ours: true }
        : {
            ours: false,
            why: `ingress class ${JSON.stringify(className)} is neither ours nor an IngressClass of ours`,
          };
    }
    return controller === controllerName
      ? { ours: true }
      : {
          ours: false,
          why: `IngressClass ${JSON.stringify(className)} belongs to controller ${JSON.stringify(controller)}`,
        };
  }
}
