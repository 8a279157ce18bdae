// How the page writes numbers, times and plans.
import { el } from './dom.js';

const numberFormat = new Intl.NumberFormat('en-US');
export const fmtNumber = (n) => numberFormat.format(Number(n) || 0);

// "2026-11-23T10:04:00Z" -> "2026-11-23 10:04 UTC", in a <time> element.
export function timeNode(iso, fallback) {
  if (!iso) return document.createTextNode(fallback || '—');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return document.createTextNode(iso);
  const text = d.toISOString();
  return el('time', { datetime: iso, title: text.slice(0, 19).replace('T', ' ') + ' UTC' }, [
    el('span', { className: 'date', text: text.slice(0, 10) }),
    ' ',
    el('span', { className: 'tod', text: text.slice(11, 16) + ' UTC' }),
  ]);
}

export function formatPlan(plan) {
  const name = plan.name || plan.id || '—';
  if (!plan.base_price_cents) return /free/i.test(name) ? name : name + ' (free)';
  return name + ' ($' + (plan.base_price_cents / 100).toFixed(2) + ' a month)';
}
