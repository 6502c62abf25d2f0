// Facts of openclaw 2026.9.6 that both the controller (filtering) and the dashboard (expiry shown to
// people) rely on. Measured and read from openclaw's source: docs/pairing.md §2.3.
export const CHANNEL_PENDING_TTL_MS = 60 * 60_000; // openclaw CHANNEL_PAIRING_PENDING_TTL_MS
export const DEVICE_PENDING_TTL_MS = 5 * 60_000; // openclaw DEVICE_PAIRING_PENDING_TTL_MS
export const CHANNEL_PENDING_CAP = 3; // openclaw keeps at most 3 pending requests per (channel, account)
