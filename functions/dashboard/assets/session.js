// Signing in and out: the sign-in form, the session bar, and which view shows.
import { api } from './api.js';
import { loadActivity, resetActivity } from './activity.js';
import { renderAccount, resetAccount } from './account.js';
import { $, clearAlerts, setStatus, showAlert } from './dom.js';
import { loadKeys, resetKeys } from './keys.js';
import { wipeNewKey } from './new-key-dialog.js';
import { acceptSession, beginSession, endSession, isCurrent, refuseSession, state } from './state.js';
import { loadUsage, resetUsage } from './usage.js';

export function initSession() {
  $('sign-in-form').addEventListener('submit', onSignInSubmit);
  $('sign-out').addEventListener('click', () => {
    signOut();
    setStatus('global-status', 'Signed out. The key is forgotten in this tab.');
    $('api-key-input').focus();
  });
}

// `fromStorage`: the tab's key after a reload, rather than one just pasted (the focus stays put).
export async function signIn(key, fromStorage) {
  clearAlerts();
  setStatus('global-status', '');
  const mySession = beginSession(key);
  const button = $('sign-in-button');
  button.disabled = true;
  let account;
  try {
    account = (await api('GET', '/v1/account')).data;
  } catch (err) {
    if (!isCurrent(mySession)) return;
    refuseSession();
    showAlert('global-alert', err.message);
    button.disabled = false;
    $('api-key-input').focus();
    return;
  } finally {
    button.disabled = false;
  }
  if (!isCurrent(mySession)) return;
  acceptSession(key);
  $('api-key-input').value = '';
  renderAccount(account);
  $('mode-badge').textContent = state.environment === 'test' ? 'Test mode' : 'Live mode';
  $('mode-badge').className = 'mode-badge mode-' + state.environment;
  $('sign-in-view').hidden = true;
  $('dashboard-view').hidden = false;
  $('session-bar').hidden = false;
  if (!fromStorage) $('dashboard-heading').focus();
  loadUsage();
  loadKeys();
  loadActivity(false);
}

export function signOut() {
  endSession();
  for (const dialog of document.querySelectorAll('dialog')) {
    if (dialog.open) dialog.close();
  }
  wipeNewKey();
  resetAccount();
  $('mode-badge').textContent = '';
  resetUsage();
  resetKeys();
  resetActivity();
  clearAlerts();
  $('dashboard-view').hidden = true;
  $('session-bar').hidden = true;
  $('sign-in-view').hidden = false;
  $('api-key-input').value = '';
}

// The key stopped working while the page was open (revoked, expired): sign out, say why.
export function expireSession(err) {
  if (!state.signedIn) return;
  signOut();
  showAlert('global-alert', 'You were signed out: ' + err.message);
}

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
