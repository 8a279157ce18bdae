// The account panel: the organisation, its plan and status.
import { $ } from './dom.js';
import { formatPlan, timeNode } from './format.js';

const FIELDS = ['account-name', 'account-email', 'account-plan', 'account-status', 'account-id', 'account-created'];

export function renderAccount(account) {
  $('account-name').textContent = account.name;
  $('account-email').textContent = account.email;
  const plan = account.plan || {};
  $('account-plan').textContent = formatPlan(plan);
  $('account-status').textContent = account.is_active ? 'Active' : 'Inactive';
  $('account-id').textContent = account.org_id;
  $('account-created').replaceChildren(timeNode(account.created_at));
}

export function resetAccount() {
  for (const id of FIELDS) $(id).textContent = '';
}
