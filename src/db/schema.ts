// Every table of the system. Auth tables follow better-auth's model (property names are its field
// names); the kiloclaw_* tables are ours. Migrations are generated from this file by drizzle-kit.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { CHANNEL_KINDS } from '../contracts/channel-input';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

// ---------------------------------------------------------------- accounts (better-auth)
export const users = pgTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email').notNull().unique(),
  emailVerified: boolean('email_verified').notNull().default(false),
  image: text('image'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const authSessions = pgTable(
  'auth_sessions',
  {
    id: text('id').primaryKey(),
    expiresAt: ts('expires_at').notNull(),
    token: text('token').notNull().unique(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    ipAddress: text('ip_address'),
    userAgent: text('user_agent'),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [index('auth_sessions_user_id_idx').on(t.userId)],
);

export const authAccounts = pgTable(
  'auth_accounts',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    providerId: text('provider_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accessToken: text('access_token'),
    refreshToken: text('refresh_token'),
    idToken: text('id_token'),
    accessTokenExpiresAt: ts('access_token_expires_at'),
    refreshTokenExpiresAt: ts('refresh_token_expires_at'),
    scope: text('scope'),
    password: text('password'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('auth_accounts_user_id_idx').on(t.userId)],
);

export const authVerifications = pgTable(
  'auth_verifications',
  {
    id: text('id').primaryKey(),
    identifier: text('identifier').notNull(),
    value: text('value').notNull(),
    expiresAt: ts('expires_at').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('auth_verifications_identifier_idx').on(t.identifier)],
);

// ---------------------------------------------------------------- billing
/** Our status, not Stripe's: Stripe `trialing` on a paid plan maps to `active` (see billing/stripe-status.ts). */
export const SUBSCRIPTION_STATUSES = ['trialing', 'active', 'past_due', 'canceled', 'unpaid'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];
export const PLANS = ['standard', 'commit'] as const;
export type Plan = (typeof PLANS)[number];

export const kiloclawSubscriptions = pgTable(
  'kiloclaw_subscriptions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: text('user_id')
      .notNull()
      .unique()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: SUBSCRIPTION_STATUSES }).notNull(),
    /** null while on the free trial */
    plan: text('plan', { enum: PLANS }),
    trialStartedAt: ts('trial_started_at'),
    trialEndsAt: ts('trial_ends_at'),
    stripeCustomerId: text('stripe_customer_id'),
    stripeSubscriptionId: text('stripe_subscription_id').unique(),
    stripeScheduleId: text('stripe_schedule_id'),
    scheduledPlan: text('scheduled_plan', { enum: PLANS }),
    currentPeriodStart: ts('current_period_start'),
    currentPeriodEnd: ts('current_period_end'),
    cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
    pastDueSince: ts('past_due_since'),
    suspendedAt: ts('suspended_at'),
    destructionDeadline: ts('destruction_deadline'),
    /** `created` (unix s) of the newest Stripe subscription state written; see billing/webhooks. */
    stripeStateAt: bigint('stripe_state_at', { mode: 'number' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('kiloclaw_subscriptions_status_idx').on(t.status, t.suspendedAt),
    index('kiloclaw_subscriptions_trial_ends_idx')
      .on(t.trialEndsAt)
      .where(sql`${t.status} = 'trialing' AND ${t.suspendedAt} IS NULL`),
    // the past-due sweep's own expression: a row without past_due_since counts from its last update
    index('kiloclaw_subscriptions_past_due_idx')
      .on(sql`coalesce(${t.pastDueSince}, ${t.updatedAt})`)
      .where(sql`${t.status} = 'past_due' AND ${t.suspendedAt} IS NULL`),
    index('kiloclaw_subscriptions_suspended_idx').on(t.suspendedAt).where(sql`${t.suspendedAt} IS NOT NULL`),
    // instances still to destroy (the sweep clears the deadline): the destruction sweep reads those past
    // their deadline, the destruction warning those suspended long enough — never the destroyed history
    index('kiloclaw_subscriptions_destruction_due_idx')
      .on(t.destructionDeadline)
      .where(sql`${t.destructionDeadline} IS NOT NULL`),
    index('kiloclaw_subscriptions_destruction_pending_idx')
      .on(t.suspendedAt)
      .where(sql`${t.destructionDeadline} IS NOT NULL`),
    // instances destroyed (deadline cleared): the "instance deleted" email reads the recent ones
    index('kiloclaw_subscriptions_destroyed_idx')
      .on(t.suspendedAt)
      .where(sql`${t.suspendedAt} IS NOT NULL AND ${t.destructionDeadline} IS NULL`),
    index('kiloclaw_subscriptions_customer_idx').on(t.stripeCustomerId),
  ],
);

export const kiloclawEarlybirdPurchases = pgTable(
  'kiloclaw_earlybird_purchases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    stripeCheckoutSessionId: text('stripe_checkout_session_id').notNull().unique(),
    stripePaymentIntentId: text('stripe_payment_intent_id'),
    purchasedAt: ts('purchased_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    /** set by the earlybird-expiry sweep once it has judged this purchase after its expiry */
    expiryCheckedAt: ts('expiry_checked_at'),
  },
  (t) => [
    index('kiloclaw_earlybird_user_idx').on(t.userId, t.expiresAt),
    // the warning's window and "still valid" read only purchases not yet expired
    index('kiloclaw_earlybird_expires_idx').on(t.expiresAt),
    // the expiry sweep reads only expired purchases it has not judged yet
    index('kiloclaw_earlybird_unchecked_idx').on(t.expiresAt).where(sql`${t.expiryCheckedAt} IS NULL`),
  ],
);

export const EMAIL_TYPES = [
  'trial_ending',
  'earlybird_ending',
  'trial_expired',
  'earlybird_expired',
  'subscription_expired',
  'past_due_suspended',
  'destruction_warning',
  'instance_destroyed',
  'earlybird_refunded',
] as const;
export type EmailType = (typeof EMAIL_TYPES)[number];

export const kiloclawEmailLog = pgTable(
  'kiloclaw_email_log',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    emailType: text('email_type').notNull(),
    sentAt: ts('sent_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('kiloclaw_email_log_user_type_uq').on(t.userId, t.emailType)],
);

export const stripeWebhookEvents = pgTable('stripe_webhook_events', {
  eventId: text('event_id').primaryKey(),
  type: text('type').notNull(),
  receivedAt: ts('received_at').notNull().defaultNow(),
  processedAt: ts('processed_at'),
  receipt: text('receipt'),
});

// ---------------------------------------------------------------- instances
export const INSTANCE_STATUSES = ['provisioned', 'starting', 'running', 'stopped', 'destroying'] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export const kiloclawInstances = pgTable(
  'kiloclaw_instances',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: text('user_id')
      .notNull()
      .unique()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: INSTANCE_STATUSES }).notNull().default('provisioned'),
    provider: text('provider').notNull(),
    /** machine name at the provider; derived from the instance id, stable across restarts */
    machineName: text('machine_name').notNull(),
    machineId: text('machine_id'),
    volumeId: text('volume_id'),
    /** base URL of the controller (local provider: http://127.0.0.1:port) */
    controllerUrl: text('controller_url'),
    /** what the controller's /_kilo/version reported when the instance became ready (null: not read) */
    controllerVersion: text('controller_version'),
    startingAt: ts('starting_at'),
    statusChangedAt: ts('status_changed_at').notNull().defaultNow(),
    destroyRequestedAt: ts('destroy_requested_at'),
    /** why a stopped instance is stopped: 'suspension' (billing; resumed on reactivation) or 'user' */
    stopReason: text('stop_reason', { enum: ['user', 'suspension'] }),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('kiloclaw_instances_status_idx').on(t.status, t.statusChangedAt)],
);

export const PAIRING_KINDS = ['channels', 'devices'] as const;
export type PairingKind = (typeof PAIRING_KINDS)[number];

/** Short-lived cache of lists read through the exec fallback (never of controller answers). */
export const kiloclawPairingCache = pgTable(
  'kiloclaw_pairing_cache',
  {
    instanceId: uuid('instance_id')
      .notNull()
      .references(() => kiloclawInstances.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: PAIRING_KINDS }).notNull(),
    payload: jsonb('payload').notNull(),
    fetchedAt: ts('fetched_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.instanceId, t.kind] })],
);

/**
 * The chat channels a customer connected to their instance: part of its desired state, applied to
 * the machine on every start and repaired by the reconciler. Credentials are AES-256-GCM ciphertext
 * (src/instances/channels/token-crypto.ts); only their last 4 characters are kept in the clear.
 */
export const kiloclawInstanceChannels = pgTable(
  'kiloclaw_instance_channels',
  {
    instanceId: uuid('instance_id')
      .notNull()
      .references(() => kiloclawInstances.id, { onDelete: 'cascade' }),
    channel: text('channel', { enum: CHANNEL_KINDS }).notNull(),
    /** `<key id>.<iv>.<tag>.<ciphertext>` (base64url) of the credentials JSON */
    credentials: text('credentials').notNull(),
    /** last 4 characters of each credential, e.g. {"token":"x9Qz"}: what the dashboard may show */
    hints: jsonb('hints').$type<Record<string, string>>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.instanceId, t.channel] })],
);
