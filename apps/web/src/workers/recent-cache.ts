// The encryptors or decryptors of the last few files, for the part workers: a transfer's parts go file by file,
// so a handful of entries is enough, and rebuilding one per part would re-derive its keys every time.
export function recentCache<T>(limit: number): (key: string, make: () => Promise<T>) => Promise<T> {
  const entries = new Map<string, Promise<T>>();
  return (key, make) => {
    let value = entries.get(key);
    if (!value) {
      value = make();
      value.catch(() => entries.delete(key)); // a failure is not remembered: the next part tries again
      entries.set(key, value);
      if (entries.size > limit) entries.delete(entries.keys().next().value as string);
    }
    return value;
  };
}
