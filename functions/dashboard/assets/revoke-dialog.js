// The revoke dialog: a confirmation, the safe choice first.
import { loadActivity } from './activity.js';
import { api } from './api.js';
import { $, setStatus, showAlert, showError, userText } from './dom.js';
import { loadKeys } from './keys.js';
import { ownPrefix, state } from './state.js';

export function initRevokeDialog() {
  $('revoke-form').addEventListener('submit', submitRevoke);
}

export function openRevoke(k) {
  showAlert('revoke-alert', '');
  const own = k.key_prefix === ownPrefix();
  // The name isolated: RTL letters and digits in it cannot move the quotes, or read as another name.
  $('revoke-heading').replaceChildren('Revoke “', userText(k.name), '”?');
  $('revoke-about').textContent =
    'The key ' + k.key_prefix + ' stops working at once, for every request. This cannot be undone.' +
    (own ? ' It is the key you are signed in with: you will be signed out.' : '');
  $('revoke-dialog').showModal();
  $('revoke-cancel').focus(); // the safe choice first
}

async function submitRevoke(event) {
  event.preventDefault();
  const k = state.dialogKey;
  if (!k) return;
  const submit = $('revoke-submit');
  submit.disabled = true;
  showAlert('revoke-alert', '');
  try {
    await api('DELETE', '/v1/account/api-keys/' + encodeURIComponent(k.id));
    $('revoke-dialog').close();
    setStatus('global-status', ['Revoked “', userText(k.name), '” (' + k.key_prefix + ').']);
    loadKeys();
    loadActivity(false);
  } catch (err) {
    showError('revoke-alert', err);
  } finally {
    submit.disabled = false;
  }
}
