// The page's state, in one place: who is signed in, which session an answer belongs to, the keys as listed,
// the activity events shown, the key an open dialog is about, and the pending create or roll.
//
// The signed-in key lives in `state.apiKey` and in this tab's sessionStorage, nowhere else: never in the
// URL, localStorage, a cookie, the DOM or the console. The one place a full key is ever written into the page
// is the new-key dialog, right after the API created it; closing that dialog wipes it.
import { KEY_PREFIX_VISIBLE_CHARS, TEST_KEY_START } from './constants.js';

const STORAGE_ITEM = 'memory-api-dashboard.key';

export const state = {
  apiKey: null, // the signed-in key
  environment: null, // 'live' | 'test', from the key's own prefix
  session: 0, // bumped on every sign-in and sign-out: answers of an older session are dropped
  signedIn: false, // the key was accepted by GET /v1/account
  canManageKeys: false,
  keys: [], // the list, as the API gave it
  events: [], // the Activity panel's events, its pages so far
  dialogKey: null, // the key object an open revoke / roll / edit dialog is about
  // {body, key}: the same create or roll, retried (after a 503, say), keeps its Idempotency-Key, so a retry
  // cannot make a second key; changing the fields makes a new one.
  createIdempotency: null,
  rollIdempotency: null,
};

// The key this tab signed in with before a reload, if any.
export function storedKey() {
  return sessionStorage.getItem(STORAGE_ITEM);
}

// A sign-in starts with `key`: the session it opens, whose answers alone count from now on.
export function beginSession(key) {
  state.apiKey = key;
  state.environment = key.startsWith(TEST_KEY_START) ? 'test' : 'live';
  return ++state.session;
}

// The API accepted the key: the tab keeps it for a reload.
export function acceptSession(key) {
  state.signedIn = true;
  sessionStorage.setItem(STORAGE_ITEM, key);
}

// The API refused the key of the sign-in under way.
export function refuseSession() {
  state.apiKey = null;
  state.environment = null;
  sessionStorage.removeItem(STORAGE_ITEM);
}

// Sign out: everything forgotten, and any answer still on its way dropped.
export function endSession() {
  state.session++;
  Object.assign(state, {
    signedIn: false,
    apiKey: null,
    environment: null,
    canManageKeys: false,
    keys: [],
    events: [],
    dialogKey: null,
    createIdempotency: null,
    rollIdempotency: null,
  });
  sessionStorage.removeItem(STORAGE_ITEM);
}

// Whether `session` (from beginSession or state.session) is still the current one.
export function isCurrent(session) {
  return session === state.session;
}

// The signed-in key's `key_prefix`, as the API shows it in the list.
export function ownPrefix() {
  return state.apiKey ? state.apiKey.slice(0, KEY_PREFIX_VISIBLE_CHARS) + '...' : null;
}
