// The edit dialog: rename a key, narrow its scopes, set, change or clear its allowed IPs.
import { loadActivity } from './activity.js';
import { allowedIpsProblem, allowedIpsText, initAllowedIpsField, parseAllowedIps, sameAllowedIps } from './allowed-ips.js';
import { api } from './api.js';
import { MAX_NAME_CHARS } from './constants.js';
import { $, el, setStatus, showAlert, showError, userText } from './dom.js';
import { loadKeys } from './keys.js';
import { state } from './state.js';

export function initEditDialog() {
  $('edit-name').maxLength = MAX_NAME_CHARS;
  initAllowedIpsField('edit-allowed-ips-hint', 'Empty: the key works from any address.');
  $('edit-form').addEventListener('submit', submitEdit);
}

export function openEdit(k) {
  showAlert('edit-alert', '');
  $('edit-heading').replaceChildren('Edit “', userText(k.name), '”');
  $('edit-name').value = k.name;
  const box = $('edit-scopes');
  box.replaceChildren(
    ...(k.scopes || []).map((s) =>
      el('label', { className: 'choice' }, [el('input', { type: 'checkbox', name: 'scopes', value: s, checked: true }), ' ' + s]),
    ),
  );
  $('edit-allowed-ips').value = allowedIpsText(k.allowed_ips);
  $('edit-dialog').showModal();
  $('edit-name').focus();
}

async function submitEdit(event) {
  event.preventDefault();
  const k = state.dialogKey;
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
  const ips = parseAllowedIps($('edit-allowed-ips').value);
  const problem = allowedIpsProblem(ips);
  if (problem) {
    showAlert('edit-alert', problem);
    $('edit-allowed-ips').focus();
    return;
  }
  // Sent only when changed; an emptied field sends [] (anywhere again).
  if (!sameAllowedIps(ips, k.allowed_ips)) body.allowed_ips = ips;
  if (Object.keys(body).length === 0) {
    $('edit-dialog').close();
    return;
  }
  const submit = $('edit-submit');
  submit.disabled = true;
  try {
    await api('PATCH', '/v1/account/api-keys/' + encodeURIComponent(k.id), body);
    $('edit-dialog').close();
    setStatus('global-status', ['Saved “', userText(name), '” (' + k.key_prefix + ').']);
    loadKeys();
    loadActivity(false);
  } catch (err) {
    showError('edit-alert', err);
  } finally {
    submit.disabled = false;
  }
}
