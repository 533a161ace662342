import { ChatHistory, type ClientHints, chatOf, resolvePath, type Step } from './client-hints.js';
import { runApiCall } from './run-api-call.js';
import type { WrapContext } from './wrap-context.js';

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * A Proxy that looks like the SDK's client (`instanceof` and types hold) and turns every request
 * it makes into one keymux job on the chosen key's own client. The placeholder `shape` client tells
 * namespaces from functions; functions below the root are requests unless the hints say otherwise.
 */
export function wrapClient<T extends object>(ctx: WrapContext): T {
  return wrapNode(ctx.hints.shape(), [], { ...ctx, nodes: new WeakMap() }, 0) as T;
}

/** Nodes by shape object: resources point back at their client (`_client`), so paths can cycle. */
type NodeContext = WrapContext & { readonly nodes: WeakMap<object, object> };

function wrapNode(shape: object, steps: readonly Step[], ctx: NodeContext, depth: number): object {
  const known = ctx.nodes.get(shape);
  if (known) return known;
  const cache = new Map<string, unknown>();
  // A blank target with the shape's prototype: `instanceof` holds and no Proxy invariant can bind us.
  const target = Object.create(Object.getPrototypeOf(shape) as object | null) as object;
  const node = new Proxy(target, {
    // Once the SDK's ESM build is loaded, `instanceof` answers for the caller's own import of it.
    getPrototypeOf: () =>
      (depth === 0 ? (ctx.hints.prototype?.() ?? null) : null) ?? Object.getPrototypeOf(target),
    get(_target, prop) {
      const value: unknown = Reflect.get(shape, prop, shape);
      if (typeof prop === 'symbol' || prop === 'constructor') return value;
      if (cache.has(prop)) return cache.get(prop);
      const path = [...steps, { get: prop }];
      let out: unknown = value;
      if (typeof value === 'function')
        out = wrapFunction(value as AnyFunction, { shape, node }, prop, path, ctx, depth);
      else if (isNamespace(value, ctx)) out = wrapNode(value, path, ctx, depth + 1);
      cache.set(prop, out);
      return out;
    },
    has: (_target, prop) => Reflect.has(shape, prop),
    ownKeys: () => Reflect.ownKeys(shape),
    getOwnPropertyDescriptor(_target, prop) {
      const descriptor = Reflect.getOwnPropertyDescriptor(shape, prop);
      return descriptor ? { ...descriptor, configurable: true } : undefined;
    },
    set: () => false,
  });
  ctx.nodes.set(shape, node);
  return node;
}

function isNamespace(value: unknown, ctx: NodeContext): value is object {
  if (value === null || typeof value !== 'object' || value instanceof Date) return false;
  return ctx.nodes.has(value) || (ctx.hints.isNamespace?.(value) ?? true);
}

function endsWithAny(dotted: string, suffixes: readonly string[] | undefined): boolean {
  return suffixes?.some((f) => dotted === f || dotted.endsWith(`.${f}`)) ?? false;
}

/** A factory call's step; a chat session's replays its arguments with the history so far. */
function factoryStep(args: readonly unknown[], dotted: string, hints: ClientHints): Step {
  if (!hints.chat || !endsWithAny(dotted, hints.chat.factories)) return { call: args };
  const chat = new ChatHistory(args, hints.chat);
  return {
    get call() {
      return chat.args;
    },
    chat,
  };
}

function wrapFunction(
  fn: AnyFunction,
  { shape: owner, node }: { shape: object; node: object },
  name: string,
  path: readonly Step[],
  ctx: NodeContext,
  depth: number,
): AnyFunction {
  const { hints } = ctx;
  const dotted = path.flatMap((s) => ('get' in s ? [s.get] : [])).join('.');
  if (endsWithAny(dotted, hints.composites)) {
    // `this` is the wrapped namespace, so the helper's own requests (`this.create`,
    // `this._client.chat.completions.create`) are keymux jobs. The helper is taken from the SDK build
    // loaded now (ESM once preloaded), so the object it returns is an instance of the caller's class.
    return (...args: unknown[]) => resolvePath(hints.shape(), path).fn.apply(node, args);
  }
  if (endsWithAny(dotted, hints.unsupported)) {
    return () => {
      throw new TypeError(
        `keymux: ${dotted}() cannot run through a multiplexed client; send its requests with create() or stream()`,
      );
    };
  }
  if (endsWithAny(dotted, hints.factories)) {
    return (...args: unknown[]) => {
      const made = fn.apply(owner, args);
      return made !== null && typeof made === 'object'
        ? wrapNode(made, [...path, factoryStep(args, dotted, hints)], ctx, depth + 1)
        : made;
    };
  }
  const isCall = depth === 0 ? hints.rootCalls.has(name) : !hints.helpers.has(name);
  if (!isCall && chatOf(path)) {
    // A session's local helpers (`getHistory`) answer from a shape session holding the chat's history.
    return (...args: unknown[]) => {
      const current = resolvePath(hints.shape(), path);
      return current.fn.apply(current.owner, args);
    };
  }
  if (!isCall) return (...args: unknown[]) => fn.apply(owner, args);
  return (...args: unknown[]) => runApiCall(ctx, path, args);
}
