// Stripe fields that hold either an id or the expanded object (customer, price, schedule, …).

/** The id of an id-or-object field, or null when it is empty. */
export const idOf = (v: string | { id: string } | null | undefined): string | null =>
  v == null ? null : typeof v === 'string' ? v : v.id;
