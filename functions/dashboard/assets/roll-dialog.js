// The roll dialog: a new key replaces the old one, which keeps working for the overlap chosen (within the
// service's bounds); the new key goes to the new-key dialog.
import { loadActivity } from './activity.js';
import { api, idempotencyFor } from './api.js';
import { DEFAULT_ROLL_OVERLAP_HOURS, MAX_ROLL_OVERLAP_HOURS } from './constants.js';
import { $, showAlert, showError, userText } from './dom.js';
import { loadKeys } from './keys.js';
import { showNewKey, showRolledFrom } from './new-key-dialog.js';
import { state } from './state.js';

export function initRollDialog() {
  const hours = $('roll-hours');
  hours.max = String(MAX_ROLL_OVERLAP_HOURS);
  hours.defaultValue = String(DEFAULT_ROLL_OVERLAP_HOURS); // what the form's reset() puts back
  $('roll-hours-hint').textContent = '0 to ' + MAX_ROLL_OVERLAP_HOURS + '. 0 stops the old key at once.';
  $('roll-form').addEventListener('submit', submitRoll);
}

export function openRoll(k) {
  $('roll-form').reset();
  state.rollIdempotency = null;
  showAlert('roll-alert', '');
  $('roll-heading').replaceChildren('Roll “', userText(k.name), '”');
  $('roll-about').textContent =
    'A new key with the same name, environment and scopes replaces ' + k.key_prefix +
    '. The old key keeps working for the overlap you choose, so you can deploy the new one first.';
  $('roll-dialog').showModal();
  $('roll-hours').focus();
}

async function submitRoll(event) {
  event.preventDefault();
  const k = state.dialogKey;
  if (!k) return;
  showAlert('roll-alert', '');
  const raw = $('roll-hours').value.trim();
  const hours = raw === '' ? DEFAULT_ROLL_OVERLAP_HOURS : Number(raw);
  if (!Number.isInteger(hours)) {
    showAlert('roll-alert', 'The overlap must be a whole number of hours, from 0 to ' + MAX_ROLL_OVERLAP_HOURS + '.');
    return;
  }
  const submit = $('roll-submit');
  submit.disabled = true;
  const body = { expires_in_hours: hours };
  state.rollIdempotency = idempotencyFor(state.rollIdempotency, Object.assign({ id: k.id }, body));
  try {
    const path = '/v1/account/api-keys/' + encodeURIComponent(k.id) + '/roll';
    const created = (await api('POST', path, body, { 'Idempotency-Key': state.rollIdempotency.key })).data;
    state.rollIdempotency = null;
    $('roll-dialog').close();
    const old = Object.assign({}, k, { expires_at: new Date(Date.now() + hours * 3600 * 1000).toISOString() });
    showNewKey(created, old);
    loadActivity(false);
    // The list tells the old key's real end of overlap; refresh it and the dialog's line with it.
    loadKeys().then(() => {
      const fresh = state.keys.find((x) => x.id === k.id);
      if (fresh) showRolledFrom(fresh);
    });
  } catch (err) {
    showError('roll-alert', err);
  } finally {
    submit.disabled = false;
  }
}
