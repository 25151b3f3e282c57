// Two writers fighting over one name (publishing.md §3): two installations configured with
// one identity, or two replicas without leader election. Each full read of the registry
// is compared with what this publisher last wrote; a name whose version clients see has
// changed to one we did not write, at two reads in a row, is in contention, and the
// publisher stops writing it until the next resync (which looks again), so two writers do
// not spend the name's versions against each other. No I/O; the state lives here.

export class ContentionTracker {
  /** Per name, the version this publisher last made current. */
  private readonly written = new Map<string, string | undefined>();
  /** Per name, how many reads in a row found it changed under us. */
  private readonly changes = new Map<string, number>();
  private readonly blocked = new Set<string>();

  /** This publisher made `version` current (undefined: it retired the name). */
  wrote(name: string, version: string | undefined): void {
    this.written.set(name, version);
  }

  /**
   * A full read found these current versions (undefined: none active) for the names this
   * installation holds; returns the names newly found in contention.
   */
  observe(current: Iterable<{ name: string; version: string | undefined }>): string[] {
    const found: string[] = [];
    for (const { name, version } of current) {
      if (!this.written.has(name)) continue;
      if (this.written.get(name) === version) {
        this.changes.delete(name);
        continue;
      }
      const count = (this.changes.get(name) ?? 0) + 1;
      this.changes.set(name, count);
      this.written.set(name, version);
      if (count >= 2 && !this.blocked.has(name)) {
        this.blocked.add(name);
        found.push(name);
      }
    }
    return found;
  }

  isBlocked(name: string): boolean {
    return this.blocked.has(name);
  }

  /** A resync: blocked names may be written again (the read that follows looks again). */
  resync(): void {
    this.blocked.clear();
  }
}
