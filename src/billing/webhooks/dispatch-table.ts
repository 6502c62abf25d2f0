// Event type → handler. A type missing here is acknowledged with 200 and ignored.
import type Stripe from 'stripe';
import { checkoutSessionAsyncPaymentFailed } from './handlers/checkout-session-async-payment-failed';
import { checkoutSessionAsyncPaymentSucceeded } from './handlers/checkout-session-async-payment-succeeded';
import { checkoutSessionCompleted } from './handlers/checkout-session-completed';
import { customerSubscriptionCreated } from './handlers/customer-subscription-created';
import { customerSubscriptionDeleted } from './handlers/customer-subscription-deleted';
import { customerSubscriptionUpdated } from './handlers/customer-subscription-updated';
import { invoicePaid } from './handlers/invoice-paid';
import { invoicePaymentFailed } from './handlers/invoice-payment-failed';
import { subscriptionScheduleAborted } from './handlers/subscription-schedule-aborted';
import { subscriptionScheduleCanceled } from './handlers/subscription-schedule-canceled';
import { subscriptionScheduleCompleted } from './handlers/subscription-schedule-completed';
import { subscriptionScheduleCreated } from './handlers/subscription-schedule-created';
import { subscriptionScheduleReleased } from './handlers/subscription-schedule-released';
import { subscriptionScheduleUpdated } from './handlers/subscription-schedule-updated';
import type { EventOf, HandlerContext, HandlerResult, WebhookHandler } from './types';

const HANDLERS = {
  'checkout.session.completed': checkoutSessionCompleted,
  'checkout.session.async_payment_succeeded': checkoutSessionAsyncPaymentSucceeded,
  'checkout.session.async_payment_failed': checkoutSessionAsyncPaymentFailed,
  'customer.subscription.created': customerSubscriptionCreated,
  'customer.subscription.updated': customerSubscriptionUpdated,
  'customer.subscription.deleted': customerSubscriptionDeleted,
  'subscription_schedule.created': subscriptionScheduleCreated,
  'subscription_schedule.updated': subscriptionScheduleUpdated,
  'subscription_schedule.released': subscriptionScheduleReleased,
  'subscription_schedule.canceled': subscriptionScheduleCanceled,
  'subscription_schedule.completed': subscriptionScheduleCompleted,
  'subscription_schedule.aborted': subscriptionScheduleAborted,
  'invoice.paid': invoicePaid,
  'invoice.payment_failed': invoicePaymentFailed,
} satisfies { [T in Stripe.Event['type']]?: WebhookHandler<T> };

export type HandledEventType = keyof typeof HANDLERS;

export function isHandled(type: string): type is HandledEventType {
  return Object.hasOwn(HANDLERS, type);
}

/** Runs the handler of `type`. The table's `satisfies` clause is what ties each handler to its event type. */
export function dispatch(ctx: HandlerContext, type: HandledEventType, event: Stripe.Event): Promise<HandlerResult> {
  const handler = HANDLERS[type] as unknown as (
    c: HandlerContext,
    e: EventOf<HandledEventType>,
  ) => Promise<HandlerResult>;
  return handler(ctx, event as EventOf<HandledEventType>);
}
