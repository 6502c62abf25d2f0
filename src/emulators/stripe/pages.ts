// The hosted pages a browser sees: checkout (a "Pay" button that completes the session) and a minimal
// billing portal. Plain HTML, no scripts.
import type { StripeState } from './state';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const money = (cents: number, cur: string) => `${(cents / 100).toFixed(2)} ${cur.toUpperCase()}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1a1a2e}
.card{border:1px solid #ddd;border-radius:12px;padding:1.5rem}
button{background:#635bff;color:#fff;border:0;border-radius:6px;padding:.7rem 1.4rem;font-size:1rem;cursor:pointer}
.muted{color:#666;font-size:.9rem}</style></head><body><p class="muted">Stripe emulator (test mode)</p>${body}</body></html>`;
}

export function checkoutPage(st: StripeState, sessionId: string): { status: number; html: string } {
  const s = st.sessions.get(sessionId);
  if (!s) return { status: 404, html: page('Not found', '<p>This checkout session does not exist.</p>') };
  if (s.status !== 'open')
    return { status: 410, html: page('Checkout finished', `<p>This checkout session is ${esc(s.status)}.</p>`) };
  const lines = s.line_items_internal
    .map((l) => {
      const p = st.prices.get(l.price)!;
      const r = p.recurring;
      const per = r ? ` every ${r.interval_count > 1 ? `${r.interval_count} ${r.interval}s` : r.interval}` : '';
      return `<li>${esc(p.nickname ?? p.id)} — ${money(p.unit_amount * l.quantity, p.currency)}${per}</li>`;
    })
    .join('');
  return {
    status: 200,
    html: page(
      'Pay',
      `<div class="card"><h1>Checkout</h1><ul>${lines}</ul><p class="muted">${esc(s.customer_email ?? '')}</p>
<form method="post" action="/checkout/${esc(s.id)}/pay">
<button type="submit" id="pay">Pay ${money(s.amount_total, s.currency)}</button></form>
${s.cancel_url ? `<p><a href="${esc(s.cancel_url)}">Cancel</a></p>` : ''}</div>`,
    ),
  };
}

export function portalPage(st: StripeState, portalId: string): { status: number; html: string } {
  const ps = st.portalSessions.get(portalId);
  if (!ps) return { status: 404, html: page('Not found', '<p>This portal session does not exist.</p>') };
  const subs = [...st.subscriptions.values()].filter((s) => s.customer === ps.customer);
  const rows = subs
    .map((s) => {
      const item = s.items.data[0];
      const end = item ? new Date(item.current_period_end * 1000).toISOString().slice(0, 10) : '—';
      const cancels = s.cancel_at_period_end ? ' (cancels at period end)' : '';
      return `<li>${esc(item?.price.nickname ?? s.id)}: ${esc(s.status)}${cancels}, period ends ${end}</li>`;
    })
    .join('');
  return {
    status: 200,
    html: page(
      'Billing portal',
      `<div class="card"><h1>Billing</h1><ul>${rows || '<li>No subscriptions</li>'}</ul>
<p class="muted">Payment method: test card •••• 4242</p>${ps.return_url ? `<p><a href="${esc(ps.return_url)}">Back</a></p>` : ''}</div>`,
    ),
  };
}
