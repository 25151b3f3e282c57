// How long the webhook drains when its process ends (README, "Rollouts and drains"): a
// terminal's SIGINT not at all; the kubelet's SIGTERM, and a failed start of the leader's
// work (the pod is still a ready endpoint when the process exits), for --shutdown-delay.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { drainFor, shutdownDelayOption } from '../../../src/cli/webhook-command.ts';

async function parsed(argv: string[]): Promise<number> {
  let seen = -1;
  const program = new Command('x').exitOverride().configureOutput({ writeErr: () => {} });
  program
    .command('go')
    .addOption(shutdownDelayOption())
    .action((flags: { shutdownDelay: number }) => {
      seen = flags.shutdownDelay;
    });
  await program.parseAsync(argv, { from: 'user' });
  return seen;
}

describe('drainFor', () => {
  it.each([
    ['SIGTERM', 5_000],
    ['SIGINT', 0],
    [new Error('the certificate controller could not start'), 5_000],
  ] as const)('%s drains for %i ms of a 5 s delay', (ended, ms) => {
    expect(drainFor(ended as NodeJS.Signals | Error, 5_000)).toBe(ms);
  });
});

describe('--shutdown-delay', () => {
  it('reads durations, 0s by default', async () => {
    expect(await parsed(['go'])).toBe(0);
    expect(await parsed(['go', '--shutdown-delay', '5s'])).toBe(5_000);
    expect(await parsed(['go', '--shutdown-delay', '1.5s'])).toBe(1_500);
    expect(await parsed(['go', '--shutdown-delay', '5m'])).toBe(300_000);
  });

  it.each([['5m1s'], ['-1s'], ['soon']])('refuses %s', async (value) => {
    await expect(parsed(['go', '--shutdown-delay', value])).rejects.toThrow(/--shutdown-delay/);
  });
});
