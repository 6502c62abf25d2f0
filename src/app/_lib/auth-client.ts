// Browser side of accounts: better-auth's email endpoints via fetch, with its error codes in words.
const AUTH_TIMEOUT_MS = 15_000; // a sign-in that has not answered in 15 s is not going to

export type AuthResult = { ok: true } | { ok: false; message: string };

const AUTH_MESSAGES: Record<string, string> = {
  USER_ALREADY_EXISTS: 'An account with this email already exists. Sign in instead.',
  USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: 'An account with this email already exists. Sign in instead.',
  INVALID_EMAIL_OR_PASSWORD: 'That email and password do not match. Check them and try again.',
  INVALID_EMAIL: 'Enter a valid email address, like you@example.com.',
  PASSWORD_TOO_SHORT: 'Use at least 8 characters for your password.',
  PASSWORD_TOO_LONG: 'Use at most 128 characters for your password.',
  INVALID_ORIGIN:
    'This page was opened from an address KiloClaw does not recognise. Open it from the address shown when the app started.',
};

async function post(path: string, body: unknown): Promise<AuthResult> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      signal: AbortSignal.timeout(AUTH_TIMEOUT_MS),
    });
  } catch {
    return { ok: false, message: 'Could not reach KiloClaw. Check your connection and try again.' };
  }
  if (res.ok) return { ok: true };
  const data = (await res.json().catch(() => null)) as { code?: string; message?: string } | null;
  const known = data?.code ? AUTH_MESSAGES[data.code] : undefined;
  if (known) return { ok: false, message: known };
  if (res.status === 429) return { ok: false, message: 'Too many attempts. Please wait a minute and try again.' };
  if (res.status >= 500)
    return { ok: false, message: 'Something went wrong on our side. Please try again in a moment.' };
  return { ok: false, message: 'That did not work. Check what you entered and try again.' };
}

export const signUpEmail = (input: { name: string; email: string; password: string }) =>
  post('/api/auth/sign-up/email', input);
export const signInEmail = (input: { email: string; password: string }) => post('/api/auth/sign-in/email', input);
export const signOut = () => post('/api/auth/sign-out', {});
