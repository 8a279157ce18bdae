// The create-key dialog: name, environment, scopes, expiry and allowed IPs, within the service's limits; the
// created key goes to the new-key dialog.
import { loadActivity } from './activity.js';
import { allowedIpsProblem, initAllowedIpsField, parseAllowedIps } from './allowed-ips.js';
import { api, idempotencyFor } from './api.js';
import { MAX_EXPIRES_IN_DAYS, MAX_NAME_CHARS, SCOPES } from './constants.js';
import { $, el, showAlert, showError } from './dom.js';
import { loadKeys } from './keys.js';
import { showNewKey } from './new-key-dialog.js';
import { state } from './state.js';

// What each scope lets a key do, in the page's words; a scope the page has no words for is shown by name.
const SCOPE_HELP = new Map([
  ['read', 'read memories, account, usage'],
  ['write', 'add and change memories'],
  ['delete', 'delete memories'],
  ['admin', 'everything, and manage keys'],
]);
// Ticked when the dialog opens.
const CHECKED_SCOPES = ['read'];

export function initCreateDialog() {
  $('create-name').maxLength = MAX_NAME_CHARS;
  $('create-expires').max = String(MAX_EXPIRES_IN_DAYS);
  $('create-expires-hint').textContent =
    '1 to ' + MAX_EXPIRES_IN_DAYS + '. Leave empty for a key that does not expire.';
  $('create-scopes').replaceChildren(...SCOPES.map(scopeChoice));
  initAllowedIpsField('create-allowed-ips-hint', 'Leave empty for a key usable from any address.');
  $('open-create').addEventListener('click', openCreate);
  $('create-form').addEventListener('submit', submitCreate);
}

function scopeChoice(scope) {
  const help = SCOPE_HELP.get(scope);
  return el('label', { className: 'choice' }, [
    el('input', { type: 'checkbox', name: 'scopes', value: scope, checked: CHECKED_SCOPES.includes(scope) }),
    ' ' + scope + ' ',
    help ? el('span', { className: 'muted', text: '(' + help + ')' }) : null,
  ]);
}

function openCreate() {
  const form = $('create-form');
  form.reset();
  showAlert('create-alert', '');
  state.createIdempotency = null;
  const testOnly = state.environment === 'test';
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
  const body = { name, environment: envInput ? envInput.value : state.environment, scopes };
  const days = $('create-expires').value.trim();
  if (days !== '') {
    const n = Number(days);
    if (!Number.isInteger(n)) {
      showAlert('create-alert', 'Expiry must be a whole number of days, or empty.');
      return;
    }
    body.expires_in_days = n;
  }
  const ips = parseAllowedIps($('create-allowed-ips').value);
  const problem = allowedIpsProblem(ips);
  if (problem) {
    showAlert('create-alert', problem);
    $('create-allowed-ips').focus();
    return;
  }
  if (ips.length > 0) body.allowed_ips = ips;
  state.createIdempotency = idempotencyFor(state.createIdempotency, body);
  const submit = $('create-submit');
  submit.disabled = true;
  try {
    const created = (await api('POST', '/v1/account/api-keys', body, { 'Idempotency-Key': state.createIdempotency.key })).data;
    state.createIdempotency = null;
    $('create-dialog').close();
    showNewKey(created, null);
    loadKeys();
    loadActivity(false);
  } catch (err) {
    showError('create-alert', err);
  } finally {
    submit.disabled = false;
  }
}
