// The account panel: the organisation, its plan and status.
import { $, userText } from './dom.js';
import { formatPlan, timeNode } from './format.js';

const FIELDS = ['account-name', 'account-email', 'account-plan', 'account-status', 'account-id', 'account-created'];

export function renderAccount(account) {
  // What the user typed at signup, each isolated: an RTL name cannot pull the layout around with it.
  $('account-name').replaceChildren(userText(account.name));
  $('account-email').replaceChildren(userText(account.email));
  const plan = account.plan || {};
  $('account-plan').textContent = formatPlan(plan);
  $('account-status').textContent = account.is_active ? 'Active' : 'Inactive';
  $('account-id').textContent = account.org_id;
  $('account-created').replaceChildren(timeNode(account.created_at));
}

export function resetAccount() {
  for (const id of FIELDS) $(id).textContent = '';
}
