// Values that misbehave when read, thrown or returned: the pool the objective and limits tests
// draw from. Each maker builds a fresh value (a revoked Proxy cannot be un-revoked).

/** A Proxy that has been revoked: every operation on it throws a TypeError. */
export function revoked(): object {
  const p = Proxy.revocable({}, {});
  p.revoke();
  return p.proxy;
}

/** A Proxy over `target` whose every trap throws. */
export function trapsThrow(target: object = { value: 1 }): object {
  const boom = (trap: string) => () => {
    throw new Error(`${trap} trap`);
  };
  return new Proxy(target, {
    get: boom("get"),
    has: boom("has"),
    ownKeys: boom("ownKeys"),
    getOwnPropertyDescriptor: boom("getOwnPropertyDescriptor"),
    getPrototypeOf: boom("getPrototypeOf"),
  });
}

/** An Error whose `key` getter throws (the others read normally). */
export function errorWithThrowingGetter(key: "message" | "name" | "stack", message = "the real message"): Error {
  const e = new Error(message);
  Object.defineProperty(e, key, {
    get() {
      throw new Error(`${key} getter`);
    },
  });
  return e;
}

/**
 * Hostile values an objective might return, throw, or pass to report(); every one of them
 * throws somewhere when read, converted to text or serialised.
 */
export const HOSTILE: Record<string, () => unknown> = {
  "a getter that throws": () => ({
    get value(): number {
      throw new Error("getter");
    },
  }),
  "a Proxy whose ownKeys throws": () => new Proxy({ value: 1 }, { ownKeys: () => { throw new Error("ownKeys"); } }),
  "a Proxy whose every trap throws": () => trapsThrow(),
  "a revoked Proxy": revoked,
  "an object whose toString and toJSON throw": () => ({
    toString() {
      throw new Error("toString");
    },
    toJSON() {
      throw new Error("toJSON");
    },
  }),
  "an object without a prototype": () => Object.create(null) as object,
  "a cycle": () => {
    const o: Record<string, unknown> = { value: "x" };
    o["self"] = o;
    return o;
  },
  "an Error whose message getter throws": () => errorWithThrowingGetter("message"),
  "an Error whose name getter throws": () => errorWithThrowingGetter("name"),
  "an Error whose stack getter throws": () => errorWithThrowingGetter("stack"),
  "an Error whose message is a revoked Proxy": () => {
    const e = new Error();
    Object.defineProperty(e, "message", { value: revoked() });
    return e;
  },
  "a BigInt": () => 10n,
  "a Symbol": () => Symbol("s"),
  "a function whose toString throws": () => {
    const f = () => 1;
    f.toString = () => {
      throw new Error("fn toString");
    };
    return f;
  },
  "an empty string": () => "",
  "an Error with no name and no message": () => {
    const e = new Error("");
    e.name = "";
    return e;
  },
};

export const HOSTILE_NAMES = Object.keys(HOSTILE);
