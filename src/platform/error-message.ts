// The sentence worth logging from an error: Drizzle wraps driver errors as "Failed query: <sql>
// params: …" with the server's actual reason in `cause` — that reason is what a person needs.
export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  return cause instanceof Error && /^Failed query:/.test(err.message) ? cause.message : err.message;
}
