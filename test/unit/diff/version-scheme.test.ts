import { describe, expect, it } from 'vitest';
import { compareRegistryVersions, parseRegistrySemver } from '../../../src/diff/registry-order.ts';
import { nextVersion, revisionOf, revisionVersion } from '../../../src/diff/version-scheme.ts';

const at = (version: string, publishedAt?: string) => ({ version, ...(publishedAt ? { publishedAt } : {}) });

describe('the registry ordering (internal/service/versioning.go)', () => {
  it.each([
    // a, b, sign
    ['1.0.0', '1.0.0-x', 1],
    ['1.0.0-x', '1.0.0', -1],
    ['1.0.0+build.5', '1.0.0', 0],
    ['v1.2.3', '1.2.3', 0],
    ['1.2.10', '1.2.9', 1],
    ['1.0.0-0.10', '1.0.0-0.9', 1],
    ['1.0.0-alpha', '1.0.0-1', 1], // numeric identifiers rank below alphanumeric ones
    ['1.0.0-alpha.1', '1.0.0-alpha', 1],
    ['1.2.4-0.1', '1.2.3', 1],
    ['1.2.4-0.1', '1.2.4', -1],
    ['1.2.4-0.1', '1.2.4-alpha', -1],
    ['1.0.0-beta.1.0.2', '1.0.0-beta.1', 1],
    ['1.0.0-beta.1.0.2', '1.0.0-beta.2', -1],
    ['0.0.1', '2024-05', 1], // semver beats non-semver
    ['1.2', '1.0.0', -1], // two parts: not semver for the registry
    ['99999999999999999999.0.0', '9.0.0', 1],
  ] as const)('%s vs %s -> %d', (a, b, sign) => {
    expect(Math.sign(compareRegistryVersions(at(a), at(b)))).toBe(sign);
  });

  it('non-semvers compare by publish time; one not yet published is the newest', () => {
    expect(compareRegistryVersions(at('b', '2026-01-01T00:00:00Z'), at('a', '2026-01-02T00:00:00Z'))).toBeLessThan(0);
    expect(compareRegistryVersions(at('b'), at('a', '2026-01-02T00:00:00Z'))).toBeGreaterThan(0);
  });

  it.each(['1.2.3-01', '01.2.3', '1.2.3.4', '1.2', 'latest', '1.2.3-', '1.2.3+'])('%s is not semver there', (version) => {
    expect(parseRegistrySemver(version)).toBeUndefined();
  });
});

describe('revisions of a base version', () => {
  it.each([
    ['1.2.3', 1, '1.2.4-0.1'],
    ['1.2.3', 12, '1.2.4-0.12'],
    ['v1.2.3', 2, 'v1.2.4-0.2'],
    ['1.0.0-beta.1', 3, '1.0.0-beta.1.0.3'],
    ['1.0.0-rc', 1, '1.0.0-rc.0.1'],
    ['2024-05', 4, '2024-05-r4'],
    ['1.2.3', 0, '1.2.3'],
  ] as const)('%s revision %d is %s, and reads back', (base, revision, version) => {
    expect(revisionVersion(base, revision)).toBe(version);
    expect(revisionOf(base, version)).toBe(revision);
  });

  it.each([
    ['1.2.3', '1.2.4'],
    ['1.2.3', '1.2.4-0.01'],
    ['1.2.3', '1.2.4-0.1.5'],
    ['1.2.3', '1.2.5-0.1'],
    ['1.0.0-beta.1', '1.0.0-beta.1.0'],
    ['2024-05', '2024-05-r'],
  ] as const)('%s does not own %s', (base, version) => {
    expect(revisionOf(base, version)).toBeUndefined();
  });

  it('every revision ranks above the one before it and below the next release', () => {
    for (const base of ['1.2.3', '1.0.0-beta.1', '0.0.0-0']) {
      let previous = base;
      for (let revision = 1; revision <= 25; revision++) {
        const version = revisionVersion(base, revision);
        expect(compareRegistryVersions(at(version), at(previous)), `${version} > ${previous}`).toBeGreaterThan(0);
        previous = version;
      }
    }
    expect(compareRegistryVersions(at(revisionVersion('1.2.3', 99)), at('1.2.4'))).toBeLessThan(0);
    expect(compareRegistryVersions(at(revisionVersion('1.0.0-beta.1', 99)), at('1.0.0-beta.2'))).toBeLessThan(0);
    expect(compareRegistryVersions(at(revisionVersion('1.0.0-beta.1', 99)), at('1.0.0'))).toBeLessThan(0);
  });
});

describe('nextVersion', () => {
  it('a new name gets its base', () => {
    expect(nextVersion('1.0.0', [])).toEqual({ version: '1.0.0', revision: 0, ranksFirst: true });
  });

  it('a content change takes the next revision, retired versions included, and ranks first', () => {
    expect(nextVersion('1.0.0', [at('1.0.0')])).toEqual({ version: '1.0.1-0.1', revision: 1, ranksFirst: true });
    expect(nextVersion('1.0.0', [at('1.0.0'), at('1.0.1-0.1'), at('1.0.1-0.2')])).toMatchObject({ version: '1.0.1-0.3', ranksFirst: true });
  });

  it('a prerelease base stays below its release', () => {
    const next = nextVersion('2.0.0-rc.1', [at('2.0.0-rc.1')]);
    expect(next).toMatchObject({ version: '2.0.0-rc.1.0.1', ranksFirst: true });
    expect(compareRegistryVersions(at(next.version), at('2.0.0'))).toBeLessThan(0);
  });

  it('a raised base starts over at revision 0 and ranks first', () => {
    expect(nextVersion('1.1.0', [at('1.0.0'), at('1.0.1-0.1')])).toEqual({ version: '1.1.0', revision: 0, ranksFirst: true });
  });

  it('a base raised to the release right after a revision still ranks first', () => {
    expect(nextVersion('1.2.4', [at('1.2.3'), at('1.2.4-0.3')])).toMatchObject({ version: '1.2.4', ranksFirst: true });
  });

  it('a rolled-back base keeps its own numbers and says it does not rank first', () => {
    expect(nextVersion('1.0.0', [at('1.0.0'), at('2.0.0')])).toEqual({ version: '1.0.1-0.1', revision: 1, ranksFirst: false });
  });

  it('a non-semver base ranks by publish time among non-semvers, below any semver', () => {
    expect(nextVersion('2024-05', [at('2024-05', '2026-01-01T00:00:00Z')])).toMatchObject({ version: '2024-05-r1', ranksFirst: true });
    expect(nextVersion('2024-05', [at('1.0.0', '2026-01-01T00:00:00Z')])).toMatchObject({ version: '2024-05', ranksFirst: false });
  });

  it('refuses a version longer than the registry allows', () => {
    expect(() => nextVersion(`1.0.0-${'a'.repeat(249)}`, [at(`1.0.0-${'a'.repeat(249)}`)])).toThrow(/255/);
  });
});
