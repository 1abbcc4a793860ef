// What a promise rejects with, for unit tests (HTTP tests have harness.ts's, which also reads the openai SDK's thenables).

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}
