// Caps on what a person types into the account forms. The name is later rendered into emails and
// pages, so it is bounded like any other input; the email cap is the longest address SMTP carries.
// Pure (no server imports): the sign-up form reads the same numbers for its maxLength.

export const ACCOUNT_LIMITS = {
  /** a name long enough for anyone's full name; a 100 kB one was accepted before this cap */
  nameChars: 100,
  /** RFC 5321: a forward-path holds at most 256 octets including the angle brackets */
  emailChars: 254,
} as const;

/** better-auth paths whose body carries a name or an email we keep. */
const FIELDS_BY_PATH: Record<string, ReadonlyArray<'name' | 'email' | 'newEmail'>> = {
  '/sign-up/email': ['name', 'email'],
  '/update-user': ['name'],
  '/change-email': ['newEmail'],
  '/send-verification-email': ['email'],
};

/** The first problem with an account form's input, in words, or null when it is within the caps. */
export function accountInputProblem(path: string, body: unknown): string | null {
  const fields = FIELDS_BY_PATH[path];
  if (!fields || typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  for (const field of fields) {
    const value = b[field];
    if (typeof value !== 'string') continue;
    if (field === 'name' && value.trim().length > ACCOUNT_LIMITS.nameChars)
      return `Your name is too long: use at most ${ACCOUNT_LIMITS.nameChars} characters.`;
    if (field !== 'name' && value.trim().length > ACCOUNT_LIMITS.emailChars)
      return `That email address is too long: an address has at most ${ACCOUNT_LIMITS.emailChars} characters.`;
  }
  return null;
}
