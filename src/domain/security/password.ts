/**
 * Password policy: 8-128 characters with at least three of: lower case, upper case, digit,
 * symbol; not the username. Returns the reason or null.
 *
 * @example checkPasswordPolicy('Voltline@2026', 'admin') // null
 */
export function checkPasswordPolicy(password: string, username?: string): string | null {
  if (typeof password !== 'string' || password.length < 8) return 'must be at least 8 characters';
  if (password.length > 128) return 'must be at most 128 characters';
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 3) return 'must contain three of: lower case, upper case, digit, symbol';
  if (username && password.toLowerCase().includes(username.toLowerCase())) return 'must not contain the username';
  return null;
}
