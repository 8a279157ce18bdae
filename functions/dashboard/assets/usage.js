// The usage panel: requests per day (live, billable, and test, free) as a bar chart and a table, and per key.
import { api } from './api.js';
import { $, el, showAlert, showError, userText } from './dom.js';
import { fmtNumber } from './format.js';
import { isCurrent, state } from './state.js';

export function initUsage() {
  $('usage-form').addEventListener('submit', submitUsage);
}

export async function loadUsage(from, to) {
  const mySession = state.session;
  showAlert('usage-alert', '');
  const params = new URLSearchParams();
  if (from) params.set('from', from);
  if (to) params.set('to', to);
  const query = params.toString();
  let usage;
  try {
    usage = (await api('GET', '/v1/account/usage' + (query ? '?' + query : ''))).data;
  } catch (err) {
    if (!isCurrent(mySession)) return;
    showError('usage-alert', err);
    return;
  }
  if (!isCurrent(mySession)) return;
  renderUsage(usage);
}

export function resetUsage() {
  $('usage-body').hidden = true;
  $('usage-note').hidden = true;
  $('usage-plot').replaceChildren();
  $('usage-table').tBodies[0].replaceChildren();
  $('usage-by-key').tBodies[0].replaceChildren();
  $('usage-totals').textContent = '';
  $('usage-from').value = '';
  $('usage-to').value = '';
}

function niceCeiling(n) {
  if (n <= 0) return 1;
  const magnitude = Math.pow(10, Math.floor(Math.log10(n)));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= n) return Math.max(1, Math.round(step * magnitude));
  }
  return n;
}

function renderUsage(usage) {
  const days = Array.isArray(usage.days) ? usage.days : [];
  const totals = usage.totals || {};
  $('usage-from').value = usage.from || '';
  $('usage-to').value = usage.to || '';
  const live = Number(totals.live_requests) || 0;
  const test = Number(totals.test_requests) || 0;

  $('usage-totals').replaceChildren(
    el('span', { className: 'total total-live' }, [el('strong', { text: fmtNumber(live) }), ' live requests (billable)']),
    el('span', { className: 'total total-test' }, [el('strong', { text: fmtNumber(test) }), ' test requests (free)']),
  );
  const note = $('usage-note');
  if (state.environment === 'test') {
    note.textContent = 'Signed in with a test key: only test usage is shown.';
    note.hidden = false;
  } else {
    note.hidden = true;
  }
  $('usage-caption').textContent =
    'Requests per day, ' + (usage.from || '?') + ' to ' + (usage.to || '?') + ' (UTC)';

  const max = niceCeiling(Math.max(0, ...days.map((d) => (Number(d.live_requests) || 0) + (Number(d.test_requests) || 0))));
  $('usage-axis-max').textContent = fmtNumber(max);
  $('usage-axis-mid').textContent = max % 2 === 0 ? fmtNumber(max / 2) : '';
  const plot = $('usage-plot');
  plot.setAttribute(
    'aria-label',
    'Bar chart of requests per day from ' + usage.from + ' to ' + usage.to + ': ' + fmtNumber(live) +
      ' live and ' + fmtNumber(test) + ' test requests in all. The same numbers are in the table below.',
  );
  const labelEvery = days.length <= 10 ? 1 : days.length <= 40 ? 7 : Math.ceil(days.length / 6);
  plot.replaceChildren(
    ...days.map((d, i) => {
      const l = Number(d.live_requests) || 0;
      const t = Number(d.test_requests) || 0;
      const stack = el('div', { className: 'bar-stack' });
      const liveBar = el('div', { className: 'bar bar-live' + (l > 0 ? ' nonzero' : '') });
      const testBar = el('div', { className: 'bar bar-test' + (t > 0 ? ' nonzero' : '') });
      liveBar.style.height = (l / max) * 100 + '%'; // CSSOM: allowed by style-src 'self'
      testBar.style.height = (t / max) * 100 + '%';
      stack.append(testBar, liveBar);
      const last = days.length - 1;
      // Every labelEvery-th day, and the last one unless it would crowd the one before it.
      const showLabel = (i % labelEvery === 0 && (last - i >= labelEvery / 2 || i === last)) ||
        (i === last && last % labelEvery >= labelEvery / 2);
      const dayLabel = String(d.date || '').slice(8, 10).replace(/^0/, '');
      return el('div', { className: 'bar-col', title: d.date + ': ' + fmtNumber(l) + ' live, ' + fmtNumber(t) + ' test', dataset: { date: d.date } }, [
        stack,
        el('span', { className: 'bar-label', 'aria-hidden': 'true', text: showLabel ? dayLabel : '' }),
      ]);
    }),
  );

  $('usage-table').tBodies[0].replaceChildren(
    ...days.map((d) =>
      el('tr', null, [
        el('th', { scope: 'row', text: d.date }),
        el('td', { className: 'num', text: fmtNumber(d.live_requests) }),
        el('td', { className: 'num', text: fmtNumber(d.test_requests) }),
      ]),
    ),
  );

  const byKey = new Map();
  for (const d of days) {
    for (const k of d.keys || []) {
      const row = byKey.get(k.id) || { id: k.id, name: k.name, key_prefix: k.key_prefix, environment: k.environment, requests: 0 };
      row.requests += Number(k.requests) || 0;
      byKey.set(k.id, row);
    }
  }
  const rows = Array.from(byKey.values()).filter((r) => r.requests > 0).sort((a, b) => b.requests - a.requests);
  $('usage-by-key').hidden = rows.length === 0;
  $('usage-by-key-empty').hidden = rows.length > 0;
  $('usage-by-key').tBodies[0].replaceChildren(
    ...rows.map((r) =>
      el('tr', null, [
        el('td', null, [
          el('span', { className: 'by-key-name' }, [userText(r.name)]),
          ' ',
          el('span', { className: 'env env-' + (r.environment === 'test' ? 'test' : 'live'), text: r.environment === 'test' ? 'test' : 'live' }),
          ' ',
          el('code', { text: r.key_prefix }),
        ]),
        el('td', { className: 'num', text: fmtNumber(r.requests) }),
      ]),
    ),
  );
  $('usage-body').hidden = false;
}

function submitUsage(event) {
  event.preventDefault();
  const from = $('usage-from').value;
  const to = $('usage-to').value;
  if (from && to && from > to) {
    showAlert('usage-alert', '“From” must be on or before “To”.');
    return;
  }
  loadUsage(from, to);
}
