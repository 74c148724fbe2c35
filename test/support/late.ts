/**
 * For what a test file starts in `before`: an object that stands for it from the start, so that the file can hold it
 * in a const and its tests read it as they would the thing itself.
 * Mind: node:test runs a file's top-level `before` hooks side by side (those of a describe block one after another),
 * so a top-level `before` of the file must not use what a top-level use* helper starts; put both in a describe.
 */
/** An object that forwards every property to what `get()` returns at the time of use. */
export function late<T extends object>(what: string, get: () => T | undefined): T {
  const target = (): T => {
    const value = get();
    if (value === undefined) throw new Error(`${what} is not started yet (use it inside a test)`);
    return value;
  };
  return new Proxy({} as T, {
    get(_, key) {
      const value: unknown = Reflect.get(target(), key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target()) : value;
    },
  });
}
