// The React Query keys of the two pairing lists (shared by the panel and the lists' approve actions).
export const CHANNELS_KEY = ['pairing', 'channels'] as const;
export const DEVICES_KEY = ['pairing', 'devices'] as const;
