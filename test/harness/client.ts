// A signed-in user talking to a test app over HTTP: cookie jar + typed tRPC client.
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '@/server/routers/app';

let seq = 0;
export function uniqueEmail(prefix = 'user'): string {
  seq += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq}@example.test`;
}

export type TestUser = { id: string; email: string; cookie: string; trpc: ReturnType<typeof trpcClient> };

export function trpcClient(baseUrl: string, cookie?: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${baseUrl}/api/trpc`,
        transformer: superjson,
        headers: () => (cookie ? { cookie } : {}),
      }),
    ],
  });
}

function cookieFrom(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

/** The confirmation link in the newest mail to `email`, read from the development outbox over HTTP. */
async function verificationLink(baseUrl: string, email: string): Promise<string> {
  // better-auth sends the sign-up mail once its transaction has committed: give it a moment
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${baseUrl}/api/dev/mail?to=${encodeURIComponent(email)}`);
    if (!res.ok) throw new Error(`dev mail: ${res.status} ${await res.text()}`);
    const { mails } = (await res.json()) as { mails: Array<{ subject: string; text: string }> };
    const link = mails.map((m) => m.text.match(/https?:\/\/\S+\/api\/auth\/verify-email\?\S+/)?.[0]).find(Boolean);
    if (link) return link;
    if (attempt >= 50) throw new Error(`no confirmation mail to ${email} (${mails.length} mails)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Opens the confirmation link as the person would, in the browser that holds their session (without
 * one, better-auth signs them in with a new session); it redirects once the address is confirmed.
 */
async function confirmEmail(baseUrl: string, email: string, cookie?: string): Promise<Response> {
  const res = await fetch(await verificationLink(baseUrl, email), {
    redirect: 'manual',
    headers: cookie ? { cookie } : {},
  });
  const location = res.headers.get('location') ?? '';
  if (res.status !== 302 || location.includes('error='))
    throw new Error(`verification failed: ${res.status} ${location}`);
  return res;
}

/** A new account, signed in; its email is confirmed through the real link unless `verified: false`. */
export async function signUp(
  baseUrl: string,
  opts: { email?: string; password?: string; name?: string; verified?: boolean } = {},
): Promise<TestUser> {
  const email = opts.email ?? uniqueEmail();
  const res = await fetch(`${baseUrl}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl },
    body: JSON.stringify({ email, password: opts.password ?? 'correct-horse-battery', name: opts.name ?? 'Test User' }),
  });
  if (!res.ok) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { user: { id: string } };
  const cookie = cookieFrom(res);
  if (opts.verified !== false) await confirmEmail(baseUrl, email, cookie);
  return { id: body.user.id, email, cookie, trpc: trpcClient(baseUrl, cookie) };
}

export async function signIn(
  baseUrl: string,
  email: string,
  password: string,
): Promise<{ res: Response; cookie: string }> {
  const res = await fetch(`${baseUrl}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl },
    body: JSON.stringify({ email, password }),
  });
  return { res, cookie: cookieFrom(res) };
}

/** The tRPC error of a failed call, for asserting code and reason. */
export async function trpcError(p: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCClientError) return err as TRPCClientError<AppRouter>;
    throw err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
