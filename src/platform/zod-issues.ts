// Zod issues as sentences a person reads: "field.path: message", without repeating a path the
// message already names. Every place that turns a zod failure into text uses these.
import type { z } from 'zod';

/** The dotted path of an issue ('' for the value itself). */
export const issuePath = (issue: z.core.$ZodIssue): string => issue.path.map(String).join('.');

/** One issue: its message, prefixed with its path unless the message already names it. */
export function issueText(issue: z.core.$ZodIssue): string {
  const path = issuePath(issue);
  return path && !issue.message.includes(path) ? `${path}: ${issue.message}` : issue.message;
}

/** Every issue of a failed parse, joined into one line. */
export const describeIssues = (error: z.ZodError, separator = '; '): string =>
  error.issues.map(issueText).join(separator);
