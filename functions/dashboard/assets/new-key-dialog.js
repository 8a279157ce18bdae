// The new-key dialog: a created or rolled key, shown in full this once, with a copy button. However the
// dialog closes, the key leaves the page with it.
import { $, setStatus, userText } from './dom.js';
import { timeNode } from './format.js';

export function initNewKeyDialog() {
  $('copy-key').addEventListener('click', copyNewKey);
  // Wiped as the dialog closes, not after: a dialog's `close` event comes a task later, and until then the
  // key would still be in the hidden dialog. Escape (`cancel`) wipes the same way; `close` catches the rest.
  $('close-new-key').addEventListener('click', () => {
    wipeNewKey();
    $('new-key-dialog').close();
  });
  $('new-key-dialog').addEventListener('cancel', wipeNewKey);
  $('new-key-dialog').addEventListener('close', wipeNewKey);
}

// `created`: the API's answer with the full key; `rolledFrom`: the key it replaces, or null.
export function showNewKey(created, rolledFrom) {
  $('new-key-heading').textContent = rolledFrom ? 'Your rolled key' : 'Your new key';
  $('new-key-about').replaceChildren(
    '“', userText(created.name), '”, ' + created.environment + ', scopes: ' + (created.scopes || []).join(', ') + '.',
  );
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

// The rolled key's line, once the list tells the old key's real end of overlap (if the dialog is still open).
export function showRolledFrom(fresh) {
  const rolled = $('new-key-rolled');
  if (!$('new-key-dialog').open || rolled.hidden) return;
  rolled.replaceChildren(
    'The old key ' + fresh.key_prefix + ' keeps working until ',
    timeNode(fresh.is_active ? fresh.expires_at : null, 'now'),
    fresh.is_active ? '. Deploy the new key before then.' : '.',
  );
}

export function wipeNewKey() {
  $('new-key-value').textContent = '';
  $('new-key-about').replaceChildren();
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
