// Memory API dashboard: plain JavaScript modules, no library, no build step. This one wires the others:
//
//   constants.js   the service's own limits (scopes, page size, name length, expiry and overlap bounds,
//                  allowed IPs, event types), written by the dashboard function from the constants the service enforces
//   state.js       the page's state: the signed-in key (in this tab only), the session, the keys listed
//   api.js         the API client: fetch, the envelope, errors, Idempotency-Keys
//   dom.js         elements by id, new elements (text only), alerts; format.js: numbers, times, plans
//   session.js     signing in and out
//   account.js, usage.js, keys.js, activity.js: the four panels; event-details.js: how an event is worded
//   leak.js        where a leaked key was found (its URL a link only for https)
//   allowed-ips.js a key's allowed IPs: the dialogs' field and the list as shown
//   create-dialog.js, new-key-dialog.js, revoke-dialog.js, roll-dialog.js, edit-dialog.js: the dialogs
//
// Everything the API sends is written with textContent, never as HTML.
import { initActivity } from './activity.js';
import { whenUnauthorized } from './api.js';
import { initCreateDialog } from './create-dialog.js';
import { $ } from './dom.js';
import { initEditDialog, openEdit } from './edit-dialog.js';
import { initKeys } from './keys.js';
import { initNewKeyDialog } from './new-key-dialog.js';
import { initRevokeDialog, openRevoke } from './revoke-dialog.js';
import { initRollDialog, openRoll } from './roll-dialog.js';
import { expireSession, initSession, signIn } from './session.js';
import { storedKey } from './state.js';
import { initUsage } from './usage.js';

whenUnauthorized(expireSession);
initSession();
initUsage();
initKeys({ edit: openEdit, roll: openRoll, revoke: openRevoke });
initActivity();
initCreateDialog();
initNewKeyDialog();
initRevokeDialog();
initRollDialog();
initEditDialog();
for (const button of document.querySelectorAll('dialog [data-close]')) {
  button.addEventListener('click', () => button.closest('dialog').close());
}

// A module runs once the page is parsed: the elements are all there.
const stored = storedKey();
if (stored) signIn(stored, true);
else $('api-key-input').focus();
