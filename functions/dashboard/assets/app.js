// Memory API dashboard. Plain JavaScript, no library, no build step.
//
// The signed-in key lives in `apiKey` (this closure) and in this tab's sessionStorage, nowhere else: never
// in the URL, localStorage, a cookie, the DOM or the console. The one place a full key is ever written into
// the page is the new-key dialog, right after the API created it; closing that dialog wipes it.
// Everything the API sends is written with textContent, never as HTML.
'use strict';

(function () {
  const STORAGE_ITEM = 'memory-api-dashboard.key';
  const SCOPES = ['read', 'write', 'delete', 'admin'];
  const PAGE_SIZE = 100;
  const SOON_MS = 7 * 24 * 3600 * 1000;

  let apiKey = null; // the signed-in key
  let keyEnvironment = null; // 'live' | 'test', from the key's own prefix
  let session = 0; // bumped on every sign-in and sign-out: answers of an older session are dropped
  let signedIn = false; // the key was accepted by GET /v1/account
  let canManageKeys = false;
  let keys = []; // the list, as the API gave it
  let dialogKey = null; // the key object an open revoke / roll / edit dialog is about
  // {body, key}: the same create or roll, retried (after a 503, say), keeps its Idempotency-Key, so a retry
  // cannot make a second key; changing the fields makes a new one.
  let createIdempotency = null;
  let rollIdempotency = null;

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(message, code, status, param) {
      super(message);
      this.code = code;
      this.status = status;
      this.param = param;
    }
  }

  async function api(method, path, body, extraHeaders) {
    const mySession = session;
    const headers = { Accept: 'application/json', Authorization: 'Bearer ' + apiKey };
    if (extraHeaders) Object.assign(headers, extraHeaders);
    const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (_) {
      throw new ApiError('Could not reach the service. Check your connection and try again.', 'network_error', 0);
    }
    let payload = null;
    try {
      payload = await response.json();
    } catch (_) {
      payload = null;
    }
    if (mySession !== session) throw new ApiError('Signed out.', 'stale_session', 0);
    if (response.ok && payload && payload.success === true) return payload;
    if (payload && payload.success === false && payload.error && typeof payload.error.message === 'string') {
      const e = payload.error;
      const err = new ApiError(e.message, e.code, response.status, e.param);
      if (response.status === 401) expireSession(err);
      throw err;
    }
    const requestId = response.headers.get('x-request-id');
    throw new ApiError(
      'The service answered HTTP ' + response.status + ' without a message' +
        (requestId ? ' (request id ' + requestId + ').' : '.'),
      'unexpected_response',
      response.status,
    );
  }

  // The key stopped working while the page was open (revoked, expired): sign out, say why.
  function expireSession(err) {
    if (!signedIn) return;
    signOut();
    showAlert('global-alert', 'You were signed out: ' + err.message);
  }

  // ---------------------------------------------------------------- small helpers

  function el(tag, props, children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [name, value] of Object.entries(props)) {
        if (value === undefined || value === null || value === false) continue;
        if (name === 'text') node.textContent = value;
        else if (name === 'className') node.className = value;
        else if (name === 'dataset') Object.assign(node.dataset, value);
        else if (name === 'hidden') node.hidden = true;
        else node.setAttribute(name, value === true ? '' : String(value));
      }
    }
    for (const child of children || []) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function showAlert(id, message) {
    const node = $(id);
    node.textContent = message || '';
  }

  function clearAlerts() {
    for (const node of document.querySelectorAll('.alert')) node.textContent = '';
  }

  function showError(id, err) {
    if (err && err.code === 'stale_session') return;
    if (err && err.status === 401 && !signedIn) return; // expireSession already said it
    showAlert(id, err && err.message ? err.message : String(err));
  }

  function setStatus(id, message) {
    $(id).textContent = message || '';
  }

  const numberFormat = new Intl.NumberFormat('en-US');
  const fmtNumber = (n) => numberFormat.format(Number(n) || 0);

  // "2026-11-23T10:04:00Z" -> "2026-11-23 10:04 UTC", in a <time> element.
  function timeNode(iso, fallback) {
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

  function formatPlan(plan) {
    const name = plan.name || plan.id || '—';
    if (!plan.base_price_cents) return /free/i.test(name) ? name : name + ' (free)';
    return name + ' ($' + (plan.base_price_cents / 100).toFixed(2) + ' a month)';
  }

  function environmentOfKey(key) {
    return key.startsWith('mem_test_') ? 'test' : 'live';
  }

  function randomId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function idempotencyFor(previous, body) {
    const fingerprint = JSON.stringify(body);
    if (previous && previous.body === fingerprint) return previous;
    return { body: fingerprint, key: randomId() };
  }

  // ---------------------------------------------------------------- sign in / out

  async function signIn(key, fromStorage) {
    clearAlerts();
    setStatus('global-status', '');
    apiKey = key;
    keyEnvironment = environmentOfKey(key);
    const mySession = ++session;
    const button = $('sign-in-button');
    button.disabled = true;
    let account;
    try {
      account = (await api('GET', '/v1/account')).data;
    } catch (err) {
      if (mySession !== session) return;
      apiKey = null;
      keyEnvironment = null;
      sessionStorage.removeItem(STORAGE_ITEM);
      showAlert('global-alert', err.message);
      button.disabled = false;
      $('api-key-input').focus();
      return;
    } finally {
      button.disabled = false;
    }
    if (mySession !== session) return;
    signedIn = true;
    sessionStorage.setItem(STORAGE_ITEM, key);
    $('api-key-input').value = '';
    renderAccount(account);
    $('mode-badge').textContent = keyEnvironment === 'test' ? 'Test mode' : 'Live mode';
    $('mode-badge').className = 'mode-badge mode-' + keyEnvironment;
    $('sign-in-view').hidden = true;
    $('dashboard-view').hidden = false;
    $('session-bar').hidden = false;
    if (!fromStorage) $('dashboard-heading').focus();
    loadUsage();
    loadKeys();
  }

  function signOut() {
    session++;
    signedIn = false;
    apiKey = null;
    keyEnvironment = null;
    canManageKeys = false;
    keys = [];
    dialogKey = null;
    createIdempotency = null;
    rollIdempotency = null;
    sessionStorage.removeItem(STORAGE_ITEM);
    for (const dialog of document.querySelectorAll('dialog')) {
      if (dialog.open) dialog.close();
    }
    wipeNewKey();
    resetDashboard();
    clearAlerts();
    $('dashboard-view').hidden = true;
    $('session-bar').hidden = true;
    $('sign-in-view').hidden = false;
    $('api-key-input').value = '';
  }

  function resetDashboard() {
    for (const id of ['account-name', 'account-email', 'account-plan', 'account-status', 'account-id', 'account-created']) {
      $(id).textContent = '';
    }
    $('mode-badge').textContent = '';
    $('usage-body').hidden = true;
    $('usage-note').hidden = true;
    $('usage-plot').replaceChildren();
    $('usage-table').tBodies[0].replaceChildren();
    $('usage-by-key').tBodies[0].replaceChildren();
    $('usage-totals').textContent = '';
    $('usage-from').value = '';
    $('usage-to').value = '';
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

  // ---------------------------------------------------------------- account

  function renderAccount(account) {
    $('account-name').textContent = account.name;
    $('account-email').textContent = account.email;
    const plan = account.plan || {};
    $('account-plan').textContent = formatPlan(plan);
    $('account-status').textContent = account.is_active ? 'Active' : 'Inactive';
    $('account-id').textContent = account.org_id;
    $('account-created').replaceChildren(timeNode(account.created_at));
  }

  // ---------------------------------------------------------------- keys

  async function loadKeys() {
    const mySession = session;
    showAlert('keys-alert', '');
    $('keys-loading').hidden = false;
    const all = [];
    try {
      let after = null;
      for (;;) {
        const query = '?limit=' + PAGE_SIZE + (after ? '&starting_after=' + encodeURIComponent(after) : '');
        const page = await api('GET', '/v1/account/api-keys' + query);
        const items = Array.isArray(page.data) ? page.data : [];
        all.push(...items);
        if (!page.has_more || items.length === 0) break;
        after = items[items.length - 1].id;
      }
    } catch (err) {
      if (mySession !== session) return;
      $('keys-loading').hidden = true;
      if (err.status === 403 && err.code === 'insufficient_scope') {
        canManageKeys = false;
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
    if (mySession !== session) return;
    $('keys-loading').hidden = true;
    canManageKeys = true;
    keys = all;
    $('keys-note').hidden = true;
    $('open-create').hidden = false;
    $('refresh-keys').hidden = false;
    renderKeys();
  }

  // active | rolled (expires soon) | expiring (expires soon) | expired | revoked
  function keyStatus(k, now) {
    if (k.revoked_at) return { id: 'revoked', label: 'Revoked' };
    const expires = k.expires_at ? Date.parse(k.expires_at) : null;
    if (!k.is_active || (expires !== null && expires <= now)) return { id: 'expired', label: 'Expired' };
    if (k.replaced_by) return { id: 'soon', label: 'Expires soon', detail: 'rolled' };
    if (expires !== null && expires - now < SOON_MS) return { id: 'soon', label: 'Expires soon' };
    return { id: 'active', label: 'Active' };
  }

  const KEY_COLUMNS = ['Name', 'Prefix', 'Scopes', 'Created', 'Last used', 'Expires', 'Status'];

  function renderKeys() {
    const now = Date.now();
    const ownPrefix = apiKey ? apiKey.slice(0, 15) + '...' : null;
    const byId = new Map(keys.map((k) => [k.id, k]));
    const environments = keyEnvironment === 'test' ? ['test'] : ['live', 'test'];
    for (const env of ['live', 'test']) {
      const group = $(env + '-keys');
      if (!environments.includes(env)) {
        group.hidden = true;
        continue;
      }
      const list = keys.filter((k) => k.environment === env);
      group.hidden = false;
      $(env + '-keys-count').textContent = '(' + list.length + ')';
      $(env + '-keys-empty').hidden = list.length > 0;
      const table = $(env + '-keys-table');
      table.hidden = list.length === 0;
      const columns = canManageKeys ? KEY_COLUMNS.concat(['Actions']) : KEY_COLUMNS;
      // Explicit roles: on a phone the table is restyled as cards (display: block), which would drop them.
      table.setAttribute('role', 'table');
      table.tHead.setAttribute('role', 'rowgroup');
      table.tBodies[0].setAttribute('role', 'rowgroup');
      table.tHead.replaceChildren(
        el('tr', { role: 'row' }, columns.map((c) => el('th', { scope: 'col', role: 'columnheader', text: c }))),
      );
      table.tBodies[0].replaceChildren(...list.map((k) => keyRow(k, now, ownPrefix, byId)));
    }
  }

  // One cell: its label (shown beside the value when the table stacks on a phone) and one wrapper for its content.
  function cell(label, children, className) {
    return el('td', { role: 'cell', dataset: { label }, className }, [el('div', { className: 'cell-value' }, children)]);
  }

  function keyRow(k, now, ownPrefix, byId) {
    const status = keyStatus(k, now);
    const isOwn = ownPrefix !== null && k.key_prefix === ownPrefix;
    const statusParts = [el('span', { className: 'status status-' + status.id, text: status.label })];
    if (status.detail === 'rolled') {
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
      cell('Name', [el('span', { text: k.name }), isOwn ? el('span', { className: 'tag', text: 'this key' }) : null], 'key-name'),
      cell('Prefix', [el('code', { text: k.key_prefix })]),
      cell('Scopes', [el('span', { className: 'scopes' }, (k.scopes || []).map((s) => el('span', { className: 'scope', text: s })))]),
      cell('Created', [timeNode(k.created_at)]),
      cell('Last used', [timeNode(k.last_used_at, 'Never')]),
      cell('Expires', [timeNode(k.expires_at, 'Never')]),
      cell('Status', statusParts),
    ];
    if (canManageKeys) cells.push(cell('Actions', keyActions(k, status), 'actions'));
    return el('tr', { role: 'row', dataset: { keyId: k.id, status: status.id } }, cells);
  }

  function keyActions(k, status) {
    const out = [];
    const usable = status.id === 'active' || status.id === 'soon';
    const label = (verb) => verb + ' key ' + k.name + ' (' + k.key_prefix + ')';
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

  function onKeyAction(event) {
    const button = event.target.closest('button[data-action]');
    if (!button || !canManageKeys) return;
    const k = keys.find((x) => x.id === button.dataset.keyId);
    if (!k) return;
    dialogKey = k;
    if (button.dataset.action === 'revoke') openRevoke(k);
    else if (button.dataset.action === 'roll') openRoll(k);
    else if (button.dataset.action === 'edit') openEdit(k);
  }

  // ---------------------------------------------------------------- create

  function openCreate() {
    const form = $('create-form');
    form.reset();
    showAlert('create-alert', '');
    createIdempotency = null;
    const testOnly = keyEnvironment === 'test';
    $('create-env-live-choice').hidden = testOnly;
    $('create-env-live').disabled = testOnly;
    $('create-env-test-only').hidden = !testOnly;
    $(testOnly ? 'create-env-test' : 'create-env-live').checked = true;
    $('create-dialog').showModal();
    $('create-name').focus();
  }

  async function submitCreate(event) {
    event.preventDefault();
    const form = $('create-form');
    showAlert('create-alert', '');
    const name = $('create-name').value.trim();
    if (!name) {
      showAlert('create-alert', 'Give the key a name.');
      $('create-name').focus();
      return;
    }
    const scopes = Array.from(form.querySelectorAll('input[name="scopes"]:checked'), (i) => i.value);
    if (scopes.length === 0) {
      showAlert('create-alert', 'Choose at least one scope.');
      return;
    }
    const envInput = form.querySelector('input[name="environment"]:checked');
    const body = { name, environment: envInput ? envInput.value : keyEnvironment, scopes };
    const days = $('create-expires').value.trim();
    if (days !== '') {
      const n = Number(days);
      if (!Number.isInteger(n)) {
        showAlert('create-alert', 'Expiry must be a whole number of days, or empty.');
        return;
      }
      body.expires_in_days = n;
    }
    createIdempotency = idempotencyFor(createIdempotency, body);
    const submit = $('create-submit');
    submit.disabled = true;
    try {
      const created = (await api('POST', '/v1/account/api-keys', body, { 'Idempotency-Key': createIdempotency.key })).data;
      createIdempotency = null;
      $('create-dialog').close();
      showNewKey(created, null);
      loadKeys();
    } catch (err) {
      showError('create-alert', err);
    } finally {
      submit.disabled = false;
    }
  }

  // ---------------------------------------------------------------- the new key, shown once

  function showNewKey(created, rolledFrom) {
    $('new-key-heading').textContent = rolledFrom ? 'Your rolled key' : 'Your new key';
    $('new-key-about').textContent =
      '“' + created.name + '”, ' + created.environment + ', scopes: ' + (created.scopes || []).join(', ') + '.';
    $('new-key-value').textContent = created.key;
    setStatus('copy-status', '');
    const rolled = $('new-key-rolled');
    if (rolledFrom) {
      rolled.replaceChildren(
        'The old key ' + rolledFrom.key_prefix + ' keeps working until ',
        timeNode(rolledFrom.expires_at, 'now'),
        '. Deploy the new key before then.',
      );
      rolled.hidden = false;
    } else {
      rolled.replaceChildren();
      rolled.hidden = true;
    }
    $('new-key-dialog').showModal();
    $('copy-key').focus();
  }

  function wipeNewKey() {
    $('new-key-value').textContent = '';
    $('new-key-about').textContent = '';
    $('new-key-rolled').replaceChildren();
    setStatus('copy-status', '');
    const selection = window.getSelection();
    if (selection) selection.removeAllRanges();
  }

  function selectNewKey() {
    const range = document.createRange();
    range.selectNodeContents($('new-key-value'));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  async function copyNewKey() {
    const value = $('new-key-value').textContent;
    if (!value) return;
    try {
      if (!navigator.clipboard || !window.isSecureContext) throw new Error('no clipboard');
      await navigator.clipboard.writeText(value);
      setStatus('copy-status', 'Copied to the clipboard.');
    } catch (_) {
      selectNewKey();
      setStatus('copy-status', 'The key is selected: press Ctrl+C (⌘C on a Mac) to copy it.');
    }
  }

  // ---------------------------------------------------------------- revoke

  function openRevoke(k) {
    showAlert('revoke-alert', '');
    const own = apiKey && k.key_prefix === apiKey.slice(0, 15) + '...';
    $('revoke-heading').textContent = 'Revoke “' + k.name + '”?';
    $('revoke-about').textContent =
      'The key ' + k.key_prefix + ' stops working at once, for every request. This cannot be undone.' +
      (own ? ' It is the key you are signed in with: you will be signed out.' : '');
    $('revoke-dialog').showModal();
    $('revoke-cancel').focus(); // the safe choice first
  }

  async function submitRevoke(event) {
    event.preventDefault();
    const k = dialogKey;
    if (!k) return;
    const submit = $('revoke-submit');
    submit.disabled = true;
    showAlert('revoke-alert', '');
    try {
      await api('DELETE', '/v1/account/api-keys/' + encodeURIComponent(k.id));
      $('revoke-dialog').close();
      setStatus('global-status', 'Revoked “' + k.name + '” (' + k.key_prefix + ').');
      loadKeys();
    } catch (err) {
      showError('revoke-alert', err);
    } finally {
      submit.disabled = false;
    }
  }

  // ---------------------------------------------------------------- roll

  function openRoll(k) {
    $('roll-form').reset();
    rollIdempotency = null;
    showAlert('roll-alert', '');
    $('roll-heading').textContent = 'Roll “' + k.name + '”';
    $('roll-about').textContent =
      'A new key with the same name, environment and scopes replaces ' + k.key_prefix +
      '. The old key keeps working for the overlap you choose, so you can deploy the new one first.';
    $('roll-dialog').showModal();
    $('roll-hours').focus();
  }

  async function submitRoll(event) {
    event.preventDefault();
    const k = dialogKey;
    if (!k) return;
    showAlert('roll-alert', '');
    const raw = $('roll-hours').value.trim();
    const hours = raw === '' ? 24 : Number(raw);
    if (!Number.isInteger(hours)) {
      showAlert('roll-alert', 'The overlap must be a whole number of hours, from 0 to 168.');
      return;
    }
    const submit = $('roll-submit');
    submit.disabled = true;
    const body = { expires_in_hours: hours };
    rollIdempotency = idempotencyFor(rollIdempotency, Object.assign({ id: k.id }, body));
    try {
      const path = '/v1/account/api-keys/' + encodeURIComponent(k.id) + '/roll';
      const created = (await api('POST', path, body, { 'Idempotency-Key': rollIdempotency.key })).data;
      rollIdempotency = null;
      $('roll-dialog').close();
      const old = Object.assign({}, k, { expires_at: new Date(Date.now() + hours * 3600 * 1000).toISOString() });
      showNewKey(created, old);
      // The list tells the old key's real end of overlap; refresh it and the dialog's line with it.
      loadKeys().then(() => {
        const fresh = keys.find((x) => x.id === k.id);
        const rolled = $('new-key-rolled');
        if (fresh && $('new-key-dialog').open && !rolled.hidden) {
          rolled.replaceChildren(
            'The old key ' + fresh.key_prefix + ' keeps working until ',
            timeNode(fresh.is_active ? fresh.expires_at : null, 'now'),
            fresh.is_active ? '. Deploy the new key before then.' : '.',
          );
        }
      });
    } catch (err) {
      showError('roll-alert', err);
    } finally {
      submit.disabled = false;
    }
  }

  // ---------------------------------------------------------------- edit (rename, narrow scopes)

  function openEdit(k) {
    showAlert('edit-alert', '');
    $('edit-heading').textContent = 'Edit “' + k.name + '”';
    $('edit-name').value = k.name;
    const box = $('edit-scopes');
    box.replaceChildren(
      ...(k.scopes || []).map((s) =>
        el('label', { className: 'choice' }, [el('input', { type: 'checkbox', name: 'scopes', value: s, checked: true }), ' ' + s]),
      ),
    );
    $('edit-dialog').showModal();
    $('edit-name').focus();
  }

  async function submitEdit(event) {
    event.preventDefault();
    const k = dialogKey;
    if (!k) return;
    showAlert('edit-alert', '');
    const body = {};
    const name = $('edit-name').value.trim();
    if (!name) {
      showAlert('edit-alert', 'Give the key a name.');
      return;
    }
    if (name !== k.name) body.name = name;
    const scopes = Array.from($('edit-scopes').querySelectorAll('input:checked'), (i) => i.value);
    if (scopes.length === 0) {
      showAlert('edit-alert', 'Keep at least one scope.');
      return;
    }
    if (scopes.length !== (k.scopes || []).length) body.scopes = scopes;
    if (Object.keys(body).length === 0) {
      $('edit-dialog').close();
      return;
    }
    const submit = $('edit-submit');
    submit.disabled = true;
    try {
      await api('PATCH', '/v1/account/api-keys/' + encodeURIComponent(k.id), body);
      $('edit-dialog').close();
      setStatus('global-status', 'Saved “' + name + '” (' + k.key_prefix + ').');
      loadKeys();
    } catch (err) {
      showError('edit-alert', err);
    } finally {
      submit.disabled = false;
    }
  }

  // ---------------------------------------------------------------- usage

  async function loadUsage(from, to) {
    const mySession = session;
    showAlert('usage-alert', '');
    const params = new URLSearchParams();
    if (from) params.set('from', from);
    if (to) params.set('to', to);
    const query = params.toString();
    let usage;
    try {
      usage = (await api('GET', '/v1/account/usage' + (query ? '?' + query : ''))).data;
    } catch (err) {
      if (mySession !== session) return;
      showError('usage-alert', err);
      return;
    }
    if (mySession !== session) return;
    renderUsage(usage);
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
    if (keyEnvironment === 'test') {
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
            el('span', { className: 'by-key-name', text: r.name }),
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

  // ---------------------------------------------------------------- wiring

  function onSignInSubmit(event) {
    event.preventDefault();
    const input = $('api-key-input');
    const key = input.value.trim();
    input.value = '';
    if (!key) {
      showAlert('global-alert', 'Paste an API key to sign in.');
      input.focus();
      return;
    }
    if (!/^[\x21-\x7e]+$/.test(key)) {
      showAlert('global-alert', 'That is not an API key: a key is mem_live_… or mem_test_… followed by letters and digits.');
      input.focus();
      return;
    }
    signIn(key, false);
  }

  function init() {
    $('sign-in-form').addEventListener('submit', onSignInSubmit);
    $('sign-out').addEventListener('click', () => {
      signOut();
      setStatus('global-status', 'Signed out. The key is forgotten in this tab.');
      $('api-key-input').focus();
    });
    $('open-create').addEventListener('click', openCreate);
    $('refresh-keys').addEventListener('click', () => loadKeys());
    $('create-form').addEventListener('submit', submitCreate);
    $('revoke-form').addEventListener('submit', submitRevoke);
    $('roll-form').addEventListener('submit', submitRoll);
    $('edit-form').addEventListener('submit', submitEdit);
    $('usage-form').addEventListener('submit', submitUsage);
    $('keys-section').addEventListener('click', onKeyAction);
    $('copy-key').addEventListener('click', copyNewKey);
    $('close-new-key').addEventListener('click', () => $('new-key-dialog').close());
    // However the new-key dialog closes, the key leaves the page with it.
    $('new-key-dialog').addEventListener('close', wipeNewKey);
    for (const button of document.querySelectorAll('dialog [data-close]')) {
      button.addEventListener('click', () => button.closest('dialog').close());
    }

    const stored = sessionStorage.getItem(STORAGE_ITEM);
    if (stored) signIn(stored, true);
    else $('api-key-input').focus();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
