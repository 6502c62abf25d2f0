// What the controller serves of a pending request: the contract shapes. The device publicKey
// and everything else openclaw keeps about a device stays inside the machine.
import type { ChannelPairingRequest, DevicePairingRequest } from '../contracts/controller';
import type { RawChannelRequest, RawDeviceRequest } from './openclaw-rules';

export function toChannelItem(channel: string, raw: RawChannelRequest): ChannelPairingRequest {
  return {
    code: raw.code,
    id: raw.id,
    channel,
    ...(raw.meta ? { meta: { ...raw.meta } } : {}),
    createdAt: raw.createdAt,
  };
}

export function toDeviceItem(raw: RawDeviceRequest): DevicePairingRequest {
  const item: DevicePairingRequest = { requestId: raw.requestId, deviceId: raw.deviceId };
  if (typeof raw.displayName === 'string') item.displayName = raw.displayName;
  if (typeof raw.role === 'string') item.role = raw.role;
  if (typeof raw.platform === 'string') item.platform = raw.platform;
  if (typeof raw.clientId === 'string') item.clientId = raw.clientId;
  if (typeof raw.ts === 'number' && Number.isFinite(raw.ts)) item.ts = raw.ts;
  return item;
}

/** Order-insensitive deep equality of JSON-like values (object key order ignored, array order kept). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => sameJson(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bkeys = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return keys.length === bkeys.length && keys.every((k) => sameJson(ao[k], bo[k]));
}
