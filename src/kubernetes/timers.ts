// Timer delays from configuration: Node fires a timer longer than 2^31-1 ms (about 24.8
// days) after 1 ms instead, so a "practically never" setting would mean "at once".

export const MAX_TIMER_MS = 2_147_483_647;

export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}
