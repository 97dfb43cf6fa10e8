// Starts several fixtures at once. With a bare Promise.all, a fixture that fails leaves the others
// starting unseen: a Headcount child whose pipes keep the test file alive until the runner's timeout.
// Here the ones that did start are closed before the first error is thrown.
type Closable = { dispose(): Promise<void> } | { close(): Promise<void> };

function close(fixture: Closable): Promise<void> {
  return 'dispose' in fixture ? fixture.dispose() : fixture.close();
}

export async function startAll<T extends readonly Closable[]>(...starts: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  const started = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value as Closable] : []));
  if (!failure) return started as unknown as T;
  await Promise.allSettled(started.map(close));
  throw failure.reason;
}
