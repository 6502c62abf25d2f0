// Words for the states the server reports. Status is always shown as text, never by colour alone.
import type { InstanceStatus, Plan, SubscriptionStatus } from '@/db/schema';
import type { ChannelView } from '@/instances/channels/channel-service';

/** A status badge's colour (`badge-<tone>`), always next to the words. */
type BadgeTone = 'ok' | 'warn' | 'bad' | 'neutral';

export const PLAN_NAMES: Record<Plan, { name: string; detail: string }> = {
  standard: { name: 'Standard', detail: 'Billed monthly, cancel any time.' },
  commit: { name: 'Commit', detail: 'A 6-month commitment at a lower price.' },
};

export const SUBSCRIPTION_STATUS_LABELS: Record<SubscriptionStatus | 'none', { label: string; tone: BadgeTone }> = {
  none: { label: 'No plan yet', tone: 'neutral' },
  trialing: { label: 'Free trial', tone: 'ok' },
  active: { label: 'Active', tone: 'ok' },
  past_due: { label: 'Payment failed', tone: 'warn' },
  canceled: { label: 'Canceled', tone: 'bad' },
  unpaid: { label: 'Unpaid', tone: 'bad' },
};

export const INSTANCE_STATUS_LABELS: Record<
  InstanceStatus | 'none',
  { label: string; tone: BadgeTone; detail: string }
> = {
  none: { label: 'Not created', tone: 'neutral', detail: 'Start your instance to create its machine.' },
  provisioned: { label: 'Ready to start', tone: 'neutral', detail: 'Your machine is set up but not running.' },
  starting: {
    label: 'Starting…',
    tone: 'warn',
    detail: 'Your assistant is starting. This usually takes under a minute.',
  },
  running: { label: 'Running', tone: 'ok', detail: 'Your assistant is online.' },
  stopped: { label: 'Stopped', tone: 'neutral', detail: 'Your assistant is offline. Your settings and data are kept.' },
  destroying: { label: 'Deleting…', tone: 'bad', detail: 'Your machine and its data are being deleted.' },
};

export const CHANNEL_STATE_LABELS: Record<ChannelView['state'], { label: string; tone: BadgeTone }> = {
  not_connected: { label: 'Not connected', tone: 'neutral' },
  stopped: { label: 'Saved — applied when your instance starts', tone: 'neutral' },
  pending: { label: 'Applying…', tone: 'warn' },
  configured: { label: 'Configured', tone: 'neutral' },
  connecting: { label: 'Connecting…', tone: 'warn' },
  connected: { label: 'Connected', tone: 'ok' },
  error: { label: 'Connection error', tone: 'bad' },
  unknown: { label: 'Status unknown', tone: 'warn' },
};

/** The plans on offer, in display order (typed by PLAN_NAMES, so a new plan cannot be forgotten here). */
export const PLAN_CHOICES = Object.keys(PLAN_NAMES) as Plan[];
