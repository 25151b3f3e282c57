// A switch's MCP_REGISTRY_EXPORT_<FLAG> variable is read as on/off, not as "set at all":
// MCP_REGISTRY_EXPORT_ALLOW_MASS_RETIRE=false must leave the mass-retire guard on.
import { Command, Option } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { readSwitchesFromEnvironment, UsageError } from '../../../src/cli/options.ts';

const VARIABLE = 'MCP_REGISTRY_EXPORT_TEST_SWITCH';

async function parse(argv: string[]): Promise<boolean | undefined> {
  const program = new Command('x').exitOverride();
  let seen: boolean | undefined;
  program
    .command('go')
    .addOption(new Option('--allow-it', 'a switch').env(VARIABLE))
    .addOption(new Option('--level <n>', 'not a switch').env('MCP_REGISTRY_EXPORT_TEST_LEVEL'))
    .action((flags: { allowIt?: boolean }) => {
      seen = flags.allowIt;
    });
  readSwitchesFromEnvironment(program);
  await program.parseAsync(argv, { from: 'user' });
  return seen;
}

afterEach(() => {
  delete process.env[VARIABLE];
  delete process.env['MCP_REGISTRY_EXPORT_TEST_LEVEL'];
});

describe('switches from the environment', () => {
  for (const [value, expected] of [['true', true], ['1', true], ['ON', true], ['false', false], ['0', false], ['no', false], ['', false]] as const) {
    it(`${VARIABLE}=${JSON.stringify(value)} -> ${expected}`, async () => {
      process.env[VARIABLE] = value;
      expect(await parse(['go'])).toBe(expected);
    });
  }

  it('the flag on the command line wins over the variable', async () => {
    process.env[VARIABLE] = 'false';
    expect(await parse(['go', '--allow-it'])).toBe(true);
  });

  it('anything else is a usage error naming the variable; values of other options are left alone', async () => {
    process.env[VARIABLE] = 'maybe';
    await expect(parse(['go'])).rejects.toThrow(UsageError);
    await expect(parse(['go'])).rejects.toThrow(`${VARIABLE}="maybe" is neither true nor false`);
    delete process.env[VARIABLE];
    process.env['MCP_REGISTRY_EXPORT_TEST_LEVEL'] = 'false';
    expect(await parse(['go'])).toBeUndefined();
  });
});
