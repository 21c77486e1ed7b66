/**
 * A database call's outcome as text for assertions: 'no error', or '<SQLSTATE>: <message>' (e.g.
 * '23503: insert on bills violates …'), so one expectation checks both the code and the message.
 */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
}
