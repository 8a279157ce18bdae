// The keys panel: every page of the list, one table per environment, each key's status (a leaked key marked,
// with where it was found), the addresses it may be used from, and its actions.
import { allowedIpsNode } from './allowed-ips.js';
import { api } from './api.js';
import { MAX_PAGE_LIMIT } from './constants.js';
import { $, el, isolated, showAlert, showError, userText } from './dom.js';
import { timeNode } from './format.js';
import { leakPlace } from './leak.js';
import { isCurrent, ownPrefix, state } from './state.js';

// A key that stops working within this long is shown as "Expires soon".
const SOON_MS = 7 * 24 * 3600 * 1000;
const KEY_COLUMNS = ['Name', 'Prefix', 'Scopes', 'Allowed IPs', 'Created', 'Last used', 'Expires', 'Status'];

// `openers`: {edit, roll, revoke}, each opening its dialog about a key of the list.
export function initKeys(openers) {
  $('refresh-keys').addEventListener('click', () => loadKeys());
  $('keys-section').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button || !state.canManageKeys) return;
    const k = state.keys.find((x) => x.id === button.dataset.keyId);
    if (!k) return;
    state.dialogKey = k;
    if (button.dataset.action === 'revoke') openers.revoke(k);
    else if (button.dataset.action === 'roll') openers.roll(k);
    else if (button.dataset.action === 'edit') openers.edit(k);
  });
}

export async function loadKeys() {
  const mySession = state.session;
  showAlert('keys-alert', '');
  $('keys-loading').hidden = false;
  const all = [];
  try {
    let after = null;
    for (;;) {
      const query = '?limit=' + MAX_PAGE_LIMIT + (after ? '&starting_after=' + encodeURIComponent(after) : '');
      const page = await api('GET', '/v1/account/api-keys' + query);
      const items = Array.isArray(page.data) ? page.data : [];
      all.push(...items);
      if (!page.has_more || items.length === 0) break;
      after = items[items.length - 1].id;
    }
  } catch (err) {
    if (!isCurrent(mySession)) return;
    $('keys-loading').hidden = true;
    if (err.status === 403 && err.code === 'insufficient_scope') {
      state.canManageKeys = false;
      $('keys-note').textContent =
        'This key can read the account and its usage. Listing, creating, rolling and revoking keys needs a key with the admin scope.';
      $('keys-note').hidden = false;
      $('open-create').hidden = true;
      $('refresh-keys').hidden = true;
      return;
    }
    showError('keys-alert', err);
    return;
  }
  if (!isCurrent(mySession)) return;
  $('keys-loading').hidden = true;
  state.canManageKeys = true;
  state.keys = all;
  $('keys-note').hidden = true;
  $('open-create').hidden = false;
  $('refresh-keys').hidden = false;
  renderKeys();
}

export function resetKeys() {
  for (const env of ['live', 'test']) {
    $(env + '-keys').hidden = true;
    $(env + '-keys-table').tHead.replaceChildren();
    $(env + '-keys-table').tBodies[0].replaceChildren();
  }
  $('keys-note').hidden = true;
  $('keys-loading').hidden = true;
  $('open-create').hidden = true;
  $('refresh-keys').hidden = true;
}

// active | rolled (expires soon) | expiring (expires soon) | expired | revoked | leaked (revoked when secret
// scanning found it in public)
function keyStatus(k, now) {
  if (k.revoked_at && k.revoked_reason === 'leaked') return { id: 'leaked', label: 'Leaked', detail: 'leaked' };
  if (k.revoked_at) return { id: 'revoked', label: 'Revoked' };
  const expires = k.expires_at ? Date.parse(k.expires_at) : null;
  if (!k.is_active || (expires !== null && expires <= now)) return { id: 'expired', label: 'Expired' };
  if (k.replaced_by) return { id: 'soon', label: 'Expires soon', detail: 'rolled' };
  if (expires !== null && expires - now < SOON_MS) return { id: 'soon', label: 'Expires soon' };
  return { id: 'active', label: 'Active' };
}

function renderKeys() {
  const now = Date.now();
  const own = ownPrefix();
  const byId = new Map(state.keys.map((k) => [k.id, k]));
  const environments = state.environment === 'test' ? ['test'] : ['live', 'test'];
  for (const env of ['live', 'test']) {
    const group = $(env + '-keys');
    if (!environments.includes(env)) {
      group.hidden = true;
      continue;
    }
    const list = state.keys.filter((k) => k.environment === env);
    group.hidden = false;
    $(env + '-keys-count').textContent = '(' + list.length + ')';
    $(env + '-keys-empty').hidden = list.length > 0;
    const table = $(env + '-keys-table');
    table.hidden = list.length === 0;
    const columns = state.canManageKeys ? KEY_COLUMNS.concat(['Actions']) : KEY_COLUMNS;
    // Explicit roles: on a phone the table is restyled as cards (display: block), which would drop them.
    table.setAttribute('role', 'table');
    table.tHead.setAttribute('role', 'rowgroup');
    table.tBodies[0].setAttribute('role', 'rowgroup');
    table.tHead.replaceChildren(
      el('tr', { role: 'row' }, columns.map((c) => el('th', { scope: 'col', role: 'columnheader', text: c }))),
    );
    table.tBodies[0].replaceChildren(...list.map((k) => keyRow(k, now, own, byId)));
  }
}

// One cell: its label (shown beside the value when the table stacks on a phone) and one wrapper for its content.
function cell(label, children, className) {
  return el('td', { role: 'cell', dataset: { label }, className }, [el('div', { className: 'cell-value' }, children)]);
}

function keyRow(k, now, own, byId) {
  const status = keyStatus(k, now);
  const isOwn = own !== null && k.key_prefix === own;
  const statusParts = [el('span', { className: 'status status-' + status.id, text: status.label })];
  if (status.detail === 'leaked') {
    statusParts.push(el('span', { className: 'status-detail leak-detail' }, leakPlace(k.leak)));
  } else if (status.detail === 'rolled') {
    const successor = byId.get(k.replaced_by);
    statusParts.push(
      el('span', { className: 'status-detail' }, [
        'Rolled' + (successor ? ' to ' + successor.key_prefix : '') + '; works until ',
        timeNode(k.expires_at),
      ]),
    );
  } else if (k.replaces && byId.get(k.replaces)) {
    statusParts.push(el('span', { className: 'status-detail', text: 'Replaces ' + byId.get(k.replaces).key_prefix }));
  }
  const cells = [
    cell('Name', [userText(k.name), isOwn ? el('span', { className: 'tag', text: 'this key' }) : null], 'key-name'),
    cell('Prefix', [el('code', { text: k.key_prefix })]),
    cell('Scopes', [el('span', { className: 'scopes' }, (k.scopes || []).map((s) => el('span', { className: 'scope', text: s })))]),
    cell('Allowed IPs', [allowedIpsNode(k.allowed_ips)], 'key-ips'),
    cell('Created', [timeNode(k.created_at)]),
    cell('Last used', [timeNode(k.last_used_at, 'Never')]),
    cell('Expires', [timeNode(k.expires_at, 'Never')]),
    cell('Status', statusParts),
  ];
  if (state.canManageKeys) cells.push(cell('Actions', keyActions(k, status), 'actions'));
  return el('tr', { role: 'row', dataset: { keyId: k.id, status: status.id } }, cells);
}

function keyActions(k, status) {
  const out = [];
  const usable = status.id === 'active' || status.id === 'soon';
  const label = (verb) => verb + ' key ' + isolated(k.name) + ' (' + k.key_prefix + ')';
  if (usable) {
    out.push(el('button', { type: 'button', className: 'btn btn-small btn-secondary', 'aria-label': label('Edit'), text: 'Edit', dataset: { action: 'edit', keyId: k.id } }));
  }
  if (usable && !k.replaced_by) {
    out.push(el('button', { type: 'button', className: 'btn btn-small btn-secondary', 'aria-label': label('Roll'), text: 'Roll', dataset: { action: 'roll', keyId: k.id } }));
  }
  if (usable) {
    out.push(el('button', { type: 'button', className: 'btn btn-small btn-danger-outline', 'aria-label': label('Revoke'), text: 'Revoke', dataset: { action: 'revoke', keyId: k.id } }));
  }
  if (out.length === 0) out.push(el('span', { className: 'muted no-actions', text: 'None' }));
  return out;
}
