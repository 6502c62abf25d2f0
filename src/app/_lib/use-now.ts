'use client';
// The current time, re-read every `intervalMs`, so countdowns and ages move while the page is open.
import { useEffect, useState } from 'react';

export function useNow(intervalMs = 15_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const id = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}
