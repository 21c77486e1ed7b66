/** Accounts the user opened recently (this browser only), newest first. */
export interface RecentAccount {
  id: number;
  accountNo: string;
  name?: string;
}

const MAX = 8;
const key = (username: string) => `voltline.recent.${username}`;

export function recentAccounts(username: string | undefined): RecentAccount[] {
  if (!username) return [];
  try {
    const v = JSON.parse(localStorage.getItem(key(username)) ?? '[]') as RecentAccount[];
    return Array.isArray(v) ? v.slice(0, MAX) : [];
  } catch {
    return [];
  }
}

export function rememberAccount(username: string | undefined, a: RecentAccount): void {
  if (!username) return;
  try {
    const list = [a, ...recentAccounts(username).filter((x) => x.id !== a.id)].slice(0, MAX);
    localStorage.setItem(key(username), JSON.stringify(list));
  } catch {
    /* storage full or unavailable */
  }
}
