// How the dashboard words durations, ages and expiries (pure functions, pinned clock).
import { describe, expect, it } from 'vitest';
import { formatAge, formatDuration, formatExpiry, formatRelative } from '@/app/_lib/time';
import { DAY_MS } from '@/platform/clock';

const now = new Date('2026-11-28T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const MIN = 60_000;
const HOUR = 60 * MIN;

describe('durations in words', () => {
  it.each([
    [0, '0 s'],
    [59_999, '59 s'],
    [MIN, '1 min'],
    [59 * MIN + 59_000, '59 min'],
    [HOUR, '1 h'],
    [3 * HOUR + 20 * MIN, '3 h 20 min'],
    [DAY_MS, '1 day'],
    [DAY_MS + 5 * HOUR, '1 day 5 h'],
    [2 * DAY_MS, '2 days'],
    [6 * DAY_MS + 23 * HOUR, '6 days'],
    [7 * DAY_MS, '7 days'],
  ])('%i ms reads "%s"', (ms, words) => {
    expect(formatDuration(ms)).toBe(words);
  });

  it('never shows a negative duration', () => {
    expect(formatDuration(-5_000)).toBe('0 s');
  });
});

describe('ages and countdowns', () => {
  it('calls the last few seconds "just now"', () => {
    expect(formatAge(ago(9_000), now)).toBe('just now');
    expect(formatAge(ago(10_000), now)).toBe('10 s ago');
    expect(formatAge(ago(5 * MIN), now)).toBe('5 min ago');
  });

  it('says "in" for the future and "ago" for the past', () => {
    expect(formatRelative(new Date(now.getTime() + 7 * DAY_MS), now)).toBe('in 7 days');
    expect(formatRelative(ago(2 * HOUR), now)).toBe('2 h ago');
  });
});

describe('pairing request expiry', () => {
  const CHANNEL_TTL = 60 * MIN;
  const DEVICE_TTL = 5 * MIN;

  it('counts a channel request down from 60 min after it was created', () => {
    expect(formatExpiry(ago(MIN), CHANNEL_TTL, now)).toEqual({
      label: 'Expires in 59 min',
      expired: false,
      soon: false,
    });
    expect(formatExpiry(ago(55 * MIN), CHANNEL_TTL, now)).toEqual({
      label: 'Expires in 5 min',
      expired: false,
      soon: true,
    });
  });

  it('counts a device request down from 5 min after it asked, and flags its last minute', () => {
    expect(formatExpiry(ago(MIN), DEVICE_TTL, now)).toEqual({ label: 'Expires in 4 min', expired: false, soon: false });
    expect(formatExpiry(ago(4 * MIN + 30_000), DEVICE_TTL, now)).toEqual({
      label: 'Expires in 30 s',
      expired: false,
      soon: true,
    });
  });

  it('says "Expired" from the moment the time is up', () => {
    expect(formatExpiry(ago(DEVICE_TTL), DEVICE_TTL, now).label).toBe('Expired');
    expect(formatExpiry(ago(2 * HOUR), CHANNEL_TTL, now).expired).toBe(true);
  });
});
